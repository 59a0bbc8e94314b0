"""``python -m bot bookings export|usage``: the bookings schedule (CSV, XLSX, iCalendar) and the usage figures
(CSV) from the database, thin over ``bot.reports.bookings`` and ``bot.core.booking.usage``.

Times are in the district's time zone (``DISTRICT_TZ``). No export carries a resident's key or contact. Each run is
written to the audit log as ``export`` by ``cli``, like ``feedback export``.
"""
from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bot.cli import CommandFailed, add_kb_option, settings_and_knowledge
from bot.cli.feedback import CLI_USER, EXPORT_ACTION, parse_day


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bookings", help="venue bookings: export the schedule, usage figures",
                                   description="Bookings of community venues from the database (BOT_DB).")
    actions = parser.add_subparsers(dest="bookings_command", metavar="ACTION", title="actions")
    export = actions.add_parser(
        "export", help="the schedule as CSV, XLSX or iCalendar",
        description="One row per booking (reference, venue, date, start, end, status, kind of applicant, unit, "
                    "purpose, people, price); times in DISTRICT_TZ. CSV is UTF-8 with BOM for Excel. ICS: one "
                    "calendar per venue (with --venue, the file --out; without, one VENUE.ics per venue in the "
                    "folder --out) that calendar apps can subscribe to.")
    add_kb_option(export)
    export.add_argument("--format", choices=("csv", "xlsx", "ics"), default="csv", help="file format (default csv)")
    export.add_argument("--venue", metavar="ID", help="only this venue")
    export.add_argument("--since", type=parse_day, metavar="DATE",
                        help="only bookings starting on or after DATE (YYYY-MM-DD, district time)")
    export.add_argument("--out", metavar="PATH", type=Path,
                        help="where to write (default bookings-YYYYMMDD[-VENUE].FORMAT, or a folder for ICS)")
    export.set_defaults(handler=run_export)
    usage = actions.add_parser(
        "usage", help="hours booked / hours open per venue per week, by kind of applicant, no-shows, free vs paid",
        description="Usage per venue per ISO week as CSV: hours open, hours booked (confirmed and no-show), "
                    "utilisation, hours by kind of applicant, free and paid hours, no-show rate, pending requests.")
    add_kb_option(usage)
    usage.add_argument("--venue", metavar="ID", help="only this venue")
    usage.add_argument("--since", type=parse_day, metavar="DATE", help="first date (default: 12 weeks ago)")
    usage.add_argument("--until", type=parse_day, metavar="DATE", help="last date (default: today)")
    usage.add_argument("--out", metavar="FILE", type=Path, help="where to write (default usage-YYYYMMDD.csv)")
    usage.set_defaults(handler=run_usage)
    parser.set_defaults(handler=lambda args: (parser.print_help(), 2)[1])


def _check_venue(kb, venue_id: str | None) -> None:
    if venue_id is not None and kb.venue(venue_id) is None:
        known = ", ".join(v.id for v in kb.venues) or "none"
        raise CommandFailed(1, f"no venue {venue_id!r} (known: {known})")


def run_export(args: argparse.Namespace) -> int:
    settings, kb = settings_and_knowledge(args, need_database=True)
    _check_venue(kb, args.venue)
    now = datetime.now(UTC)
    suffix = f"-{args.venue}" if args.venue else ""
    out = args.out or Path(f"bookings-{now:%Y%m%d}{suffix}" + ("" if args.format == "ics" and not args.venue
                                                                else f".{args.format}"))
    return asyncio.run(_export(settings, kb, args, out, now))


async def _open(settings):
    from bot.storage.database import Database  # noqa: PLC0415

    database = Database(settings.db_path)
    await database.open()
    return database


async def _audit(database, now: datetime, detail: str) -> None:
    from bot.core.staff.ports import AuditRecord  # noqa: PLC0415
    from bot.storage.audit import SqliteAuditStore  # noqa: PLC0415

    await SqliteAuditStore(database).record(AuditRecord(now, CLI_USER, EXPORT_ACTION, detail))


async def _export(settings, kb, args: argparse.Namespace, out: Path, now: datetime) -> int:
    from bot.reports.bookings import export_schedule  # noqa: PLC0415
    from bot.storage.bookings import SqliteBookingStore  # noqa: PLC0415

    tz = settings.district_tz
    database = await _open(settings)
    try:
        since = datetime.combine(args.since, time.min, tz) if args.since else None
        bookings = await SqliteBookingStore(database).bookings(args.venue, since)
        result = export_schedule(bookings, kb, out, args.format, tz, now, args.venue)
        await _audit(database, now, f"bookings {args.format}, {result.rows} rows → {out}; "
                                    f"venue={args.venue or 'all'}; since={args.since or 'all'}")
    finally:
        await database.close()
    print(f"wrote {result.rows} bookings to "
          f"{', '.join(str(f) for f in result.files) if len(result.files) < 4 else out}")
    return 0


def run_usage(args: argparse.Namespace) -> int:
    settings, kb = settings_and_knowledge(args, need_database=True)
    _check_venue(kb, args.venue)
    now = datetime.now(UTC)
    return asyncio.run(_usage(settings, kb, args, args.out or Path(f"usage-{now:%Y%m%d}.csv"), now))


async def _usage(settings, kb, args: argparse.Namespace, out: Path, now: datetime) -> int:
    from bot.core.booking.usage import weekly_usage  # noqa: PLC0415
    from bot.reports.bookings import USAGE_HEADER, usage_rows, write_csv  # noqa: PLC0415
    from bot.storage.bookings import SqliteBookingStore  # noqa: PLC0415

    tz = settings.district_tz
    last: date = args.until or now.astimezone(tz).date()
    first: date = args.since or last - timedelta(weeks=12)
    venues = [v for v in kb.venues if args.venue in (None, v.id)]
    database = await _open(settings)
    try:
        bookings = await SqliteBookingStore(database).bookings(
            args.venue, datetime.combine(first, time.min, tz), datetime.combine(last + timedelta(days=1), time.min, tz))
        rows = weekly_usage(bookings, venues, tz, first, last, now)
        count = write_csv(out, USAGE_HEADER, usage_rows(rows))
        await _audit(database, now, f"booking usage csv, {count} rows → {out}; venue={args.venue or 'all'}; "
                                    f"{first}..{last}")
    finally:
        await database.close()
    print(f"wrote {count} venue-weeks ({first} to {last}) to {out}")
    return 0
