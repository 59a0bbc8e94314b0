"""Starting the bot: settings → services → the Telegram adapter or the console chat (``run_bot.py``)."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

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


def configure_logging(level: str, file: Path | None = None) -> None:
    """Log lines to stderr, or to ``file`` (the console chat in a terminal, where stderr would land among the
    conversation)."""
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        **({"filename": file, "encoding": "utf-8"} if file is not None else {}))
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def console_log_file(settings: Settings, stderr_is_terminal: bool) -> Path | None:
    """Where the console chat logs: a file beside the database when stderr is the same terminal as the chat (a
    warning printed there reads as part of the conversation), else stderr (None), which the caller redirected."""
    return settings.db_path.parent / "console.log" if stderr_is_terminal else None


def console_banner(settings: Settings, memory: bool, log_file: Path | None) -> str:
    """The first line of a console session (on stderr): which database it reads and writes, and where logs go."""
    where = ("in memory (--memory): nothing is kept after /quit" if memory
             else f"{settings.db_path.resolve()} (BOT_DB)")
    return f"Database: {where}" + (f"; log: {log_file}" if log_file is not None else "")


def console_scheduler(services, chat, **intervals):
    """The background jobs (reminders, knowledge watcher, weekly digest) for the console, as for Telegram: the
    same ``bot.core.jobs`` list, printed in the terminal."""
    from bot.core.jobs import Scheduler, background_jobs  # noqa: PLC0415

    return Scheduler(background_jobs(services.assistant, services.staff, bookings=services.booking_reminders,
                                     **intervals), chat.deliver)


async def run_console(services, staff: bool = False) -> int:
    from bot.adapters.console import ConsoleChat  # noqa: PLC0415

    await services.open()
    chat = ConsoleChat(services.assistant, is_staff=staff)
    scheduler = console_scheduler(services, chat)
    scheduler.start()
    try:
        return await chat.run(sys.stdin)
    finally:
        await scheduler.stop()
        await services.close()


def _silence_stdout() -> None:
    # Python flushes stdout once more at exit; pointing it at /dev/null keeps that flush from raising again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


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
    log_file = console_log_file(settings, sys.stderr.isatty()) if console else None
    configure_logging(settings.log_level if not console else "WARNING", log_file)
    if console:
        print(console_banner(settings, args.memory, log_file), file=sys.stderr)
    try:
        services = build_services(settings, in_memory=console and args.memory)
    except KnowledgeBaseInvalid as invalid:
        print(f"The knowledge base in {settings.knowledge_dir} has mistakes; the bot will not start:",
              file=sys.stderr)
        print(invalid.report(), file=sys.stderr)
        return 1
    if not (console and args.memory):
        # Everything the bot needs is checked before it contacts Telegram: a bad database file ends the process
        # here, with one line naming it, so a supervisor sees the failure (and restarts or alerts).
        from bot.storage.preflight import check_database  # noqa: PLC0415 - keeps aiosqlite out of --memory runs

        problem = asyncio.run(check_database(settings.db_path))
        if problem is not None:
            print(problem, file=sys.stderr)
            return 1
    runtime.settle()  # everything built so far lives as long as the process
    if console:
        try:
            return asyncio.run(run_console(services, staff=args.staff))
        except KeyboardInterrupt:
            return 0
        except BrokenPipeError:  # the reader left (``| head -5``): nobody to talk to, so no traceback either
            _silence_stdout()
            return 0
    from bot.adapters.telegram import run  # noqa: PLC0415 - the console never needs python-telegram-bot

    return run(services)  # 0, or 1 with one plain line on stderr (a rejected token, a crash)


