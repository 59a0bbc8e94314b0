"""Starting the bot: settings → services → the Telegram adapter or the console chat (``run_bot.py``)."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import replace

from bot import runtime
from bot.app import build_services
from bot.core.errors import ConfigurationError, KnowledgeBaseInvalid
from bot.settings import Settings

DESCRIPTION = """Run the resident-service bot.

With TELEGRAM_BOT_TOKEN set: the Telegram bot (polling, or a webhook when WEBHOOK_URL is set).
Without it, or with --console: a chat in this terminal on the same core and knowledge base."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="run_bot.py", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--console", action="store_true", help="chat in this terminal even if a token is set")
    parser.add_argument("--kb", metavar="DIR", help="knowledge directory (default: $KNOWLEDGE_DIR, else knowledge/)")
    parser.add_argument("--memory", action="store_true", help="console: keep state in memory, not in BOT_DB")
    parser.add_argument("--staff", action="store_true",
                        help="console: chat as a staff member (/staff lists the staff commands)")
    return parser.parse_args(argv)


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


async def run_console(services, staff: bool = False) -> int:
    from bot.adapters.console import ConsoleChat  # noqa: PLC0415

    await services.open()
    try:
        return await ConsoleChat(services.assistant, is_staff=staff).run(sys.stdin)
    finally:
        await services.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigurationError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    if args.kb:
        settings = replace(settings, knowledge_dir=settings.knowledge_dir_for(args.kb))
    console = args.console or not settings.telegram_enabled
    configure_logging(settings.log_level if not console else "WARNING")
    try:
        services = build_services(settings, in_memory=console and args.memory)
    except KnowledgeBaseInvalid as invalid:
        print(f"The knowledge base in {settings.knowledge_dir} has mistakes; the bot will not start:",
              file=sys.stderr)
        print(invalid.report(), file=sys.stderr)
        return 1
    runtime.settle()  # everything built so far lives as long as the process
    if console:
        try:
            return asyncio.run(run_console(services, staff=args.staff))
        except KeyboardInterrupt:
            return 0
    from bot.adapters.telegram import run  # noqa: PLC0415 - the console never needs python-telegram-bot

    return run(services)  # 0, or 1 with one plain line on stderr (a rejected token, a crash)


