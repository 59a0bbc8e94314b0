"""``python -m bot``: staff and developer commands.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds an argparse parser whose
``handler`` default is called with the parsed arguments and returns the exit code.
"""
from __future__ import annotations

import argparse
import importlib
import sys

#: Modules that add subcommands, in the order ``--help`` lists them.
COMMAND_MODULES = ("bot.cli.ask", "bot.cli.kb", "bot.cli.chat", "bot.cli.unanswered", "bot.cli.feedback",
                   "bot.cli.report")


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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `python -m bot ask … | head`
        sys.stderr.close()
        return 0
