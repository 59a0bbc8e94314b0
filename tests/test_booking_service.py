"""The booking service: slots and the calendar in the district's time zone, requests and every refusal, cancelling
up to the deadline, staff decisions; 50 residents pressing the same slot at once through the SQLite store."""
from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from booking_helpers import NOW, TZ, Clock, at, request, service, venue

from bot.core.booking import references
from bot.core.booking.errors import (
    ApplicantNotAllowed,
    BookingNotFound,
    CancelTooLate,
    ConsentRequired,
    InThePast,
    InvalidRequest,
    OutsideWindow,
    SlotNotOffered,
    SlotTaken,
    TooManyOpen,
    UnknownVenue,
    WrongStatus,
)
from bot.core.memory_store import MemoryResidentStore
from bot.core.unit import MemoryUnitOfWork, Refused
from bot.settings import Settings
from bot.storage.bookings import SqliteBookingStore
from bot.storage.database import Database

FRI = date(2026, 7, 3)  # NOW is Wednesday 1 July 2026, 09:00 in the district


async def test_free_slots_follow_the_hours_in_the_district_time_zone():
    svc = service()
    slots = await svc.free_slots("hall", FRI)
    assert [s.start.astimezone(TZ).strftime("%H:%M") for s in slots] == ["08:30", "11:00", "13:30", "16:00", "18:30"]
    assert slots[0].start == datetime(2026, 7, 3, 0, 30, tzinfo=UTC), "08:30 in Shanghai is 00:30 UTC"
    assert all(s.minutes == 150 for s in slots)
    today = await svc.free_slots("hall", NOW.date())
    assert [s.start.astimezone(TZ).hour for s in today] == [11, 13, 16, 18], "08:30 today has passed"
    assert await svc.free_slots("hall", NOW.date() + timedelta(days=31)) == [], "outside the window"
    assert svc.window("hall") == (date(2026, 7, 1), date(2026, 7, 31))


async def test_a_request_gets_a_bk_reference_and_its_state():
    svc = service(venues=[venue(), venue("room", approval=False, prices={})])
    booking = await svc.request(request(at(FRI, 8, 30), unit_name="ignored for a resident"))
    assert references.PATTERN.fullmatch(booking.reference)
    assert (booking.status, booking.price_cents, booking.unit_name, booking.has_contact) == ("pending", 5000, None,
                                                                                              True)
    assert references.normalize(booking.reference.lower().replace("-", " ")) == booking.reference
    confirmed = await svc.request(request(at(FRI, 8, 30), vid="room", applicant="unit", unit_name="  街道辦 "))
    assert (confirmed.status, confirmed.price_cents, confirmed.unit_name) == ("confirmed", 0, "街道辦")
    assert [s.start.astimezone(TZ).hour for s in await svc.free_slots("hall", FRI)] == [11, 13, 16, 18]
    assert await svc.store.contact(booking.reference) == "138 0000 0000"


@pytest.mark.parametrize("change, error", [
    (dict(venue_id="nope"), UnknownVenue),
    (dict(applicant="group"), ApplicantNotAllowed),
    (dict(applicant="alien"), InvalidRequest),
    (dict(purpose="  "), InvalidRequest),
    (dict(purpose="長" * 201), InvalidRequest),
    (dict(people=0), InvalidRequest),
    (dict(people=41), InvalidRequest),
    (dict(consent=False), ConsentRequired),
    (dict(contact=" "), ConsentRequired),
    (dict(start=at(FRI, 9)), SlotNotOffered),  # not the start of a slot
    (dict(start=at(date(2026, 7, 4), 8, 30)), SlotNotOffered),  # closed date
    (dict(start=at(NOW.date(), 8, 30)), InThePast),
    (dict(start=at(date(2026, 8, 1), 8, 30)), OutsideWindow),
])
async def test_every_refusal_has_its_own_error_and_stores_nothing(change, error):
    svc = service(venues=[venue(applicants=("resident", "unit"), closed=[date(2026, 7, 4)])])
    values = dict(start=at(FRI, 8, 30))
    values.update(change)
    with pytest.raises(error) as raised:
        await svc.request(request(**values))
    assert raised.value.text_key.startswith("booking.")
    assert await svc.store.bookings() == []


