"""The booking service: free slots and the calendar of a venue, requests, cancellations and staff decisions.

Transport-free: the chat flows (``/book``, ``/mybookings``, ``/bookings``, next session) and the CLI call it with
plain values and get ``Booking`` values or a typed ``BookingRefused`` back. Venues come from the knowledge base
serving at the moment (``venues``: a callable, so a reload is seen at once); times are decided in the district's
time zone ``tz``. The store keeps the guarantees (no overlap, the open-bookings limit counted in the insert's own
transaction); the service checks everything else before it writes.

A resident's request and cancellation come from a chat message, so they are *prepared* (``prepare``,
``prepare_cancel``: checked, a ``Write`` made ready) and the dialog stages the write on the unit of work of the
message (``Context.stage``), which commits it with the resident's dialog state; ``request`` and ``cancel`` do the
same in a unit of their own. So do staff decisions (``prepare_approve``, ``prepare_decline``, ``prepare_no_show``;
``approve``, … alone) and moves (``prepare_move``, in the staff member's unit only).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo

from bot.core.booking import slots as S
from bot.core.booking.errors import (
    ApplicantNotAllowed,
    BookingNotFound,
    CancelTooLate,
    ConsentRequired,
    DuplicateReference,
    InThePast,
    InvalidRequest,
    OpenLimitReached,
    OutsideWindow,
    SlotConflict,
    SlotNotOffered,
    SlotTaken,
    StatusChanged,
    TooManyOpen,
    UnknownVenue,
    WrongStatus,
)
from bot.core.booking.model import (
    APPLICANTS_ALL,
    HOLDING,
    MAX_CONTACT,
    MAX_PURPOSE,
    MAX_REASON,
    MAX_UNIT_NAME,
    Booking,
    BookingRequest,
    NewBooking,
    Slot,
    Status,
    utc,
)
from bot.core.booking.ports import BookingStore
from bot.core.booking.references import draw_reference
from bot.core.errors import CoreError
from bot.core.feedback.references import RandomBelow
from bot.core.knowledge.venues import Venue
from bot.core.ports import clean_text
from bot.core.unit import Write

DEFAULT_MAX_OPEN = 3
NEXT_FREE = 3  # slots offered when the one asked for was just taken
_REFERENCE_ATTEMPTS = 5


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PendingBooking:
    """A request checked and prepared, not yet stored (``BookingService.prepare``): ``write`` is what a handler
    stages, ``booking`` what it is once committed — its reference final only then (a reference already taken is
    drawn again, ``retry``)."""

    def __init__(self, service: BookingService, build: Callable[[str], NewBooking], now: datetime):
        self.service = service
        self.build = build
        self.now = now
        self.attempts = 0
        self._draw()

    def _draw(self) -> None:
        self.attempts += 1
        self.new = self.build(self.service.new_reference())
        self.write: Write = self.service.store.stage_add(self.new, self.service.max_open, self.now)

    @property
    def booking(self) -> Booking:
        return self.new.stored()

    def retry(self, error: Exception) -> Write | None:
        """After the store refused the write with ``error``: the write to try instead (the reference was taken: a
        new one), or None."""
        if isinstance(error, DuplicateReference) and self.attempts < _REFERENCE_ATTEMPTS:
            self._draw()
            return self.write
        return None

    async def refusal(self, error: Exception) -> Exception:
        """What the store's refusal means to the resident: ``TooManyOpen``, ``SlotTaken`` with the next free slots."""
        if isinstance(error, OpenLimitReached):
            return TooManyOpen(self.service.max_open)
        if isinstance(error, SlotConflict):
            return SlotTaken(await self.service.next_free(self.new.venue_id, self.new.slot.start))
        if isinstance(error, DuplicateReference):  # 80 random bits, _REFERENCE_ATTEMPTS times: never in practice
            return RuntimeError("could not draw an unused booking reference")
        return error


class PendingChange:
    """A status change checked and prepared (``prepare_cancel``, ``prepare_approve``, …): ``write`` to stage,
    ``booking`` as it is once committed."""

    def __init__(self, service: BookingService, before: Booking, expected: Sequence[Status], status: Status,
                 reason: str | None = None):
        if before.status not in expected:
            raise WrongStatus(status=before.status)
        self.service, self.before, self.expected, self.status, self.reason = service, before, expected, status, reason
        at = utc(service.clock())
        self.write: Write = service.store.stage_set_status(before.reference, expected, status, at, reason)
        self.booking = dataclasses.replace(before, status=status, updated_at=at,
                                           reason=reason if reason is not None else before.reason)

    async def refusal(self, error: Exception) -> Exception:
        """Someone acted first (``StatusChanged``): ``WrongStatus`` with the status it has now."""
        if isinstance(error, StatusChanged):
            return WrongStatus(status=(await self.service.get(self.booking.reference)).status)
        return error


