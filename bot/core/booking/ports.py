"""The store interface of bookings. ``bot.core.booking.memory_store`` and ``bot.storage.bookings`` implement it and
pass the same contract tests (``tests/contracts/test_contract_booking_store.py``).

No two bookings of a venue overlap, and the store — not a check before the insert — guarantees it: a booking holds
one row per 5-minute grid step of its slot under UNIQUE (venue, step), written in the same transaction as the
booking, and freed in the same transaction that declines or cancels it.

A resident's request and cancellation, and staff decisions and moves, are *staged* (``stage_add``,
``stage_set_status``, ``stage_move`` → a ``Write``) on the unit of work of their message (``bot.core.unit``), which
commits them with the dialog state of whoever wrote it; ``add`` and ``set_status`` are the same writes as a unit of
their own, for the CLI, the benchmark and tests.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.booking.model import Booking, NewBooking, Slot, Status
from bot.core.unit import Write


class BookingStore(Protocol):
    async def add(self, booking: NewBooking, max_open: int, now: datetime) -> Booking:
        """Store a booking with its contact and its grid steps (``booking.quanta``) in one transaction; returns after
        the commit. Raises, writing nothing: ``SlotConflict`` when a step is held by another booking of the venue,
        ``OpenLimitReached`` when the resident already has ``max_open`` bookings holding a slot that ends after
        ``now`` (counted in the same transaction), ``DuplicateReference``."""
        ...

    def stage_add(self, booking: NewBooking, max_open: int, now: datetime) -> Write:
        """``add`` prepared, not made, for the unit of work of a message: the same rules, checked in the unit's own
        transaction, whose refusal (``bot.core.unit.Refused``) carries ``SlotConflict``, ``OpenLimitReached`` or
        ``DuplicateReference``; the stored booking is then ``booking.stored()``."""
        ...

    async def get(self, reference: str) -> Booking | None: ...

    async def taken(self, venue_id: str, start: int, end: int) -> set[int]:
        """The grid steps of the venue held by bookings, from ``start`` (inclusive) to ``end`` (exclusive), in
        minutes since the epoch."""
        ...

    async def for_user(self, user: str, limit: int = 20) -> list[Booking]:
        """The resident's bookings, latest slot first."""
        ...

    async def set_status(self, reference: str, expected: Sequence[Status], status: Status, at: datetime,
                         reason: str | None = None) -> Booking | None:
        """Move a booking that is in one of ``expected`` to ``status`` (freeing its steps when the new status holds
        no slot) in one transaction; None, changing nothing, when there is no such booking or it is in another
        status (someone else acted first)."""
        ...

    def stage_set_status(self, reference: str, expected: Sequence[Status], status: Status, at: datetime,
                         reason: str | None = None) -> Write:
        """``set_status`` prepared for the unit of work of a message; refused with ``StatusChanged`` (nothing of
        the unit written) when there is no such booking or it is no longer in one of ``expected``, as checked in
        the unit's own transaction."""
        ...

    def stage_move(self, reference: str, status: Status, seen: Slot, slot: Slot, quanta: Sequence[int],
                   at: datetime) -> Write:
        """Give a booking another slot of its venue, prepared for the unit of work of a message: its old steps
        freed and ``quanta`` held in the unit's transaction. Refused, nothing of the unit written, with
        ``StatusChanged`` when the booking is gone or no longer as it was read (``status`` at ``seen``: someone
        acted first) and ``SlotConflict`` when a new step is held by another booking (the UNIQUE (venue, step),
        not a check before). The stored booking is then the one read with ``slot`` and ``updated_at = at``."""
        ...

    async def in_status(self, statuses: Sequence[Status], limit: int | None = None) -> list[Booking]:
        """Bookings in one of ``statuses``, oldest request first: staff review them one at a time."""
        ...

    async def bookings(self, venue_id: str | None = None, since: datetime | None = None,
                       until: datetime | None = None) -> list[Booking]:
        """Bookings (every status) whose slot starts in [``since``, ``until``), by slot start then reference: the
        schedule, exports and usage figures."""
        ...

    async def contact(self, reference: str) -> str | None:
        """The contact the resident consented to leave with a booking."""
        ...

    async def mark_reminded(self, reference: str, at: datetime) -> bool:
        """Claim the day-before reminder of a booking: True the first time (it is marked in the same write), False
        ever after — the reminder is sent once, whoever asks."""
        ...

    async def forget(self, user: str) -> int:
        """``/forget_me``: delete the contact of every booking of ``user`` and unlink them (user set to NULL); the
        venue, time, applicant kind, people and status stay for the usage figures. Returns how many were unlinked."""
        ...


class StaffNoticeStore(Protocol):
    """Staff members who turned off the message sent for each new request awaiting approval (``/bookings notices
    off``). Every staff member gets them until they do, so the store keeps who opted out, not who opted in."""

    async def set_notices(self, user: str, enabled: bool, at: datetime) -> None:
        """Turn ``user``'s notices on or off; setting what is already set changes nothing."""
        ...

    async def notices_enabled(self, user: str) -> bool:
        """True unless ``user`` turned them off (also for someone the store has never seen)."""
        ...

    async def notices_off(self) -> list[str]:
        """User keys that turned them off, sorted."""
        ...
