"""The ``BookingStore`` contract: ``MemoryBookingStore`` and ``SqliteBookingStore`` behave the same."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from booking_helpers import NOW, at, new_booking

from bot.core.booking.errors import DuplicateReference, OpenLimitReached, SlotConflict
from bot.core.booking.memory_store import MemoryBookingStore
from bot.core.booking.slots import quanta
from bot.storage.bookings import SqliteBookingStore
from bot.storage.database import Database

DAY = date(2026, 7, 3)
T1 = at(DAY, 8, 30)


@pytest.fixture(params=["memory", "sqlite"])
async def store(request, tmp_path):
    if request.param == "memory":
        yield MemoryBookingStore()
        return
    database = Database(tmp_path / "bookings.sqlite3")
    await database.open()
    yield SqliteBookingStore(database)
    assert await database.integrity_check() == "ok"
    assert await database.fetchall("PRAGMA foreign_key_check") == []
    await database.close()


async def test_a_booking_round_trips_with_its_contact_and_holds_its_steps(store):
    stored = await store.add(new_booking("BK-1", T1, unit_name="舞蹈隊", applicant="group", price_cents=5000), 3, NOW)
    assert (stored.reference, stored.status, stored.applicant, stored.unit_name, stored.price_cents) == \
        ("BK-1", "pending", "group", "舞蹈隊", 5000)
    assert stored.slot.start == T1 and stored.slot.minutes == 150 and stored.created_at == NOW
    assert stored.has_contact and await store.contact("BK-1") == "138"
    assert await store.get("BK-1") == stored and await store.get("BK-nope") is None
    steps = quanta(stored.slot)
    assert await store.taken("hall", steps[0], steps[-1] + 5) == set(steps)
    assert await store.taken("other", steps[0], steps[-1] + 5) == set()
    assert await store.taken("hall", steps[0], steps[0] + 10) == set(steps[:2])


async def test_an_overlapping_booking_of_the_same_venue_is_refused_and_writes_nothing(store):
    await store.add(new_booking("BK-1", T1), 3, NOW)
    with pytest.raises(SlotConflict):  # 10:00-11:00 overlaps 08:30-11:00
        await store.add(new_booking("BK-2", at(DAY, 10), minutes=60, user="tg:2"), 3, NOW)
    assert await store.get("BK-2") is None and await store.for_user("tg:2") == []
    await store.add(new_booking("BK-3", at(DAY, 11), user="tg:2"), 3, NOW)  # touching, not overlapping
    await store.add(new_booking("BK-4", T1, vid="other", user="tg:2"), 3, NOW)  # another venue


async def test_a_duplicate_reference_is_refused(store):
    await store.add(new_booking("BK-1", T1), 3, NOW)
    with pytest.raises(DuplicateReference):
        await store.add(new_booking("BK-1", at(DAY, 14), user="tg:2"), 3, NOW)
    assert [b.reference for b in await store.bookings()] == ["BK-1"]
    assert await store.taken("hall", 0, 10 ** 9) == set(quanta((await store.get("BK-1")).slot))


async def test_the_open_limit_counts_only_holding_bookings_not_yet_over(store):
    await store.add(new_booking("BK-1", at(DAY, 8, 30)), 2, NOW)
    await store.add(new_booking("BK-2", at(DAY, 11)), 2, NOW)
    with pytest.raises(OpenLimitReached):
        await store.add(new_booking("BK-3", at(DAY, 13, 30)), 2, NOW)
    assert await store.get("BK-3") is None
    await store.add(new_booking("BK-4", at(DAY, 13, 30), user="tg:2"), 2, NOW)  # someone else
    await store.set_status("BK-1", ("pending",), "cancelled", NOW)
    await store.add(new_booking("BK-5", at(DAY, 13, 30, ) + timedelta(days=1)), 2, NOW)
    later = at(DAY, 12)  # BK-2 (11:00-13:30) not over yet; BK-5 ahead
    with pytest.raises(OpenLimitReached):
        await store.add(new_booking("BK-6", at(DAY, 16)), 2, later)
    await store.add(new_booking("BK-7", at(DAY, 16)), 2, at(DAY, 13, 30))  # BK-2 just ended


async def test_declining_or_cancelling_frees_the_slot_and_a_stale_transition_changes_nothing(store):
    await store.add(new_booking("BK-1", T1), 3, NOW)
    approved = await store.set_status("BK-1", ("pending",), "confirmed", NOW + timedelta(minutes=1))
    assert approved.status == "confirmed" and approved.updated_at == NOW + timedelta(minutes=1)
    assert await store.set_status("BK-1", ("pending",), "confirmed", NOW) is None, "already confirmed"
    declined = await store.set_status("BK-1", ("pending", "confirmed"), "declined", NOW, reason="維修")
    assert (declined.status, declined.reason) == ("declined", "維修")
    assert await store.taken("hall", 0, 10 ** 9) == set()
    await store.add(new_booking("BK-2", T1, user="tg:2"), 3, NOW)
    assert await store.set_status("BK-nope", ("pending",), "confirmed", NOW) is None


async def test_listings_are_ordered_and_filtered(store):
    await store.add(new_booking("BK-B", at(DAY, 14), created=NOW), 5, NOW)
    await store.add(new_booking("BK-A", T1, created=NOW + timedelta(seconds=1)), 5, NOW)
    await store.add(new_booking("BK-C", at(DAY + timedelta(days=1), 8, 30), vid="other",
                                created=NOW + timedelta(seconds=2), user="tg:2"), 5, NOW)
    assert [b.reference for b in await store.for_user("tg:1")] == ["BK-B", "BK-A"], "latest slot first"
    assert [b.reference for b in await store.for_user("tg:1", limit=1)] == ["BK-B"]
    assert [b.reference for b in await store.in_status(("pending",))] == ["BK-B", "BK-A", "BK-C"], "oldest first"
    assert [b.reference for b in await store.in_status(("pending",), limit=1)] == ["BK-B"]
    assert [b.reference for b in await store.bookings()] == ["BK-A", "BK-B", "BK-C"], "by slot start"
    assert [b.reference for b in await store.bookings("hall", since=at(DAY, 9))] == ["BK-B"]
    assert [b.reference for b in await store.bookings(until=at(DAY, 14))] == ["BK-A"]


async def test_hostile_text_is_kept_as_written(store):
    text = "=cmd|' /C calc'!A0 <b>&\ud800 排練"
    await store.add(new_booking("BK-1", T1, purpose=text, contact=text, unit_name=text, applicant="unit"), 3, NOW)
    stored = await store.get("BK-1")
    assert stored.purpose.startswith("=cmd|' /C calc'!A0 <b>&") and stored.purpose.endswith(" 排練")
    assert (await store.contact("BK-1")).endswith(" 排練")


async def test_a_booking_without_a_contact_stores_none(store):
    stored = await store.add(new_booking("BK-1", T1, contact=""), 3, NOW)
    assert not stored.has_contact and await store.contact("BK-1") is None


async def test_forget_deletes_the_contacts_and_unlinks_only_that_residents_bookings(store):
    await store.add(new_booking("BK-1", T1, user="tg:1"), 3, NOW)
    await store.add(new_booking("BK-2", T1 + timedelta(days=1), user="tg:1", status="confirmed"), 3, NOW)
    await store.add(new_booking("BK-3", T1 + timedelta(days=2), user="tg:2"), 3, NOW)
    assert await store.forget("tg:1") == 2
    assert await store.for_user("tg:1") == []
    kept = await store.get("BK-2")
    assert (kept.user, kept.has_contact, kept.venue_id, kept.applicant, kept.people, kept.status) == \
        (None, False, "hall", "resident", 10, "confirmed")
    assert await store.contact("BK-1") is None and await store.contact("BK-3") == "138"
    assert await store.taken("hall", 0, 10**9)  # the slots stay held: the booking itself stands


async def test_the_reminder_is_claimed_once(store):
    await store.add(new_booking("BK-1", T1), 3, NOW)
    assert await store.mark_reminded("BK-1", NOW) is True
    assert await store.mark_reminded("BK-1", NOW) is False
    assert await store.mark_reminded("BK-nope", NOW) is False