class PendingMove:
    """A move checked and prepared (``prepare_move``): ``write`` to stage, ``booking`` as it is once committed.
    The store refuses it when the booking is no longer as it was read (status and slot) — so ``booking``, built
    from that read, is what the commit stores."""

    def __init__(self, service: BookingService, before: Booking, slot: Slot):
        self.service, self.before = service, before
        at = utc(service.clock())
        self.write: Write = service.store.stage_move(before.reference, before.status, before.slot, slot,
                                                     S.quanta(slot), at)
        self.booking = dataclasses.replace(before, slot=Slot(utc(slot.start), utc(slot.end)), updated_at=at)

    async def refusal(self, error: Exception) -> Exception:
        """A held slot: ``SlotTaken`` with the next free slots after it; someone acted first: ``WrongStatus``."""
        if isinstance(error, SlotConflict):
            return SlotTaken(await self.service.next_free(self.before.venue_id, self.booking.slot.start))
        if isinstance(error, StatusChanged):
            return WrongStatus(status=(await self.service.get(self.before.reference)).status)
        return error


class BookingService:
    def __init__(self, store: BookingStore, venues: Callable[[], Mapping[str, Venue]], tz: tzinfo, *,
                 clock: Callable[[], datetime] = _utc_now, max_open: int = DEFAULT_MAX_OPEN,
                 random_below: Callable[[int], int] | None = None):
        self.store = store
        self._venues = venues
        self.tz = tz
        self.clock = clock
        self.max_open = max_open
        self._random_below = random_below or RandomBelow()

    def new_reference(self) -> str:
        return draw_reference(self._random_below)

    async def get(self, reference: str) -> Booking:
        """The booking ``reference``; ``BookingNotFound`` when there is none."""
        return await self._get(reference)

    # --- venues and the calendar -----------------------------------------------------------------------------------
    def venue(self, venue_id: str) -> Venue:
        venue = self._venues().get(venue_id)
        if venue is None:
            raise UnknownVenue(venue_id=venue_id)
        return venue

    def window(self, venue_id: str) -> tuple[date, date]:
        """The first and last local dates of the venue's bookable window, from the district's today."""
        return S.window(self.venue(venue_id), self.clock(), self.tz)

    async def free_slots(self, venue_id: str, day: date) -> list[Slot]:
        """The free slots of a local date: none outside the bookable window, on a closed date or in the past."""
        venue = self.venue(venue_id)
        first, last = S.window(venue, self.clock(), self.tz)
        if not first <= day <= last:
            return []
        start, end = S.span(venue, day, day, self.tz)
        taken = await self.store.taken(venue_id, start, end)
        return S.free_slots(venue, day, self.tz, taken, utc(self.clock()))

    async def calendar(self, venue_id: str, first: date | None = None, last: date | None = None) -> dict[date, int]:
        """Free slots per local date over the window (or the part of [first, last] inside it): one store query for
        the whole range. A date with 0 has no free slot (the calendar marks it)."""
        venue = self.venue(venue_id)
        w_first, w_last = S.window(venue, self.clock(), self.tz)
        first, last = max(first or w_first, w_first), min(last or w_last, w_last)
        if first > last:
            return {}
        start, end = S.span(venue, first, last, self.tz)
        taken = await self.store.taken(venue_id, start, end)
        now = utc(self.clock())
        return {day: len(S.free_slots(venue, day, self.tz, taken, now)) for day in S.days(first, last)}

    async def next_free(self, venue_id: str, after: datetime, limit: int = NEXT_FREE) -> list[Slot]:
        """The first ``limit`` free slots starting after ``after``, within the window."""
        venue = self.venue(venue_id)
        first, last = S.window(venue, self.clock(), self.tz)
        first = max(first, after.astimezone(self.tz).date())
        if first > last:
            return []
        start, end = S.span(venue, first, last, self.tz)
        taken = await self.store.taken(venue_id, start, end)
        now = utc(self.clock())
        found: list[Slot] = []
        for day in S.days(first, last):
            found += [s for s in S.free_slots(venue, day, self.tz, taken, now) if s.start > after]
            if len(found) >= limit:
                break
        return found[:limit]

    # --- residents -------------------------------------------------------------------------------------------------
    async def request(self, req: BookingRequest) -> Booking:
        """Book one slot: a ``Booking`` with its ``BK-`` reference, pending (the venue needs staff approval) or
        confirmed. Raises a ``BookingRefused`` saying why not; ``SlotTaken`` carries the next free slots. (The
        request in a unit of its own; the ``/book`` flow stages ``prepare``'s write instead, see ``book.confirm``.)"""
        pending = self.prepare(req)
        while True:
            try:
                return await self.store.add(pending.new, self.max_open, pending.now)
            except CoreError as error:
                if pending.retry(error) is not None:
                    continue
                raise await pending.refusal(error) from None

    def prepare(self, req: BookingRequest) -> PendingBooking:
        """Check a request and prepare its write, storing nothing: the dialog stages ``write`` on the unit of work
        of the message (``Context.stage``). Raises a ``BookingRefused`` for what can be told now (the venue, the
        fields, the slot, the window); the store's refusals arrive after the commit, ``PendingBooking.refusal``
        turns them into ``TooManyOpen`` / ``SlotTaken``."""
        venue = self.venue(req.venue_id)
        self._check_request(venue, req)
        now = utc(self.clock())
        slot = self._offered_slot(venue, req.start)
        if slot.start <= now:
            raise InThePast(start=slot.start)
        first, last = S.window(venue, now, self.tz)
        if not first <= slot.local_day(self.tz) <= last:
            raise OutsideWindow(first, last)
        unit_name = clean_text((req.unit_name or "").strip()) or None
        # Cleaned here (lone surrogates), so the confirmation built before reading anything back shows what is stored.
        purpose, contact = clean_text(req.purpose.strip()), clean_text(req.contact.strip())

        def build(reference: str) -> NewBooking:
            return NewBooking(
                reference=reference, user=req.user, venue_id=venue.id, slot=slot,
                status="pending" if venue.approval else "confirmed", applicant=req.applicant, purpose=purpose,
                people=req.people, price_cents=venue.price_cents(req.applicant), contact=contact, created_at=now,
                quanta=S.quanta(slot), unit_name=unit_name if req.applicant != "resident" else None,
                language=req.language)

        return PendingBooking(self, build, now)

    def _check_request(self, venue: Venue, req: BookingRequest) -> None:
        if req.applicant not in APPLICANTS_ALL:
            raise InvalidRequest(field="applicant")
        if req.applicant not in venue.applicants:
            raise ApplicantNotAllowed(applicant=req.applicant, allowed=venue.applicants)
        purpose = req.purpose.strip()
        if not purpose or len(purpose) > MAX_PURPOSE:
            raise InvalidRequest(field="purpose", max=MAX_PURPOSE)
        if not 1 <= req.people <= venue.capacity:
            raise InvalidRequest(field="people", max=venue.capacity)
        unit_name = (req.unit_name or "").strip()
        if req.applicant == "unit" and not unit_name:
            raise InvalidRequest(field="unit_name")
        if len(unit_name) > MAX_UNIT_NAME:
            raise InvalidRequest(field="unit_name", max=MAX_UNIT_NAME)
        contact = req.contact.strip()
        if bool(contact) != req.consent:  # a contact needs consent; consent needs a contact; neither is fine
            raise ConsentRequired()
        if len(contact) > MAX_CONTACT:
            raise InvalidRequest(field="contact", max=MAX_CONTACT)

    def _offered_slot(self, venue: Venue, start: datetime) -> Slot:
        start = utc(start)
        day = start.astimezone(self.tz).date()
        for slot in S.day_slots(venue, day, self.tz):
            if slot.start == start:
                return slot
        raise SlotNotOffered(start=start, closed=day in venue.closed)

    async def my_bookings(self, user: str, limit: int = 20) -> list[Booking]:
        return await self.store.for_user(user, limit)

    def cancel_deadline(self, booking: Booking) -> datetime:
        venue = self._venues().get(booking.venue_id)
        hours = venue.cancel_hours if venue is not None else 0
        return booking.slot.start - timedelta(hours=hours)

    async def cancel(self, reference: str, user: str) -> Booking:
        """The resident cancels their own booking, up to the venue's deadline; its slot is free again at once."""
        return await self._made(await self.prepare_cancel(reference, user))

    async def prepare_cancel(self, reference: str, user: str) -> PendingChange:
        """``cancel`` checked and prepared, storing nothing, for the unit of work of the resident's message; a
        booking someone changed meanwhile is refused in the unit's transaction (``PendingChange.refusal``)."""
        return PendingChange(self, await self._cancellable(reference, user), HOLDING, "cancelled")

    async def _cancellable(self, reference: str, user: str) -> Booking:
        booking = await self.store.get(reference)
        if booking is None or booking.user != user:
            raise BookingNotFound(reference=reference)
        if booking.status not in HOLDING:
            raise WrongStatus(status=booking.status)
        deadline = self.cancel_deadline(booking)
        if utc(self.clock()) > deadline:
            raise CancelTooLate(deadline)
        return booking

    async def forget(self, user: str) -> int:
        """``/forget_me`` (a registered eraser): the contacts of the resident's bookings deleted, the bookings
        unlinked from them; what remains (venue, time, applicant kind, people, status) counts in the usage figures."""
        return await self.store.forget(user)

    async def due_reminders(self, claim: bool = True) -> list[Booking]:
        """Confirmed bookings starting on the district's next date that were not reminded yet, each claimed in
        the store (``mark_reminded``) so the reminder goes out once."""
        tomorrow = S.today(self.clock(), self.tz) + timedelta(days=1)
        since, until = S.local_instant(tomorrow, 0, self.tz), S.local_instant(tomorrow, 24 * 60, self.tz)
        due = []
        for booking in await self.store.bookings(None, since, until):
            if booking.status == "confirmed" and booking.user and await self.store.mark_reminded(
                    booking.reference, utc(self.clock())):
                due.append(booking)
        return due

    # --- staff -----------------------------------------------------------------------------------------------------
    async def pending(self, limit: int | None = None) -> list[Booking]:
        return await self.store.in_status(("pending",), limit)

    async def approve(self, reference: str) -> Booking:
        return await self._made(await self.prepare_approve(reference))

    async def prepare_approve(self, reference: str) -> PendingChange:
        return PendingChange(self, await self._get(reference), ("pending",), "confirmed")

    async def decline(self, reference: str, reason: str) -> Booking:
        """Decline a pending or confirmed booking with a reason the resident will read; frees its slot."""
        return await self._made(await self.prepare_decline(reference, reason))

    async def prepare_decline(self, reference: str, reason: str) -> PendingChange:
        reason = reason.strip()
        if not reason or len(reason) > MAX_REASON:
            raise InvalidRequest(field="reason", max=MAX_REASON)
        return PendingChange(self, await self._get(reference), HOLDING, "declined", reason)

    async def mark_no_show(self, reference: str) -> Booking:
        """A confirmed booking whose slot has started and nobody came."""
        return await self._made(await self.prepare_no_show(reference))

    async def prepare_no_show(self, reference: str) -> PendingChange:
        booking = await self._get(reference)
        if booking.status == "confirmed" and booking.slot.start > utc(self.clock()):
            raise WrongStatus(status="not_started")
        return PendingChange(self, booking, ("confirmed",), "no_show")

    async def prepare_move(self, reference: str, start: datetime) -> PendingMove:
        """Move a pending or confirmed booking to another slot of its venue (staff may leave the window, not go into
        the past), prepared for the unit of work of the staff member's message; the store's refusals arrive after
        the commit (``PendingMove.refusal``)."""
        booking = await self._get(reference)
        if booking.status not in HOLDING:
            raise WrongStatus(status=booking.status)
        venue = self.venue(booking.venue_id)
        slot = self._offered_slot(venue, start)
        if slot.start <= utc(self.clock()):
            raise InThePast(start=slot.start)
        return PendingMove(self, booking, slot)

    async def schedule(self, venue_id: str, day: date) -> list[Booking]:
        """The bookings holding a slot of a venue on a local date, in order: the day's schedule."""
        venue = self.venue(venue_id)
        since, until = S.local_instant(day, 0, self.tz), S.local_instant(day, 24 * 60, self.tz)
        return [b for b in await self.store.bookings(venue.id, since, until) if b.status in ("pending", "confirmed",
                                                                                            "no_show")]

    async def _get(self, reference: str) -> Booking:
        booking = await self.store.get(reference)
        if booking is None:
            raise BookingNotFound(reference=reference)
        return booking

    async def _made(self, pending: PendingChange) -> Booking:
        """A prepared change made in a transaction of its own (the chat stages ``pending.write`` instead)."""
        updated = await self.store.set_status(pending.before.reference, pending.expected, pending.status,
                                              utc(self.clock()), pending.reason)
        if updated is None:  # someone else acted first
            raise WrongStatus(status=(await self._get(pending.before.reference)).status)
        return updated
