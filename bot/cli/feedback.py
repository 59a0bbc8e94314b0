"""``python -m bot feedback export``: every submission (and case) from the database as CSV, XLSX or JSON — one row
per submission, one column per question, plus a codebook — for staff to analyse in a spreadsheet.

Contact details stay out unless ``--include-contact``; residents appear only as ``resident_hash`` (HMAC with
``EXPORT_SALT``). Each export is written to the audit log as ``export`` by ``cli``: it is run by staff on the
server, where no chat identity exists.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path

from bot.cli import add_kb_option, settings_and_knowledge

#: The audit log's "who" for actions taken on the server's command line.
CLI_USER = "cli"
EXPORT_ACTION = "export"


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {value!r}") from None


def day_start(day: date | None) -> datetime | None:
    """00:00 of ``day`` in district time (UTC+8), as staff mean a date."""
    from bot.core.staff.digest import DISTRICT_TZ  # noqa: PLC0415

    return datetime.combine(day, time.min, DISTRICT_TZ) if day else None


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``feedback export``."""
    parser = subparsers.add_parser("feedback", help="policy feedback: export submissions for analysis",
                                   description="Policy feedback from the database (BOT_DB).")
    actions = parser.add_subparsers(dest="feedback_command", metavar="ACTION", title="actions")
    export = actions.add_parser(
        "export", help="submissions as CSV, XLSX or JSON with a codebook",
        description="One row per submission (and case), one column per question (multiple choice: one 0/1 column "
                    "per option), reference, consultation, date, status, reply time, rating and a keyed hash of "
                    "the resident; a codebook describes every column. CSV is UTF-8 with BOM for Excel; its "
                    "codebook goes to NAME.codebook.csv beside it.")
    add_kb_option(export)
    export.add_argument("--format", choices=("csv", "xlsx", "json"), default="csv", help="file format (default csv)")
    export.add_argument("--since", type=parse_day, metavar="DATE",
                        help="only submissions received on or after DATE (YYYY-MM-DD, district time)")
    export.add_argument("--consultation", metavar="ID", help="only this consultation (cases are left out)")
    export.add_argument("--out", metavar="FILE", type=Path,
                        help="where to write (default feedback-YYYYMMDD[-ID].FORMAT in this folder)")
    export.add_argument("--include-contact", action="store_true",
                        help="add the contact details residents consented to leave (personal data: handle with care)")
    export.set_defaults(handler=run_export)
    parser.set_defaults(handler=lambda args: (parser.print_help(), 2)[1])


def run_export(args: argparse.Namespace) -> int:
    """Export, record the audit entry, say where the files are; exit 1 on a missing database or knowledge base,
    or an unknown consultation."""

    settings, kb = settings_and_knowledge(args, need_database=True)
    now = datetime.now(UTC)
    out = args.out or Path(f"feedback-{now:%Y%m%d}{'-' + args.consultation if args.consultation else ''}"
                           f".{args.format}")
    return asyncio.run(_export(settings, kb, args, out, now))


async def _export(settings, kb, args: argparse.Namespace, out: Path, now: datetime) -> int:
    from bot.core.staff.ports import AuditRecord  # noqa: PLC0415
    from bot.reports.export import export_feedback  # noqa: PLC0415
    from bot.storage.audit import SqliteAuditStore  # noqa: PLC0415
    from bot.storage.database import Database  # noqa: PLC0415
    from bot.storage.feedback import SqliteFeedbackStore  # noqa: PLC0415

    database = Database(settings.db_path)
    await database.open()
    try:
        store = SqliteFeedbackStore(database)
        since = day_start(args.since)
        if args.consultation and not any(c.id == args.consultation for c in kb.consultations) \
                and not await store.submissions(since, args.consultation, limit=1):
            known = ", ".join(c.id for c in kb.consultations) or "none"
            print(f"no consultation {args.consultation!r} (known: {known})", file=sys.stderr)
            return 1
        result = await export_feedback(store, kb, out, args.format, since=since, consultation_id=args.consultation,
                                       include_contact=args.include_contact, salt=settings.export_salt, now=now)
        detail = (f"{args.format}, {result.rows} rows → {out}; consultation={args.consultation or 'all'}; "
                  f"since={args.since.isoformat() if args.since else 'all'}; "
                  f"contact {'included' if args.include_contact else 'excluded'}")
        await SqliteAuditStore(database).record(AuditRecord(now, CLI_USER, EXPORT_ACTION, detail))
    finally:
        await database.close()
    print(f"wrote {result.rows} submissions to {' and '.join(str(f) for f in result.files)}")
    if not result.hashed:
        print("warning: EXPORT_SALT is not set, so the resident column is empty; set it to a long random secret "
              "to get stable pseudonyms", file=sys.stderr)
    return 0