async def test_a_unit_must_name_itself_and_the_window_starts_min_days_ahead():
    svc = service(venues=[venue(min_days=2)])
    with pytest.raises(InvalidRequest) as raised:
        await svc.request(request(at(FRI, 8, 30), applicant="unit"))
    assert raised.value.params["field"] == "unit_name"
    with pytest.raises(OutsideWindow) as too_soon:
        await svc.request(request(at(date(2026, 7, 2), 8, 30)))
    assert (too_soon.value.first, too_soon.value.last) == (date(2026, 7, 3), date(2026, 7, 31))


async def test_at_most_n_open_bookings_per_resident():
    svc = service(max_open=2)
    await svc.request(request(at(FRI, 8, 30)))
    second = await svc.request(request(at(FRI, 11)))
    with pytest.raises(TooManyOpen) as raised:
        await svc.request(request(at(FRI, 13, 30)))
    assert raised.value.limit == 2
    await svc.request(request(at(FRI, 13, 30), user="tg:2"))
    await svc.cancel(second.reference, "tg:1")
    await svc.request(request(at(FRI, 16)))


async def test_a_taken_slot_offers_the_next_free_ones():
    svc = service()
    await svc.request(request(at(FRI, 8, 30), user="tg:2"))
    await svc.request(request(at(FRI, 13, 30), user="tg:3"))
    with pytest.raises(SlotTaken) as raised:
        await svc.request(request(at(FRI, 8, 30)))
    assert [s.start.astimezone(TZ).strftime("%d %H:%M") for s in raised.value.next_free] == \
        ["03 11:00", "03 16:00", "03 18:30"]


async def test_cancel_up_to_the_deadline_frees_the_slot():
    clock = Clock()
    svc = service(clock=clock, venues=[venue(cancel_hours=24)])
    booking = await svc.request(request(at(FRI, 8, 30)))
    with pytest.raises(BookingNotFound):
        await svc.cancel(booking.reference, "tg:2")  # not theirs: told apart from nothing
    assert svc.cancel_deadline(booking) == at(date(2026, 7, 2), 8, 30)
    clock.now = at(date(2026, 7, 2), 8, 31)
    with pytest.raises(CancelTooLate) as late:
        await svc.cancel(booking.reference, "tg:1")
    assert late.value.deadline == at(date(2026, 7, 2), 8, 30)
    clock.now = at(date(2026, 7, 2), 8, 30)
    cancelled = await svc.cancel(booking.reference, "tg:1")
    assert cancelled.status == "cancelled"
    with pytest.raises(WrongStatus):
        await svc.cancel(booking.reference, "tg:1")
    assert len(await svc.free_slots("hall", FRI)) == 5


async def moved(svc, reference: str, start: datetime):
    """A staff move as ``/bookings move`` makes it: prepared, committed on a unit of work, the store's refusal
    turned into the service's."""
    pending = await svc.prepare_move(reference, start)
    try:
        await MemoryUnitOfWork(MemoryResidentStore()).commit([pending.write])
    except Refused as refused:
        raise await pending.refusal(refused.error) from None
    assert await svc.get(reference) == pending.booking
    return pending.booking


async def test_staff_approve_decline_move_and_mark_no_show():
    clock = Clock()
    svc = service(clock=clock)
    a = await svc.request(request(at(FRI, 8, 30)))
    b = await svc.request(request(at(FRI, 11), user="tg:2", applicant="unit", unit_name="物業公司"))
    c = await svc.request(request(at(FRI, 13, 30), user="tg:3"))
    assert [x.reference for x in await svc.pending()] == [a.reference, b.reference, c.reference]
    assert (await svc.approve(a.reference)).status == "confirmed"
    with pytest.raises(WrongStatus):
        await svc.approve(a.reference)
    with pytest.raises(InvalidRequest):
        await svc.decline(b.reference, " ")
    declined = await svc.decline(b.reference, "當天場地維修")
    assert (declined.status, declined.reason, declined.user) == ("declined", "當天場地維修", "tg:2")
    with pytest.raises(SlotTaken) as taken:
        await moved(svc, c.reference, at(FRI, 8, 30))
    assert taken.value.next_free[0].start == at(FRI, 11), "b's slot is free again"
    for refused, start in ((SlotNotOffered, at(FRI, 9)), (InThePast, at(FRI - timedelta(days=3), 8, 30))):
        with pytest.raises(refused):
            await moved(svc, c.reference, start)
    c = await moved(svc, c.reference, at(FRI, 16))
    assert c.slot.start == at(FRI, 16) and c.status == "pending"
    with pytest.raises(WrongStatus):
        await moved(svc, b.reference, at(FRI, 18, 30))  # declined
    assert [x.reference for x in await svc.schedule("hall", FRI)] == [a.reference, c.reference]
    with pytest.raises(WrongStatus):
        await svc.mark_no_show(a.reference)  # not started yet
    clock.now = at(FRI, 9)
    assert (await svc.mark_no_show(a.reference)).status == "no_show"
    with pytest.raises(BookingNotFound):
        await svc.approve("BK-0000-0000-0000-0000")


