"""``python -m bot ask [--kb DIR] [--json] QUESTION...``: ask the knowledge base from the command line.

Each argument is one question; ``-`` as the only argument reads one question per line from stdin (blank lines
are skipped), loading the knowledge base once. ``--json`` prints exactly one JSON object per question, one per
line, in order: ``{"query", "answer_id", "score", "suggestions"}`` (a contract: tests outside this repository
rely on it). Without ``--json`` it prints what a resident would see, in the resident's script.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli import add_kb_option

if TYPE_CHECKING:
    from bot.core.knowledge.model import KnowledgeBase
    from bot.core.matching.result import MatchResult


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ask`` subcommand."""
    parser = subparsers.add_parser(
        "ask", help="answer questions from the knowledge base (one JSON line each with --json)",
        description="Answer questions from the knowledge base as the bot would. Each argument is one question; "
                    "'-' alone reads one question per line from stdin.")
    add_kb_option(parser)
    parser.add_argument("--json", action="store_true",
                        help='print one JSON object per question: {"query", "answer_id", "score", "suggestions"}')
    parser.add_argument("questions", nargs="+", metavar="QUESTION", help="a question, or '-' to read stdin")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Load the knowledge base once, then answer every question in order."""
    # Imported here so `python -m bot --help` does not pay for YAML, OpenCC and the index.
    from bot.cli import matcher_for  # noqa: PLC0415
    from bot.core.errors import KnowledgeBaseInvalid  # noqa: PLC0415
    from bot.core.knowledge.loader import load_knowledge  # noqa: PLC0415

    directory = knowledge_dir(args.kb)
    try:
        kb = load_knowledge(directory)
    except KnowledgeBaseInvalid as invalid:
        print(f"The knowledge base in {directory} has mistakes:", file=sys.stderr)
        print(invalid.report(), file=sys.stderr)
        return 1
    matcher, _ = matcher_for(kb)
    for number, question in enumerate(_questions(args.questions)):
        result = matcher.match(question)
        if args.json:
            print(json.dumps(as_json(result), ensure_ascii=False), flush=True)
        else:
            # flush per question: a program feeding stdin line by line sees each reply as it is ready
            print(("\n" if number else "") + for_resident(result, kb), flush=True)
    return 0


def knowledge_dir(cli_value: str | None) -> Path:
    """``--kb DIR``, else ``KNOWLEDGE_DIR`` (environment, then ``.env``), else the bundled ``knowledge/``; no other
    setting is read, so a bad unrelated one does not stop a question."""
    from bot.settings import knowledge_dir_from, read_env  # noqa: PLC0415

    return Path(cli_value) if cli_value else knowledge_dir_from(read_env())


def _questions(arguments: list[str]) -> Iterator[str]:
    """The questions to answer: the arguments, or stdin's non-blank lines when the only argument is ``-``."""
    if arguments == ["-"]:
        for line in sys.stdin:
            line = line.strip()
            if line:
                yield line
    else:
        yield from arguments


def as_json(result: MatchResult) -> dict:
    """The ``--json`` contract for one question."""
    return {
        "query": result.query,
        "answer_id": result.answer_id,
        "score": float(result.score),
        "suggestions": list(result.suggestions),
    }


def for_resident(result: MatchResult, kb: KnowledgeBase) -> str:
    """Plain text of what a resident would be told, in the script they wrote in (the dialog renders the richer
    chat reply with buttons, contacts and maps)."""
    from bot.core.i18n import texts_for  # noqa: PLC0415
    from bot.core.language import choose_lang  # noqa: PLC0415
    from bot.core.matching.smalltalk import small_talk  # noqa: PLC0415

    lang = choose_lang(result.query, None, None)
    texts = texts_for(lang)
    talk = small_talk(result.query)
    if talk is not None:  # 你好 / thanks: what the chat says to them, not "not found"
        return texts(f"smalltalk.{talk}")
    if result.answer_id is not None:
        entry = kb.get(result.answer_id)
        if entry is not None:
            return f"{entry.title.get(lang)}\n{entry.answer.get(lang).strip()}"
    if result.suggestions:
        lines = [texts("suggest")]
        for number, entry_id in enumerate(result.suggestions, 1):
            entry = kb.get(entry_id)
            lines.append(f"{number}. {entry.title.get(lang) if entry else entry_id}")
        return "\n".join(lines)
    return texts("not_found")
