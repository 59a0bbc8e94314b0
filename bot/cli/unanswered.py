"""``python -m bot unanswered [--since DATE] [--kb DIR]``: what residents asked that the bot could not answer (or
whose suggestions they rejected), grouped by similarity, most asked first, each with the nearest entry as the
current knowledge base sees it, so staff know which entries to add and which phrasings to attach."""
from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli import add_kb_option, settings_and_knowledge

if TYPE_CHECKING:
    from bot.core.knowledge.model import KnowledgeBase
    from bot.core.staff.unanswered import UnansweredGroup

#: Other wordings shown under each group.
WORDINGS_SHOWN = 3


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {value!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``unanswered`` subcommand."""
    from bot.core.staff.unanswered import DEFAULT_THRESHOLD  # noqa: PLC0415

    parser = subparsers.add_parser(
        "unanswered", help="questions the bot could not answer, grouped, most asked first, with the nearest entry",
        description="Questions residents asked that got no answer or 'none of these', from the database (BOT_DB), "
                    "grouped by similarity, most asked first, each with the entry nearest to it today.")
    add_kb_option(parser)
    parser.add_argument("--since", type=_day, metavar="DATE", help="only questions asked on or after DATE (YYYY-MM-DD)")
    parser.add_argument("--limit", type=int, default=0, metavar="N", help="show only the N most asked groups")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, metavar="0-100",
                        help=f"how similar two questions must be to share a group (default {DEFAULT_THRESHOLD:g})")
    parser.set_defaults(handler=run)


async def _read(db_path: Path, since: datetime | None):
    from bot.storage.audit import SqliteTaughtStore  # noqa: PLC0415
    from bot.storage.database import Database  # noqa: PLC0415
    from bot.storage.residents import SqliteResidentStore  # noqa: PLC0415

    database = Database(db_path)
    await database.open()
    try:
        week = datetime.now(UTC) - timedelta(days=7)
        taught = sum(1 for r in await SqliteTaughtStore(database).taught(week) if r.kind != "undo")
        return await SqliteResidentStore(database).unanswered(since), taught
    finally:
        await database.close()


def run(args: argparse.Namespace) -> int:
    """Read the questions, group them, print the groups; exit 1 when the knowledge base or database is missing."""
    from bot.cli import matcher_for  # noqa: PLC0415
    from bot.core.staff.unanswered import group_unanswered  # noqa: PLC0415

    settings, kb = settings_and_knowledge(args, need_database=True)
    since = datetime.combine(args.since, time.min, UTC) if args.since else None
    questions, taught = asyncio.run(_read(settings.db_path, since))
    groups = group_unanswered(questions, matcher_for(kb)[0], args.threshold)
    period = f" since {args.since.isoformat()}" if args.since else ""
    taught_line = (f"taught this week: {taught} phrasing(s) (python -m bot teach, /teach); "
                   "what they resolved is not listed")
    if not groups:
        print(f"no unanswered questions{period}")
        print(taught_line)
        return 0
    print(f"{len(questions)} unanswered questions{period} in {len(groups)} groups, most asked first:")
    for group in groups[: args.limit or None]:
        print()
        print(format_group(group, kb))
    print()
    print(taught_line)
    return 0


def format_group(group: UnansweredGroup, kb: KnowledgeBase) -> str:
    """Several lines for one group: count and wording, other wordings, why and when, the nearest entry."""
    from bot.core.staff.text import quote  # noqa: PLC0415

    # Residents' text is quoted on one line, cut with "…": one 5,000-character question must not fill the screen.
    lines = [f"{group.count:>4}×  {quote(group.representative)}"]
    others = group.other_wordings(WORDINGS_SHOWN)
    if others:
        lines.append("       also: " + " · ".join(quote(o, 40) for o in others))
    reasons = ", ".join(f"{reason.replace('_', ' ')} {n}" for reason, n in group.reasons.most_common())
    last = group.last_asked.date().isoformat() if group.last_asked else "?"
    lines.append(f"       {reasons} · last asked {last}")
    lines.append(f"       nearest: {_nearest(group, kb)}")
    return "\n".join(lines)


def _nearest(group: UnansweredGroup, kb: KnowledgeBase) -> str:
    result = group.nearest
    entry = kb.get(group.nearest_id) if group.nearest_id else None
    if result is None or entry is None:
        return "none (a new entry is needed)"
    title = entry.title.get("zh-Hant")
    if result.outcome == "answer":
        return f"{entry.id} 「{title}」 now answers it (score {result.score:.1f})"
    how = "suggested" if result.outcome == "suggest" else "closest, not offered"
    score = next((c.score for c in result.candidates if c.entry_id == entry.id), result.score)
    return f"{entry.id} 「{title}」 ({how}, score {score:.1f}): attach the question as a phrasing, or add an entry"
