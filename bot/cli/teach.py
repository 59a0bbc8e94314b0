"""``python -m bot teach``: what ``/teach`` does in the chat, from a terminal, through the same library
(``bot.core.staff.teach.Teacher``): list the open unanswered groups, attach a question to an entry, add a new
entry, ignore a group, undo the newest teach. Every write is gated (validate, regression questions, collisions)
and written to the audit log and the taught table of the bot's database (``BOT_DB``) when it exists; a running bot
picks the edited file up with its file watcher (the same checks again)."""
from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from bot.cli import CommandFailed, add_kb_option


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``teach`` subcommand and its verbs."""
    parser = subparsers.add_parser(
        "teach", help="turn unanswered questions into phrasings or new entries (written into the YAML, gated)",
        description="Unanswered questions become phrasings of an entry or new entries, written into the knowledge "
                    "files (comments and layout kept), after validation and the regression questions.")
    add_kb_option(parser)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    verbs.add_parser("list", help="open unanswered groups, numbered, with the nearest entries")
    attach = verbs.add_parser("attach", help="add QUESTION as a phrasing of ENTRY (or: N, a group of `list`)")
    attach.add_argument("entry", metavar="ENTRY")
    attach.add_argument("question", metavar="QUESTION|N")
    new = verbs.add_parser("new", help="add a new entry for QUESTION (or group N) with ANSWER")
    new.add_argument("question", metavar="QUESTION|N")
    new.add_argument("--answer", required=True)
    new.add_argument("--category", help="default: the nearest entry's")
    new.add_argument("--title", help="default: the question")
    new.add_argument("--id", dest="entry_id", help="default: drafted in the category's style")
    ignore = verbs.add_parser("ignore", help="group N of `list` is off-topic: it leaves the list")
    ignore.add_argument("group", type=int, metavar="N")
    verbs.add_parser("undo", help="take back the newest teach (refused if its file was edited since)")
    parser.set_defaults(handler=run)


async def _session(args: argparse.Namespace) -> int:
    from bot.app import matcher_factory  # noqa: PLC0415
    from bot.cli import settings_and_knowledge  # noqa: PLC0415
    from bot.core.knowledge.service import KnowledgeService  # noqa: PLC0415
    from bot.core.memory_store import MemoryResidentStore  # noqa: PLC0415
    from bot.core.staff.memory import MemoryAuditStore, MemoryTaughtStore  # noqa: PLC0415
    from bot.core.staff.reload import KnowledgeReloader  # noqa: PLC0415
    from bot.core.staff.teach import Teacher  # noqa: PLC0415
    from bot.core.staff.tools import utc_now  # noqa: PLC0415

    settings, _ = settings_and_knowledge(args)
    knowledge = KnowledgeService(settings.knowledge_dir_for(args.kb), matcher_factory=matcher_factory(settings))
    database = None
    if settings.db_path.is_file():
        from bot.storage.audit import SqliteAuditStore, SqliteTaughtStore  # noqa: PLC0415
        from bot.storage.database import Database  # noqa: PLC0415
        from bot.storage.residents import SqliteResidentStore  # noqa: PLC0415

        database = Database(settings.db_path)
        await database.open()
        residents = SqliteResidentStore(database)
        audit, taught = SqliteAuditStore(database), SqliteTaughtStore(database)
    else:
        print(f"no database at {settings.db_path} (BOT_DB): no unanswered questions, and this teach is not "
              "recorded in the audit log", file=sys.stderr)
        residents, audit, taught = MemoryResidentStore(), MemoryAuditStore(), MemoryTaughtStore()
    teacher = Teacher(knowledge, KnowledgeReloader(knowledge, audit, utc_now), residents, audit, taught, utc_now)
    try:
        return await _verb(args, teacher, f"cli:{getpass.getuser()}")
    finally:
        if database is not None:
            await database.close()


async def _verb(args: argparse.Namespace, teacher, who: str) -> int:
    from bot.cli.unanswered import format_group  # noqa: PLC0415
    from bot.core.knowledge.writer import EntryDraft  # noqa: PLC0415
    from bot.core.staff.teach import draft_entry  # noqa: PLC0415
    from bot.core.staff.text import quote  # noqa: PLC0415

    groups = await teacher.groups()
    kb = teacher.knowledge.current.kb
    if args.verb == "list":
        print(f"{len(groups)} open groups; taught this week: {await teacher.taught_this_week()}")
        for number, group in enumerate(groups, 1):
            print(f"\n[{number}]")
            print(format_group(group, kb))
        return 0
    if args.verb == "undo":
        taught = await teacher.undo(who)
        print(f"undone: the newest teach ({taught.entry_id}, {taught.file}); the previous version is live")
        return 0

    def group_of(value: str):
        if value.isdigit() and 1 <= int(value) <= len(groups):
            return groups[int(value) - 1]
        if value.isdigit():
            raise CommandFailed(2, f"no group {value}: `python -m bot teach list` shows {len(groups)}")
        return None

    if args.verb == "ignore":
        group = group_of(str(args.group))
        await teacher.ignore(who, list(group.wordings))
        print(f"ignored: {quote(group.representative)}")
        return 0
    group = group_of(args.question)
    question = group.representative if group else args.question.strip()
    resolves = list(group.wordings) if group else [question]
    if args.verb == "attach":
        taught = await teacher.attach(who, args.entry, [question], resolves)
    else:
        if group is None:
            from bot.core.ports import UnansweredQuestion  # noqa: PLC0415
            from bot.core.staff.unanswered import group_unanswered  # noqa: PLC0415

            group = group_unanswered([UnansweredQuestion(question, "cli", "zh-Hant", None, teacher.clock())],
                                     teacher.knowledge.current.matcher)[0]
        draft = draft_entry(group, kb, args.answer)
        draft = EntryDraft(args.entry_id or draft.id, args.category or draft.category, args.title or draft.title,
                           draft.questions, args.answer)
        taught = await teacher.create(who, draft, resolves)
    print(describe(taught, question, teacher.knowledge.current.kb))
    return 0


def describe(taught, question: str, kb) -> str:
    """"「…」 now answers 失業登記" in the terminal's words."""
    from bot.core.staff.text import quote  # noqa: PLC0415

    verdict = taught.verdict
    title = lambda entry_id: kb.get(entry_id).title.get("zh-Hant") if kb.get(entry_id) else entry_id  # noqa: E731
    where = f"written to {taught.file}, live {taught.seconds:.2f} s after the command"
    if verdict is not None and verdict.outcome == "answer":
        return f"「{quote(question)}」 now answers {title(verdict.answer_id)} ({verdict.answer_id}); {where}"
    if verdict is not None and verdict.suggestions:
        return (f"「{quote(question)}」 now suggests {title(verdict.suggestions[0])} first "
                f"(not answered directly); {where}")
    return f"{where}; but 「{quote(question)}」 still gets no direct answer"


def run(args: argparse.Namespace) -> int:
    """Run one verb; a refused teach prints why (the files are unchanged) and exits 1."""
    from bot.core.errors import TeachRefused  # noqa: PLC0415
    from bot.core.i18n import texts_for  # noqa: PLC0415

    try:
        return asyncio.run(_session(args))
    except TeachRefused as refused:
        t = texts_for("en")
        raise CommandFailed(1, "not taught, the files are unchanged: "
                           + t(refused.text_key, **refused.params)) from None
