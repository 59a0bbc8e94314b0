"""The staged booking writes (``BookingStore.stage_add``, ``stage_set_status``, ``stage_move``, and a staff
action's ``AuditStore.stage_record``) on the unit of work of a message (``bot.core.unit``), in memory and on SQLite:
the booking and the state of whoever wrote it are stored together or not at all, the store's rules are checked in
the unit itself, and a refusal says which write and why."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from booking_helpers import NOW, at, new_booking

from bot.core.booking.errors import DuplicateReference, OpenLimitReached, SlotConflict, StatusChanged
from bot.core.booking.memory_store import MemoryBookingStore
from bot.core.booking.model import Slot
from bot.core.booking.slots import quanta
from bot.core.ports import ResidentState
from bot.core.staff.memory import MemoryAuditStore
from bot.core.staff.ports import AuditRecord
from bot.core.unit import Refused
from bot.storage.audit import SqliteAuditStore
from bot.storage.bookings import SqliteBookingStore

DAY = date(2026, 7, 3)
T1 = at(DAY, 8, 30)


@pytest.fixture
def bookings(stores):
    """The booking store of the same implementation as ``stores`` (on the same file for SQLite)."""
    _, _, database = stores
    return MemoryBookingStore() if database is None else SqliteBookingStore(database)


def summary(user: str = "tg:1") -> ResidentState:
    return ResidentState(user=user, state="bk_summary", data={"v": "hall", "purpose": "排練"}, updated_at=NOW)


def idle(user: str = "tg:1") -> ResidentState:
    return ResidentState(user=user, state="idle", updated_at=NOW + timedelta(minutes=1))


async def nothing_stored(bookings, reference: str) -> None:
    assert await bookings.get(reference) is None and await bookings.contact(reference) is None


async def test_a_staged_booking_and_the_state_are_stored_together_as_stored_says(residents, bookings, unit):
    await residents.save_state(summary())
    new = new_booking("BK-1", T1, unit_name="舞蹈隊", applicant="group", price_cents=5000)
    await unit.commit([bookings.stage_add(new, 3, NOW)], idle())
    # The confirmation is built from ``stored()`` after the COMMIT, without reading back: it must be what is stored.
    assert await bookings.get("BK-1") == new.stored()
    assert await bookings.contact("BK-1") == "138"
    steps = quanta(new.slot)
    assert await bookings.taken("hall", steps[0], steps[-1] + 5) == set(steps)
    assert await residents.load_state("tg:1") == idle()


async def test_a_slot_held_by_another_booking_refuses_the_unit_and_stores_nothing(residents, bookings, unit):
    await unit.commit([bookings.stage_add(new_booking("BK-1", T1), 3, NOW)])
    await residents.save_state(summary("tg:2"))
    with pytest.raises(Refused) as refused:  # 10:00-11:00 overlaps 08:30-11:00
        await unit.commit([bookings.stage_add(new_booking("BK-2", at(DAY, 10), minutes=60, user="tg:2"), 3, NOW)],
                          idle("tg:2"))
    assert refused.value.index == 0 and isinstance(refused.value.error, SlotConflict)
    await nothing_stored(bookings, "BK-2")
    assert await bookings.for_user("tg:2") == [] and await residents.load_state("tg:2") == summary("tg:2")
    assert await bookings.taken("hall", 0, 10 ** 9) == set(quanta(new_booking("BK-1", T1).slot))


async def test_the_open_limit_is_counted_in_the_unit_and_refuses_it_whole(residents, bookings, unit):
    await unit.commit([bookings.stage_add(new_booking("BK-1", T1), 2, NOW)])
    await unit.commit([bookings.stage_add(new_booking("BK-2", at(DAY, 11)), 2, NOW)])
    await residents.save_state(summary())
    with pytest.raises(Refused) as refused:
        await unit.commit([bookings.stage_add(new_booking("BK-3", at(DAY, 14)), 2, NOW)], idle())
    assert isinstance(refused.value.error, OpenLimitReached)
    await nothing_stored(bookings, "BK-3")
    assert await residents.load_state("tg:1") == summary()
    # Only bookings holding a slot that is not over count: a cancelled one frees a place.
    await unit.commit([bookings.stage_set_status("BK-1", ("pending",), "cancelled", NOW)])
    await unit.commit([bookings.stage_add(new_booking("BK-3", at(DAY, 14)), 2, NOW)], idle())
    assert await bookings.get("BK-3") is not None and await residents.load_state("tg:1") == idle()


async def test_a_duplicate_reference_is_refused_for_the_service_to_draw_again(residents, bookings, unit):
    await unit.commit([bookings.stage_add(new_booking("BK-1", T1), 3, NOW)])
    with pytest.raises(Refused) as refused:
        await unit.commit([bookings.stage_add(new_booking("BK-1", at(DAY, 14), user="tg:2"), 3, NOW)], idle("tg:2"))
    assert isinstance(refused.value.error, DuplicateReference)
    assert [b.user for b in await bookings.bookings()] == ["tg:1"]
    assert await residents.load_state("tg:2") == ResidentState(user="tg:2")  # never saved


async def test_a_staged_status_change_frees_the_slot_with_the_state(residents, bookings, unit):
    await unit.commit([bookings.stage_add(new_booking("BK-1", T1), 3, NOW)])
    await unit.commit([bookings.stage_set_status("BK-1", ("pending", "confirmed"), "cancelled",
                                                 NOW + timedelta(minutes=5))], idle())
    cancelled = await bookings.get("BK-1")
    assert cancelled.status == "cancelled" and cancelled.updated_at == NOW + timedelta(minutes=5)
    assert await bookings.taken("hall", 0, 10 ** 9) == set() and await residents.load_state("tg:1") == idle()


async def test_a_staged_status_change_someone_beat_is_refused_whole(residents, bookings, unit):
    await unit.commit([bookings.stage_add(new_booking("BK-1", T1), 3, NOW)])
    declined = await bookings.set_status("BK-1", ("pending",), "declined", NOW, reason="維修")
    await residents.save_state(summary())
    for reference in ("BK-1", "BK-nope"):
        with pytest.raises(Refused) as refused:
            await unit.commit([bookings.stage_set_status(reference, ("pending", "confirmed"), "cancelled", NOW)],
                              idle())
        assert isinstance(refused.value.error, StatusChanged)
    assert await bookings.get("BK-1") == declined and await residents.load_state("tg:1") == summary()


@pytest.fixture
def audit(stores):
    """The audit store of the same implementation as ``stores``."""
    _, _, database = stores
    return MemoryAuditStore() if database is None else SqliteAuditStore(database)


async def test_a_staff_decision_and_its_audit_record_are_stored_together_or_not_at_all(bookings, audit, unit):
    await unit.commit([bookings.stage_add(new_booking("BK-1", T1), 3, NOW)])
    record = AuditRecord(NOW, "tg:100", "booking.approve", "BK-1")
    await unit.commit([bookings.stage_set_status("BK-1", ("pending",), "confirmed", NOW), audit.stage_record(record)])
    assert (await bookings.get("BK-1")).status == "confirmed" and await audit.records() == [record]
    with pytest.raises(Refused) as refused:  # a colleague's copy of the notice, pressed afterwards
        await unit.commit([bookings.stage_set_status("BK-1", ("pending",), "confirmed", NOW),
                           audit.stage_record(AuditRecord(NOW, "tg:101", "booking.approve", "BK-1"))])
    assert refused.value.index == 0 and isinstance(refused.value.error, StatusChanged)
    assert await audit.records() == [record]


def staff_state(state: str = "bk_reason") -> ResidentState:
    return ResidentState(user="tg:100", state=state, data={"ref": "BK-1"} if state != "idle" else {},
                         updated_at=NOW + timedelta(minutes=1 if state == "idle" else 0))


def slot_at(hh: int, mm: int = 0, minutes: int = 150) -> Slot:
    start = at(DAY, hh, mm)
    return Slot(start, start + timedelta(minutes=minutes))


def stage_move(bookings, before, slot: Slot, at_=NOW + timedelta(minutes=3)):
    """A move of the booking ``before`` as it was read to ``slot`` (``BookingService.prepare_move`` stages this)."""
    return bookings.stage_move(before.reference, before.status, before.slot, slot, quanta(slot), at_)


async def two_bookings(bookings, unit):
    """BK-1 08:30-11:00 and BK-2 14:00-16:30 of the hall, both pending."""
    await unit.commit([bookings.stage_add(new_booking("BK-1", T1), 3, NOW)])
    await unit.commit([bookings.stage_add(new_booking("BK-2", at(DAY, 14), user="tg:2"), 3, NOW)])
    return await bookings.get("BK-1"), await bookings.get("BK-2")


def steps_of(*slots: Slot) -> set[int]:
    return {q for slot in slots for q in quanta(slot)}


async def test_a_staged_move_and_its_audit_record_are_stored_together_as_the_read_booking_says(residents, bookings,
                                                                                                audit, unit):
    before, other = await two_bookings(bookings, unit)
    await residents.save_state(staff_state())
    overlapping_itself = slot_at(10)  # 10:00-12:30: frees 08:30-10:00, keeps 10:00-11:00, holds 11:00-12:30
    record = AuditRecord(NOW, "tg:100", "booking.move", "BK-1")
    await unit.commit([stage_move(bookings, before, overlapping_itself), audit.stage_record(record)],
                      staff_state("idle"))
    # The staff member's answer and the resident's notice are built after the COMMIT from what was read, moved.
    assert await bookings.get("BK-1") == dataclasses.replace(before, slot=overlapping_itself,
                                                             updated_at=NOW + timedelta(minutes=3))
    assert await bookings.taken("hall", 0, 10 ** 9) == steps_of(overlapping_itself, other.slot)
    assert await audit.records() == [record] and await residents.load_state("tg:100") == staff_state("idle")
    moved = await bookings.get("BK-1")
    await unit.commit([stage_move(bookings, moved, slot_at(16, 30))])  # and on: the moved booking as read
    assert await bookings.taken("hall", 0, 10 ** 9) == steps_of(slot_at(16, 30), other.slot)


async def test_a_staged_move_onto_a_held_slot_is_refused_by_the_constraint_and_stores_nothing(residents, bookings,
                                                                                               audit, unit):
    before, other = await two_bookings(bookings, unit)
    await residents.save_state(staff_state())
    with pytest.raises(Refused) as refused:  # 13:30-16:00 overlaps BK-2's 14:00-16:30
        await unit.commit([stage_move(bookings, before, slot_at(13, 30)),
                           audit.stage_record(AuditRecord(NOW, "tg:100", "booking.move", "BK-1"))],
                          staff_state("idle"))
    assert refused.value.index == 0 and isinstance(refused.value.error, SlotConflict)
    assert await bookings.get("BK-1") == before and await audit.records() == []
    assert await bookings.taken("hall", 0, 10 ** 9) == steps_of(before.slot, other.slot)
    assert await residents.load_state("tg:100") == staff_state()


@pytest.mark.parametrize("meanwhile", ["cancelled", "approved", "moved", "gone"])
async def test_a_staged_move_of_a_booking_changed_since_it_was_read_is_refused_whole(residents, bookings, audit,
                                                                                      unit, meanwhile):
    """Someone acted between the read and the unit: the resident cancelled, a colleague approved or moved it (the
    booking is no longer as read, so what would be answered is not what would be stored), or there is none."""
    before, other = await two_bookings(bookings, unit)
    if meanwhile == "cancelled":
        await unit.commit([bookings.stage_set_status("BK-1", ("pending",), "cancelled", NOW)])
    elif meanwhile == "approved":
        await unit.commit([bookings.stage_set_status("BK-1", ("pending",), "confirmed", NOW)])
    elif meanwhile == "moved":
        await unit.commit([stage_move(bookings, before, slot_at(18, 30))])
    else:
        before = dataclasses.replace(before, reference="BK-nope")
    now = await bookings.get("BK-1")
    await residents.save_state(staff_state())
    for target in (slot_at(11), slot_at(13, 30)):  # a free slot, and one held by BK-2: "changed" comes first
        with pytest.raises(Refused) as refused:
            await unit.commit([stage_move(bookings, before, target),
                               audit.stage_record(AuditRecord(NOW, "tg:100", "booking.move", "BK-1"))],
                              staff_state("idle"))
        assert refused.value.index == 0 and isinstance(refused.value.error, StatusChanged)
    assert await bookings.get("BK-1") == now and await audit.records() == []
    held = steps_of(other.slot) | (steps_of(now.slot) if now.status in ("pending", "confirmed") else set())
    assert await bookings.taken("hall", 0, 10 ** 9) == held
    assert await residents.load_state("tg:100") == staff_state()
