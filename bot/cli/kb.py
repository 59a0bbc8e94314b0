"""``python -m bot kb …``: staff tools for the knowledge directory.

Each sub-subcommand is one ``_add_<name>(commands)`` function that adds its parser and handler, listed once in
``SUBCOMMANDS``.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

# Imported for its effect: it registers the `consultations` section, so `kb validate` checks surveys and
# `kb schema` describes them.
import bot.core.feedback.consultations  # noqa: F401
from bot.cli import add_kb_option, kb_upkeep, knowledge_dir
from bot.core.errors import ConfigurationError, KnowledgeBaseInvalid
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.model import BUILTIN_CATEGORIES, KnowledgeBase
from bot.core.knowledge.schema import knowledge_json_schema


def _plural(count: int, word: str, words: str = "") -> str:
    return f"{count} {word if count == 1 else words or word + 's'}"


def summary(kb: KnowledgeBase) -> str:
    """One line saying what a valid knowledge base holds, entries counted by category."""
    counts = kb.counts()
    order = list(BUILTIN_CATEGORIES) + [c for c in counts if c not in BUILTIN_CATEGORIES]
    by_category = ", ".join(f"{category} {counts.get(category, 0)}" for category in order)
    return (f"OK: {_plural(len(kb.entries), 'entry', 'entries')} ({by_category}), "
            f"{_plural(len(kb.synonyms), 'synonym group')}, {_plural(len(kb.consultations), 'consultation')}"
            + (f", {_plural(len(kb.venues), 'venue')}" if kb.venues else ""))


def validate(args: argparse.Namespace) -> int:
    """Load the knowledge directory; print every problem and return 1, or print a summary and return 0."""
    try:
        directory = knowledge_dir(args)
        kb = load_knowledge(directory)
    except ConfigurationError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    except KnowledgeBaseInvalid as invalid:
        for problem in invalid.problems:
            print(problem)
        print(f"{_plural(len(invalid.problems), 'problem')} in {directory}", file=sys.stderr)
        return 1
    print(summary(kb))
    return 0


def schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of a knowledge file, or write it to ``--out FILE``."""
    text = json.dumps(knowledge_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _add_validate(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("validate", help="check every file of the knowledge directory and list all problems",
                                 description="Check the knowledge directory. Prints every problem as FILE:LINE: "
                                             "message and exits 1, or prints a one-line summary and exits 0.")
    add_kb_option(parser)
    parser.set_defaults(handler=validate)


def _add_schema(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("schema", help="print the JSON Schema editors use to check knowledge files",
                                 description="Print the JSON Schema (draft 2020-12) of one knowledge YAML file.")
    parser.add_argument("--out", metavar="FILE", help="write the schema to FILE instead of printing it")
    parser.set_defaults(handler=schema)


#: Adds the ``kb`` sub-subcommands, in the order ``--help`` lists them.
SUBCOMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    _add_validate, _add_schema, kb_upkeep.add_lint, kb_upkeep.add_test)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``kb`` and its sub-subcommands to the ``python -m bot`` parser."""
    kb = subparsers.add_parser("kb", help="tools for the knowledge directory staff edit",
                               description="Tools for the knowledge directory (YAML files staff edit).")
    commands = kb.add_subparsers(dest="kb_command", metavar="SUBCOMMAND", title="subcommands")
    for add in SUBCOMMANDS:
        add(commands)

    def show_help(args: argparse.Namespace) -> int:
        kb.print_help()
        return 2

    kb.set_defaults(handler=show_help)
