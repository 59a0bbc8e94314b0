"""``python -m bot kb test`` and ``python -m bot kb lint``: checks staff run after editing the knowledge directory,
beyond ``kb validate``. ``bot.cli.kb`` lists ``add_test`` and ``add_lint`` in its ``SUBCOMMANDS``."""
from __future__ import annotations

import argparse
import sys

from bot.cli import add_kb_option, knowledge_dir


def _load(args: argparse.Namespace):
    """``(knowledge base of --kb, 0)``, or ``(None, exit code)`` after printing why it cannot be loaded."""
    from bot.core.errors import ConfigurationError, KnowledgeBaseInvalid  # noqa: PLC0415
    from bot.core.knowledge.loader import load_knowledge  # noqa: PLC0415

    try:
        directory = knowledge_dir(args)
        return load_knowledge(directory), 0
    except ConfigurationError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return None, 2
    except KnowledgeBaseInvalid as invalid:
        for problem in invalid.problems:
            print(problem)
        print(f"the knowledge base in {directory} is invalid ({len(invalid.problems)} problems); "
              "fix it first (python -m bot kb validate)", file=sys.stderr)
        return None, 1


def test(args: argparse.Namespace) -> int:
    """Run every regression question through the real matcher; print each failure as
    ``FILE:LINE: "question" → expected X, got Y (score S)`` and return 1 if any failed."""
    from bot.core.staff.regression import run_regression  # noqa: PLC0415

    kb, code = _load(args)
    if kb is None:
        return code
    if not kb.regression:
        print("no regression questions (add a `regression:` section to a knowledge file)", file=sys.stderr)
        return 0
    from bot.cli import matcher_for  # noqa: PLC0415

    failures = run_regression(kb, matcher_for(kb)[0])
    for failure in failures:
        print(failure.describe())
    passed = len(kb.regression) - len(failures)
    print(f"{passed}/{len(kb.regression)} regression questions pass", file=sys.stderr if failures else sys.stdout)
    return 1 if failures else 0


def lint(args: argparse.Namespace) -> int:
    """Print warnings (``FILE:LINE: warning [kind]: message``); return 1 only with ``--strict`` and warnings."""
    from datetime import date  # noqa: PLC0415

    from bot.core.staff.lint import lint as lint_kb  # noqa: PLC0415

    kb, code = _load(args)
    if kb is None:
        return code
    from bot.cli import matcher_for  # noqa: PLC0415

    matcher, model_problem = matcher_for(kb)
    warnings = lint_kb(kb, date.today(), args.max_age_days, matcher)
    if model_problem:
        print(f"warning [model]: {model_problem}; questions are matched on their wording alone, so paraphrases "
              "and English questions on a Chinese-only base are often not answered")
    for warning in warnings:
        print(warning)
    print(f"{len(warnings)} warning{'' if len(warnings) == 1 else 's'}", file=sys.stderr)
    return 1 if warnings and args.strict else 0


def add_test(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "test", help="run the regression questions (question → expected entry) through the matcher",
        description="Run the `regression:` questions of the knowledge directory through the real matcher. Prints "
                    'each failure as FILE:LINE: "question" → expected X, got Y (score S) and exits 1 if any fail.')
    add_kb_option(parser)
    parser.set_defaults(handler=test)


def add_lint(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "lint", help="warn about colliding phrasings, stale entries, incomplete facilities, over-long answers, "
                     "venues no entry links to",
        description="Warnings beyond validation: a phrasing the matcher routes to another entry, entries not "
                    "verified (`updated`) for too long, facilities without hours or coordinates, answers longer "
                    "than one Telegram message, venues no entry links to. Exits 0 unless --strict and there are "
                    "warnings.")
    add_kb_option(parser)
    parser.add_argument("--max-age-days", type=int, default=365, metavar="N",
                        help="warn about entries verified more than N days ago (default 365)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when there is any warning")
    parser.set_defaults(handler=lint)