async def test_across_midnight_in_the_district_time_zone():
    """00:30 in Shanghai is still the previous day in UTC: "today", the window and "in the past" follow the
    district's calendar; a 23:00-24:00 slot ends on the next date."""
    night = venue("night", hours=((0, 120), (1380, 1440)), slot=60, min_days=0, max_days=1, prices={})
    clock = Clock(datetime(2026, 6, 30, 16, 30, tzinfo=UTC))  # 1 July 00:30 in the district
    svc = service(clock=clock, venues=[night])
    assert svc.window("night") == (date(2026, 7, 1), date(2026, 7, 2))
    today = await svc.free_slots("night", date(2026, 7, 1))
    assert [s.start.astimezone(TZ).strftime("%H:%M") for s in today] == ["01:00", "23:00"], "00:00 has begun"
    late = today[-1]
    assert late.end.astimezone(TZ) == datetime(2026, 7, 2, 0, 0, tzinfo=TZ)
    assert late.start == datetime(2026, 7, 1, 15, 0, tzinfo=UTC)
    booking = await svc.request(request(late.start, vid="night"))
    assert booking.slot.local_day(TZ) == date(2026, 7, 1)
    with pytest.raises(InThePast):
        await svc.request(request(at(date(2026, 7, 1), 0, 0), vid="night"))
    with pytest.raises(OutsideWindow):  # 3 July is two days ahead in the district (still 30 June in UTC now)
        await svc.request(request(at(date(2026, 7, 3), 0, 0), vid="night"))
    assert (await svc.calendar("night")) == {date(2026, 7, 1): 1, date(2026, 7, 2): 3}
    # The same instant with the district in Berlin: it is 30 June there, 18:30.
    berlin = service(clock=clock, venues=[night])
    berlin.tz = ZoneInfo("Europe/Berlin")
    assert berlin.window("night") == (date(2026, 6, 30), date(2026, 7, 1))
    assert Settings.from_env({}, None).district_tz == ZoneInfo("Asia/Shanghai")


async def test_the_calendar_marks_days_without_a_free_slot():
    svc = service(venues=[venue(hours=((540, 660),), slot=None, max_days=3, closed=[date(2026, 7, 3)])])
    await svc.request(request(at(date(2026, 7, 2), 9), vid="hall"))
    assert await svc.calendar("hall") == {date(2026, 7, 1): 0, date(2026, 7, 2): 0, date(2026, 7, 3): 0,
                                          date(2026, 7, 4): 1}, "today 09:00 has begun; booked; closed; free"


async def test_fifty_residents_press_the_same_free_slot_at_once(tmp_path):
    database = Database(tmp_path / "bot.sqlite3")
    await database.open()
    try:
        svc = service(store=SqliteBookingStore(database))
        results = await asyncio.gather(*(svc.request(request(at(FRI, 11), user=f"tg:{n}")) for n in range(50)),
                                       return_exceptions=True)
        booked = [r for r in results if not isinstance(r, Exception)]
        taken = [r for r in results if isinstance(r, SlotTaken)]
        assert len(booked) == 1 and len(taken) == 49, [type(r) for r in results]
        assert all([s.start for s in t.next_free] == [at(FRI, 13, 30), at(FRI, 16), at(FRI, 18, 30)] for t in taken)
        rows = await database.fetchall("SELECT reference FROM booking")
        assert [r[0] for r in rows] == [booked[0].reference]
        count = await database.fetchone("SELECT COUNT(*) FROM booked_slot")
        assert count[0] == 30, "150 minutes of 5-minute steps"
        assert await database.integrity_check() == "ok"
    finally:
        await database.close()
