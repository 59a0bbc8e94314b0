"""``python -m bot report --out DIR [--lang LANG]``: the /stats charts as PNG files plus index.html (Traditional
Chinese unless ``--lang`` says otherwise) with the headline figures — submissions, cases, reply rate, median reply
time, mean rating, helpful share — the most asked unanswered questions and the community rooms' use (a table and
its chart), for staff who report upwards or share the figures outside the chat."""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.cli import add_kb_option, settings_and_knowledge
from bot.cli.feedback import day_start, parse_day
from bot.core.language import DEFAULT_LANG, LANGS, Lang


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand."""
    parser = subparsers.add_parser(
        "report", help="charts (PNG) and an HTML page of the feedback and Q&A figures",
        description="Writes the same charts as /stats as PNG files and index.html showing them with the headline "
                    "figures and the community rooms' use, from the database (BOT_DB).")
    add_kb_option(parser)
    parser.add_argument("--out", metavar="DIR", type=Path, required=True, help="folder to write into (created)")
    parser.add_argument("--since", type=parse_day, metavar="DATE",
                        help="only what happened on or after DATE (YYYY-MM-DD, district time)")
    parser.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG,
                        help=f"language of the page, the charts and their captions (default {DEFAULT_LANG}, the "
                             "knowledge base's)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Read the figures, draw the charts, write the folder; exit 1 when the knowledge base or database is
    missing."""
    from bot.core.knowledge.service import KnowledgeSnapshot  # noqa: PLC0415
    from bot.reports.charts import draw_all  # noqa: PLC0415
    from bot.reports.html import render_page  # noqa: PLC0415

    settings, kb = settings_and_knowledge(args, need_database=True)
    snapshot = KnowledgeSnapshot.build(kb)
    now = datetime.now(UTC)
    stats = asyncio.run(_gather(settings, snapshot, args.since, now, args.lang))
    charts = draw_all(stats)
    args.out.mkdir(parents=True, exist_ok=True)
    for chart in charts:
        (args.out / f"{chart.name}.png").write_bytes(chart.png)
    page = args.out / "index.html"
    page.write_text(render_page(stats, charts, now), encoding="utf-8")
    print(f"wrote {page} and {len(charts)} charts")
    return 0


#: The rooms' table and chart cover this many weeks up to today when no --since is given.
ROOM_WEEKS = 12


async def _gather(settings, snapshot, since: date | None, now: datetime, lang: Lang):
    """The /stats figures with the rooms' use over the period (``Stats.rooms``: the table and the rooms chart draw
    the same ``weekly_usage`` rows), from the bot's database."""
    from bot.core.booking.slots import local_instant  # noqa: PLC0415
    from bot.core.booking.usage import RoomsUse, weekly_usage  # noqa: PLC0415
    from bot.core.dialog.render import text_of  # noqa: PLC0415
    from bot.core.staff.stats import gather  # noqa: PLC0415
    from bot.storage.bookings import SqliteBookingStore  # noqa: PLC0415
    from bot.storage.database import Database  # noqa: PLC0415
    from bot.storage.feedback import SqliteFeedbackStore  # noqa: PLC0415
    from bot.storage.residents import SqliteResidentStore  # noqa: PLC0415

    tz = settings.district_tz
    last = now.astimezone(tz).date()
    first = since or last - timedelta(weeks=ROOM_WEEKS) + timedelta(days=1)
    database = Database(settings.db_path)
    await database.open()
    try:
        stats = await gather(SqliteFeedbackStore(database), SqliteResidentStore(database), snapshot,
                             since=day_start(since), until=now, lang=lang)
        venues = list(snapshot.kb.venues)
        bookings = await SqliteBookingStore(database).bookings(None, local_instant(first, 0, tz),
                                                               local_instant(last, 24 * 60, tz))
    finally:
        await database.close()
    rows = weekly_usage(bookings, venues, tz, first, last, now)
    names = tuple((v.id, text_of(v.name, lang)) for v in venues)
    return dataclasses.replace(stats, rooms=RoomsUse(first, last, names, tuple(rows)))
