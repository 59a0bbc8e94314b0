"""The bookings schedule as CSV, XLSX or iCalendar, and the usage figures as CSV — for staff spreadsheets and the
calendar apps that subscribe to a venue.

- CSV is UTF-8 with BOM and XLSX is written by openpyxl in write-only mode, every cell through
  ``export.safe_cell`` (no formula runs, no control character), times in the district's time zone.
- ICS (``icalendar``): one calendar per venue, one event per booking with the reference as its UID, so a
  subscribed calendar updates in place; declined and cancelled bookings stay as ``STATUS:CANCELLED`` events (a
  subscriber removes them), pending ones are ``TENTATIVE``.

No export carries the resident's key or contact: a row is what staff need to run the room.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Literal

from bot.core.booking.model import Booking
from bot.core.booking.usage import WeekUsage
from bot.core.knowledge.model import KnowledgeBase
from bot.reports.export import safe_cell

Format = Literal["csv", "xlsx", "ics"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "ics")
HEADER = ("reference", "venue", "venue_name", "date", "start", "end", "status", "applicant", "unit_name", "purpose",
          "people", "price_yuan", "requested_at", "reason")
USAGE_HEADER = ("venue", "week", "hours_open", "hours_booked", "utilisation", "hours_resident", "hours_group",
                "hours_unit", "free_hours", "paid_hours", "bookings", "no_shows", "no_show_rate", "pending",
                "revenue_yuan")
ICS_STATUS = {"pending": "TENTATIVE", "confirmed": "CONFIRMED", "no_show": "CONFIRMED", "declined": "CANCELLED",
              "cancelled": "CANCELLED"}
PRODID = "-//district-bot//bookings//ZH"


@dataclass(frozen=True, slots=True)
class ExportResult:
    rows: int
    files: tuple[Path, ...]


def _name(kb: KnowledgeBase, venue_id: str) -> str:
    venue = kb.venue(venue_id)
    return venue.name.get("zh-Hant") if venue is not None else venue_id


def schedule_rows(bookings: Iterable[Booking], kb: KnowledgeBase, tz: tzinfo) -> Iterable[tuple]:
    for b in bookings:
        start, end = b.slot.start.astimezone(tz), b.slot.end.astimezone(tz)
        yield (b.reference, b.venue_id, _name(kb, b.venue_id), start.date().isoformat(), start.strftime("%H:%M"),
               end.strftime("%H:%M") if end.date() == start.date() else "24:00", b.status, b.applicant,
               b.unit_name or "", b.purpose, b.people, b.price_cents / 100,
               b.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), b.reason or "")


def write_csv(out: Path, header: Sequence[str], rows: Iterable[tuple]) -> int:
    count = 0
    with out.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
            count += 1
    return count


def write_xlsx(out: Path, sheet: str, header: Sequence[str], rows: Iterable[tuple]) -> int:
    from openpyxl import Workbook  # noqa: PLC0415 - only exports need it

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append(list(header))
    count = 0
    for row in rows:
        ws.append([safe_cell(v) for v in row])
        count += 1
    book.save(out)
    return count


def calendar(venue_id: str, bookings: Iterable[Booking], kb: KnowledgeBase, tz: tzinfo, now: datetime) -> bytes:
    """One venue's bookings as an iCalendar file (times in UTC, the district's zone named for display)."""
    from icalendar import Calendar, Event  # noqa: PLC0415

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _name(kb, venue_id))
    cal.add("x-wr-timezone", str(tz))
    for b in bookings:
        event = Event()
        event.add("uid", f"{b.reference}@district-bot")
        event.add("dtstamp", now)
        event.add("dtstart", b.slot.start)
        event.add("dtend", b.slot.end)
        event.add("summary", b.purpose)
        event.add("status", ICS_STATUS[b.status])
        who = {"resident": "居民", "group": "居民團隊", "unit": "單位"}[b.applicant]
        lines = [f"{b.reference}", f"{who}{'：' + b.unit_name if b.unit_name else ''}", f"{b.people} 人",
                 f"狀態 {b.status}"]
        if b.reason:
            lines.append(f"原因：{b.reason}")
        event.add("description", "\n".join(lines))
        event.add("last-modified", b.updated_at)
        cal.add_component(event)
    return cal.to_ical()


def export_schedule(bookings: Sequence[Booking], kb: KnowledgeBase, out: Path, fmt: Format, tz: tzinfo,
                    now: datetime, venue_id: str | None = None) -> ExportResult:
    """Write ``bookings`` to ``out``. CSV/XLSX: one file. ICS: ``out`` is the file when ``venue_id`` is given, else
    a folder that gets one ``VENUE.ics`` per venue (every venue of the knowledge base, and any other with
    bookings)."""
    if fmt == "csv":
        return ExportResult(write_csv(out, HEADER, schedule_rows(bookings, kb, tz)), (out,))
    if fmt == "xlsx":
        return ExportResult(write_xlsx(out, "bookings", HEADER, schedule_rows(bookings, kb, tz)), (out,))
    if venue_id is not None:
        out.write_bytes(calendar(venue_id, [b for b in bookings if b.venue_id == venue_id], kb, tz, now))
        return ExportResult(len(bookings), (out,))
    out.mkdir(parents=True, exist_ok=True)
    ids = [v.id for v in kb.venues] + sorted({b.venue_id for b in bookings} - {v.id for v in kb.venues})
    files = []
    for vid in ids:
        path = out / f"{vid}.ics"
        path.write_bytes(calendar(vid, [b for b in bookings if b.venue_id == vid], kb, tz, now))
        files.append(path)
    return ExportResult(len(bookings), tuple(files))


def usage_rows(rows: Iterable[WeekUsage]) -> Iterable[tuple]:
    for r in rows:
        yield (r.venue_id, r.week.isoformat(), round(r.hours_open, 2), round(r.hours_booked, 2),
               round(r.utilisation, 4) if r.utilisation is not None else "", round(r.by_applicant["resident"], 2),
               round(r.by_applicant["group"], 2), round(r.by_applicant["unit"], 2), round(r.free_hours, 2),
               round(r.paid_hours, 2), r.bookings, r.no_shows,
               round(r.no_show_rate, 4) if r.no_show_rate is not None else "", r.pending, r.revenue_cents / 100)
