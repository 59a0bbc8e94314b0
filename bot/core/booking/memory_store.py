"""``BookingStore`` in memory, for tests and the console. Each method runs without an ``await`` between its checks
and its writes, so on one event loop it is as atomic as the SQLite store's transactions. A staged write
(``stage_add``, ``stage_set_status``, ``stage_move``) is a ``MemoryWrite``: ``MemoryUnitOfWork`` runs every check
of a message's writes, then every apply, with no ``await`` between them either."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from bot.core.booking.errors import DuplicateReference, OpenLimitReached, SlotConflict, StatusChanged
from bot.core.booking.model import HOLDING, Booking, NewBooking, Slot, Status, utc
from bot.core.unit import MemoryWrite


class MemoryBookingStore:
    def __init__(self) -> None:
        self._bookings: dict[str, Booking] = {}
        self._contacts: dict[str, str] = {}
        self._steps: dict[tuple[str, int], str] = {}  # (venue, step) → reference: the UNIQUE constraint
        self._order: dict[str, int] = {}  # reference → insertion order
        self._reminded: set[str] = set()

    async def add(self, booking: NewBooking, max_open: int, now: datetime) -> Booking:
        write = self.stage_add(booking, max_open, now)
        write.check()
        write.apply()
        return self._bookings[booking.reference]

    def stage_add(self, booking: NewBooking, max_open: int, now: datetime) -> MemoryWrite:
        return MemoryWrite(lambda: self._check_add(booking, max_open, now), lambda: self._store(booking))

    def _check_add(self, b: NewBooking, max_open: int, now: datetime) -> None:
        """Everything checked before anything changes, in the order the SQLite block fails: the open limit (NOT
        NULL is checked before UNIQUE), the reference, the slot."""
        now = utc(now)
        open_count = sum(1 for x in self._bookings.values() if x.user == b.user and x.is_open(now))
        if open_count >= max_open:
            raise OpenLimitReached(b.user)
        if b.reference in self._bookings:
            raise DuplicateReference(b.reference)
        if any((b.venue_id, q) in self._steps for q in b.quanta):
            raise SlotConflict(b.venue_id)

    def _store(self, b: NewBooking) -> None:
        self._bookings[b.reference] = b.stored()
        if b.contact:
            self._contacts[b.reference] = b.contact
        self._order[b.reference] = len(self._order)
        for q in b.quanta:
            self._steps[(b.venue_id, q)] = b.reference

    async def get(self, reference: str) -> Booking | None:
        return self._bookings.get(reference)

    async def taken(self, venue_id: str, start: int, end: int) -> set[int]:
        return {q for (v, q) in self._steps if v == venue_id and start <= q < end}

    async def for_user(self, user: str, limit: int = 20) -> list[Booking]:
        mine = [b for b in self._bookings.values() if b.user == user]
        return sorted(mine, key=lambda b: (b.slot.start, b.reference), reverse=True)[:limit]

    def _free(self, reference: str) -> None:
        for key in [k for k, ref in self._steps.items() if ref == reference]:
            del self._steps[key]

    async def set_status(self, reference: str, expected: Sequence[Status], status: Status, at: datetime,
                         reason: str | None = None) -> Booking | None:
        write = self.stage_set_status(reference, expected, status, at, reason)
        try:
            write.check()
        except StatusChanged:
            return None
        write.apply()
        return self._bookings[reference]

    def stage_set_status(self, reference: str, expected: Sequence[Status], status: Status, at: datetime,
                         reason: str | None = None) -> MemoryWrite:
        def check() -> None:
            current = self._bookings.get(reference)
            if current is None or current.status not in expected:
                raise StatusChanged(reference)

        def apply() -> None:
            current = self._bookings[reference]
            self._bookings[reference] = dataclasses.replace(
                current, status=status, updated_at=utc(at), reason=reason if reason is not None else current.reason)
            if status not in HOLDING:
                self._free(reference)

        return MemoryWrite(check, apply)

    def stage_move(self, reference: str, status: Status, seen: Slot, slot: Slot, quanta: Sequence[int],
                   at: datetime) -> MemoryWrite:
        if not quanta:
            raise ValueError("a booking holds at least one grid step")

        def check() -> None:
            """In the order the SQLite block fails: the booking as it was read, then the new steps."""
            current = self._bookings.get(reference)
            if current is None or current.status != status or current.slot != seen:
                raise StatusChanged(reference)
            if any(self._steps.get((current.venue_id, q), reference) != reference for q in quanta):
                raise SlotConflict(reference)

        def apply() -> None:
            current = self._bookings[reference]
            self._free(reference)
            for q in quanta:
                self._steps[(current.venue_id, q)] = reference
            self._bookings[reference] = dataclasses.replace(current, slot=Slot(utc(slot.start), utc(slot.end)),
                                                            updated_at=utc(at))

        return MemoryWrite(check, apply)

    async def in_status(self, statuses: Sequence[Status], limit: int | None = None) -> list[Booking]:
        found = sorted((b for b in self._bookings.values() if b.status in statuses),
                       key=lambda b: (b.created_at, self._order[b.reference]))
        return found if limit is None else found[:limit]

    async def bookings(self, venue_id: str | None = None, since: datetime | None = None,
                       until: datetime | None = None) -> list[Booking]:
        found = [b for b in self._bookings.values()
                 if (venue_id is None or b.venue_id == venue_id)
                 and (since is None or b.slot.start >= utc(since)) and (until is None or b.slot.start < utc(until))]
        return sorted(found, key=lambda b: (b.slot.start, b.reference))

    async def contact(self, reference: str) -> str | None:
        return self._contacts.get(reference)

    async def mark_reminded(self, reference: str, at: datetime) -> bool:
        if reference not in self._bookings or reference in self._reminded:
            return False
        self._reminded.add(reference)
        return True

    async def forget(self, user: str) -> int:
        mine = [ref for ref, b in self._bookings.items() if b.user == user]
        for ref in mine:
            self._contacts.pop(ref, None)
            self._bookings[ref] = dataclasses.replace(self._bookings[ref], user=None, has_contact=False)
        return len(mine)


class MemoryStaffNoticeStore:
    """``StaffNoticeStore`` in memory: the staff members who turned the notices off."""

    def __init__(self) -> None:
        self._off: set[str] = set()

    async def set_notices(self, user: str, enabled: bool, at: datetime) -> None:
        (self._off.discard if enabled else self._off.add)(user)

    async def notices_enabled(self, user: str) -> bool:
        return user not in self._off

    async def notices_off(self) -> list[str]:
        return sorted(self._off)
