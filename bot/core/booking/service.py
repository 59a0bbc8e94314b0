"""The booking service: free slots and the calendar of a venue, requests, cancellations and staff decisions.

Transport-free: the chat flows (``/book``, ``/mybookings``, ``/bookings``, next session) and the CLI call it with
plain values and get ``Booking`` values or a typed ``BookingRefused`` back. Venues come from the knowledge base
serving at the moment (``venues``: a callable, so a reload is seen at once); times are decided in the district's
time zone ``tz``. The store keeps the guarantees (no overlap, the open-bookings limit counted in the insert's own
transaction); the service checks everything else before it writes.
"""
from __future__ import annotations

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
from bot.core.feedback.references import RandomBelow
from bot.core.knowledge.venues import Venue

DEFAULT_MAX_OPEN = 3
NEXT_FREE = 3  # slots offered when the one asked for was just taken
_REFERENCE_ATTEMPTS = 5


def _utc_now() -> datetime:
    return datetime.now(UTC)


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
        confirmed. Raises a ``BookingRefused`` saying why not; ``SlotTaken`` carries the next free slots."""
        venue = self.venue(req.venue_id)
        self._check_request(venue, req)
        now = utc(self.clock())
        slot = self._offered_slot(venue, req.start)
        if slot.start <= now:
            raise InThePast(start=slot.start)
        first, last = S.window(venue, now, self.tz)
        if not first <= slot.local_day(self.tz) <= last:
            raise OutsideWindow(first, last)
        unit_name = (req.unit_name or "").strip() or None
        for _ in range(_REFERENCE_ATTEMPTS):
            new = NewBooking(
                reference=draw_reference(self._random_below), user=req.user, venue_id=venue.id, slot=slot,
                status="pending" if venue.approval else "confirmed", applicant=req.applicant,
                purpose=req.purpose.strip(), people=req.people, price_cents=venue.price_cents(req.applicant),
                contact=req.contact.strip(), created_at=now, quanta=S.quanta(slot),
                unit_name=unit_name if req.applicant != "resident" else None, language=req.language)
            try:
                return await self.store.add(new, self.max_open, now)
            except DuplicateReference:
                continue
            except OpenLimitReached:
                raise TooManyOpen(self.max_open) from None
            except SlotConflict:
                raise SlotTaken(await self.next_free(venue.id, slot.start)) from None
        raise RuntimeError("could not draw an unused booking reference")  # 80 random bits: never in practice

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
        booking = await self.store.get(reference)
        if booking is None or booking.user != user:
            raise BookingNotFound(reference=reference)
        if booking.status not in HOLDING:
            raise WrongStatus(status=booking.status)
        deadline = self.cancel_deadline(booking)
        if utc(self.clock()) > deadline:
            raise CancelTooLate(deadline)
        return await self._set(booking, HOLDING, "cancelled")

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
        return await self._set(await self._get(reference), ("pending",), "confirmed")

    async def decline(self, reference: str, reason: str) -> Booking:
        """Decline a pending or confirmed booking with a reason the resident will read; frees its slot."""
        reason = reason.strip()
        if not reason or len(reason) > MAX_REASON:
            raise InvalidRequest(field="reason", max=MAX_REASON)
        return await self._set(await self._get(reference), HOLDING, "declined", reason)

    async def mark_no_show(self, reference: str) -> Booking:
        """A confirmed booking whose slot has started and nobody came."""
        booking = await self._get(reference)
        if booking.status == "confirmed" and booking.slot.start > utc(self.clock()):
            raise WrongStatus(status="not_started")
        return await self._set(booking, ("confirmed",), "no_show")

    async def change(self, reference: str, start: datetime) -> Booking:
        """Move a pending or confirmed booking to another slot of its venue (staff may leave the window, not go
        into the past). Raises ``SlotTaken`` with the next free slots when the new one is held."""
        booking = await self._get(reference)
        if booking.status not in HOLDING:
            raise WrongStatus(status=booking.status)
        venue = self.venue(booking.venue_id)
        slot = self._offered_slot(venue, start)
        if slot.start <= utc(self.clock()):
            raise InThePast(start=slot.start)
        try:
            moved = await self.store.move(reference, HOLDING, slot, S.quanta(slot), utc(self.clock()))
        except SlotConflict:
            raise SlotTaken(await self.next_free(venue.id, slot.start)) from None
        if moved is None:
            raise WrongStatus(status=(await self._get(reference)).status)
        return moved

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

    async def _set(self, booking: Booking, expected: Sequence[Status], status: Status,
                   reason: str | None = None) -> Booking:
        if booking.status not in expected:
            raise WrongStatus(status=booking.status)
        updated = await self.store.set_status(booking.reference, expected, status, utc(self.clock()), reason)
        if updated is None:  # someone else acted first
            raise WrongStatus(status=(await self._get(booking.reference)).status)
        return updated
