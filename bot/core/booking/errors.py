"""Why a booking request, a cancellation or a staff decision was refused: one typed error each.

Every error carries a ``text_key`` (the words the chat flows will show, next session) and its ``params``, like
``bot.core.errors.LimitExceeded``; nothing was stored when one is raised.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.core.booking.model import Slot
from bot.core.errors import CoreError


class BookingRefused(CoreError):
    text_key = "booking.refused"

    def __init__(self, **params: object):
        self.params = params
        super().__init__(f"{self.text_key} {params}")


class UnknownVenue(BookingRefused):
    text_key = "booking.unknown_venue"


class ApplicantNotAllowed(BookingRefused):
    """This kind of applicant may not book this venue (``allowed``: the kinds that may)."""
    text_key = "booking.applicant_not_allowed"

    def __init__(self, applicant: str, allowed: Sequence[str]):
        super().__init__(applicant=applicant, allowed=tuple(allowed))
        self.allowed = tuple(allowed)


class InvalidRequest(BookingRefused):
    """A field of the request is missing or out of range (``field`` says which)."""
    text_key = "booking.invalid_request"


class ConsentRequired(BookingRefused):
    """No contact, or the resident did not agree that staff may use it."""
    text_key = "booking.consent_required"


class SlotNotOffered(BookingRefused):
    """The time is not one of the venue's slots that day (closed date, outside the hours, not a slot start)."""
    text_key = "booking.slot_not_offered"


class InThePast(BookingRefused):
    text_key = "booking.in_the_past"


class OutsideWindow(BookingRefused):
    """The date is before ``first`` or after ``last``, the venue's bookable window."""
    text_key = "booking.outside_window"

    def __init__(self, first: date, last: date):
        super().__init__(first=first, last=last)
        self.first, self.last = first, last


class SlotTaken(BookingRefused):
    """Someone else holds (part of) the slot — often someone who pressed the same button a moment earlier.
    ``next_free``: the next free slots of the venue, to offer instead."""
    text_key = "booking.slot_taken"

    def __init__(self, next_free: Sequence[Slot]):
        super().__init__(next_free=tuple(next_free))
        self.next_free = tuple(next_free)


class TooManyOpen(BookingRefused):
    """The resident already has ``limit`` open (pending or confirmed, not yet over) bookings."""
    text_key = "booking.too_many_open"

    def __init__(self, limit: int):
        super().__init__(limit=limit)
        self.limit = limit


class BookingNotFound(BookingRefused):
    """No such reference — or not this resident's (the two are not told apart)."""
    text_key = "booking.not_found"


class CancelTooLate(BookingRefused):
    """The venue's cancellation deadline (``deadline``) has passed."""
    text_key = "booking.cancel_too_late"

    def __init__(self, deadline: datetime):
        super().__init__(deadline=deadline)
        self.deadline = deadline


class WrongStatus(BookingRefused):
    """The booking is ``status``, which this action does not apply to (approve a cancelled booking, …)."""
    text_key = "booking.wrong_status"


# --- raised by stores, turned into the errors above by the service -------------------------------------------------

class SlotConflict(CoreError):
    """A grid step of the slot is held by another booking: the database's UNIQUE (venue, step) refused it."""


class OpenLimitReached(CoreError):
    """The resident's open bookings reached the limit (counted in the same transaction as the insert)."""


class DuplicateReference(CoreError):
    """The reference is taken; the service draws another one."""


class StatusChanged(CoreError):
    """The booking is gone or no longer in the status a staged status change expected: someone acted first."""
