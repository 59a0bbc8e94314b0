"""Usage figures (hours booked / hours open per venue per week, by applicant, no-shows, free vs paid) and
``python -m bot bookings export|usage`` as CSV (BOM, formula guard), XLSX and iCalendar."""
from __future__ import annotations

import asyncio
import csv
from datetime import UTC, date, datetime, timedelta

import pytest
from booking_helpers import TZ, at, new_booking, venue
from icalendar import Calendar
from openpyxl import load_workbook

from bot.cli import main
from bot.core.booking.model import Booking
from bot.core.booking.usage import totals, weekly_usage
from bot.storage.bookings import SqliteBookingStore
from bot.storage.database import Database

MON = date(2026, 7, 6)
HALL = "jishan-rehearsal-hall"  # sample venue: daily 08:30-21:00, 150-minute slots


def booked(reference, start, status="confirmed", applicant="resident", price=0, vid="hall", minutes=150) -> Booking:
    b = new_booking(reference, start, minutes=minutes, vid=vid, applicant=applicant, price_cents=price)
    return Booking(reference=b.reference, user=b.user, venue_id=b.venue_id, slot=b.slot, status=status,
                   applicant=b.applicant, purpose=b.purpose, people=b.people, price_cents=b.price_cents,
                   created_at=b.created_at, updated_at=b.created_at)


def test_weekly_usage_figures():
    hall = venue(closed=[MON + timedelta(days=2)])  # open 12.5 h a day, 6 days that week
    rows = weekly_usage([
        booked("BK-1", at(MON, 8, 30), applicant="group"),
        booked("BK-2", at(MON, 11), status="no_show", price=5000),
        booked("BK-3", at(MON + timedelta(days=1), 8, 30), applicant="unit", price=5000),
        booked("BK-4", at(MON + timedelta(days=1), 11), status="pending"),
        booked("BK-5", at(MON + timedelta(days=1), 13, 30), status="cancelled"),
        booked("BK-6", at(MON + timedelta(days=7), 8, 30)),  # the next week
        booked("BK-7", at(MON - timedelta(days=1), 8, 30)),  # before the range
    ], [hall], TZ, MON, MON + timedelta(days=8), now=at(MON + timedelta(days=1), 10))
    first, second = rows
    assert (first.venue_id, first.week, first.hours_open, first.hours_booked) == ("hall", MON, 75.0, 7.5)
    assert first.by_applicant == {"resident": 2.5, "group": 2.5, "unit": 2.5}
    assert (first.free_hours, first.paid_hours, first.revenue_cents) == (2.5, 5.0, 10000)
    assert (first.bookings, first.ended, first.no_shows, first.no_show_rate, first.pending) == (3, 2, 1, 0.5, 1)
    assert first.utilisation == 0.1
    assert (second.week, second.hours_open, second.hours_booked, second.no_show_rate) == (MON + timedelta(days=7),
                                                                                          25.0, 2.5, None)
    total = totals(rows)["hall"]
    assert (total.hours_open, total.hours_booked, total.bookings) == (100.0, 10.0, 4)


@pytest.fixture
def database_with_bookings(tmp_path, monkeypatch):
    path = tmp_path / "bot.sqlite3"

    async def fill():
        db = Database(path)
        await db.open()
        store = SqliteBookingStore(db)
        day = date(2026, 7, 3)
        await store.add(new_booking("BK-A", at(day, 8, 30), vid=HALL, purpose="=HYPERLINK(\"x\")",
                                    applicant="unit", unit_name="舞蹈隊, 第二隊"), 9, at(day, 0))
        await store.add(new_booking("BK-B", at(day, 18, 30), vid=HALL, status="confirmed", price_cents=5000,
                                    user="tg:2"), 9, at(day, 0))
        await store.add(new_booking("BK-C", at(day, 9), vid="zhengda-gym", minutes=60), 9, at(day, 0))
        await store.set_status("BK-B", ("confirmed",), "cancelled", at(day, 1))
        await db.close()

    asyncio.run(fill())
    monkeypatch.setenv("BOT_DB", str(path))
    monkeypatch.setenv("SEMANTIC_MATCHING", "off")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_export_csv_with_bom_and_formula_guard(database_with_bookings, capsys):
    out = database_with_bookings / "b.csv"
    assert main(["bookings", "export", "--format", "csv", "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:7] == ["reference", "venue", "venue_name", "date", "start", "end", "status"]
    assert [r[0] for r in rows[1:]] == ["BK-A", "BK-C", "BK-B"], "by start"
    a = rows[1]
    assert a[2:7] == ["積善社區排練廳", "2026-07-03", "08:30", "11:00", "pending"]
    assert (a[7], a[8], a[9]) == ("unit", "舞蹈隊, 第二隊", "'=HYPERLINK(\"x\")")
    assert "tg:" not in raw.decode("utf-8-sig") and "138" not in raw.decode("utf-8-sig")
    assert main(["bookings", "export", "--venue", "zhengda-gym", "--since", "2026-07-03", "--out", str(out)]) == 0
    assert [r[0] for r in csv.reader(out.read_text(encoding="utf-8-sig").splitlines())][1:] == ["BK-C"]
    assert main(["bookings", "export", "--venue", "nope"]) == 1
    assert "no venue 'nope'" in capsys.readouterr().err


def test_export_xlsx_and_ics(database_with_bookings):
    xlsx = database_with_bookings / "b.xlsx"
    assert main(["bookings", "export", "--format", "xlsx", "--out", str(xlsx)]) == 0
    sheet = load_workbook(xlsx, read_only=True)["bookings"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "reference" and values[1][0] == "BK-A" and values[1][9] == "'=HYPERLINK(\"x\")"

    ics = database_with_bookings / "hall.ics"
    assert main(["bookings", "export", "--format", "ics", "--venue", HALL, "--out", str(ics)]) == 0
    cal = Calendar.from_ical(ics.read_bytes())
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"BK-A@district-bot", "BK-B@district-bot"}
    a = events["BK-A@district-bot"]
    assert a.decoded("dtstart") == datetime(2026, 7, 3, 0, 30, tzinfo=UTC)
    assert (str(a["status"]), str(events["BK-B@district-bot"]["status"])) == ("TENTATIVE", "CANCELLED")
    assert str(cal["x-wr-calname"]) == "積善社區排練廳"

    folder = database_with_bookings / "calendars"
    assert main(["bookings", "export", "--format", "ics", "--out", str(folder)]) == 0
    assert (folder / "zhengda-gym.ics").is_file() and len(list(folder.glob("*.ics"))) >= 11


def test_usage_cli_writes_weekly_figures(database_with_bookings):
    out = database_with_bookings / "usage.csv"
    assert main(["bookings", "usage", "--venue", HALL, "--since", "2026-06-29", "--until", "2026-07-05",
                 "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == 1
    assert (rows[0]["week"], rows[0]["hours_open"], rows[0]["hours_booked"], rows[0]["pending"]) == \
        ("2026-06-29", "87.5", "0.0", "1")
