"""``python -m bot``: staff and developer commands.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds an argparse parser whose
``handler`` default is called with the parsed arguments and returns the exit code.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

#: Modules that add subcommands, in the order ``--help`` lists them.
COMMAND_MODULES = ("bot.cli.ask", "bot.cli.kb", "bot.cli.chat", "bot.cli.unanswered",
                   "bot.cli.teach", "bot.cli.feedback",
                   "bot.cli.report", "bot.cli.bookings")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Resident-service assistant: knowledge-base tools, questions, feedback and staff reports.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def add_kb_option(parser: argparse.ArgumentParser) -> None:
    """``--kb DIR`` on every command that reads the knowledge base (default: $KNOWLEDGE_DIR, else knowledge/)."""
    parser.add_argument("--kb", metavar="DIR", default=None,
                        help="knowledge directory (default: $KNOWLEDGE_DIR, else knowledge/)")


def knowledge_dir(args: argparse.Namespace) -> Path:
    """The directory a command works on: ``--kb DIR``, else ``$KNOWLEDGE_DIR``, else ``knowledge/``; every
    setting is validated (a bad one raises ``ConfigurationError``)."""
    from bot.settings import Settings  # noqa: PLC0415

    return Settings.from_env().knowledge_dir_for(getattr(args, "kb", None))


class CommandFailed(Exception):
    """A command cannot run (bad setting, invalid knowledge base, no database): ``main`` prints the message to
    stderr and exits with ``code``."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def matcher_for(kb):
    """The matcher every command uses, built as the bot builds it (the meaning-level model and its disk cache,
    ``EMBEDDING_CACHE``, unless ``SEMANTIC_MATCHING=off``), and why the model is not used when it cannot run."""
    from bot.app import embedding_progress, semantic_for  # noqa: PLC0415
    from bot.core.errors import ConfigurationError  # noqa: PLC0415
    from bot.core.matching.matcher import Matcher  # noqa: PLC0415
    from bot.settings import Settings  # noqa: PLC0415

    try:
        semantic, problem = semantic_for(Settings.from_env())
    except ConfigurationError as error:
        raise CommandFailed(2, f"configuration error: {error}") from None
    return Matcher(kb, semantic=semantic, progress=embedding_progress), problem


def settings_and_knowledge(args: argparse.Namespace, *, need_database: bool = False):
    """The settings and the validated knowledge base (``--kb`` wins over ``KNOWLEDGE_DIR``) that staff commands
    work on; with ``need_database``, also check that the bot's database file (``BOT_DB``) exists."""
    from bot.core.errors import ConfigurationError, KnowledgeBaseInvalid  # noqa: PLC0415
    from bot.core.knowledge.loader import load_knowledge  # noqa: PLC0415
    from bot.settings import Settings  # noqa: PLC0415

    try:
        settings = Settings.from_env()
    except ConfigurationError as error:
        raise CommandFailed(2, f"configuration error: {error}") from None
    directory = settings.knowledge_dir_for(getattr(args, "kb", None))
    try:
        kb = load_knowledge(directory)
    except KnowledgeBaseInvalid as invalid:
        raise CommandFailed(1, f"The knowledge base in {directory} has mistakes (python -m bot kb validate):\n"
                               f"{invalid.report()}") from None
    if need_database and not settings.db_path.is_file():
        raise CommandFailed(1, f"no database at {settings.db_path} (set BOT_DB to the bot's database file)")
    return settings, kb


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except CommandFailed as failed:
        print(failed, file=sys.stderr)
        return failed.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `python -m bot ask … | head`
        sys.stderr.close()
        return 0
