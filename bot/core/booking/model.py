"""Bookings of community venues, as the core sees them: immutable values, instants in UTC.

A booking holds one slot of one venue (``Slot``: start and end, aware datetimes). Its ``status`` moves
pending → confirmed (staff approve; venues without approval start confirmed) → no_show (staff mark it after the
start); pending or confirmed → declined (staff, with a reason) or cancelled (the resident, up to the venue's
deadline). Only pending and confirmed bookings hold their slot; declining or cancelling frees it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Literal

from bot.core.language import Lang

Status = Literal["pending", "confirmed", "declined", "cancelled", "no_show"]
STATUSES: tuple[Status, ...] = ("pending", "confirmed", "declined", "cancelled", "no_show")
#: Statuses that hold the slot (and count towards a resident's open bookings while the slot lies ahead).
HOLDING: tuple[Status, ...] = ("pending", "confirmed")
Applicant = Literal["resident", "group", "unit"]
APPLICANTS_ALL: tuple[Applicant, ...] = ("resident", "group", "unit")

MAX_PURPOSE = 200
MAX_UNIT_NAME = 100
MAX_CONTACT = 200
MAX_REASON = 500


@dataclass(frozen=True, order=True, slots=True)
class Slot:
    """One bookable time of a venue: ``start`` ≤ t < ``end``, aware datetimes (stored and compared in UTC)."""

    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    def local_day(self, tz: tzinfo) -> date:
        """The district's calendar date the slot starts on."""
        return self.start.astimezone(tz).date()


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """What a resident asks for. ``user`` is the resident's key (``tg:…``), never shown to staff."""

    user: str
    venue_id: str
    start: datetime  # aware; the start of one of the venue's slots
    purpose: str
    people: int
    applicant: Applicant
    contact: str
    consent: bool  # the resident agreed that staff may use ``contact`` about this booking
    unit_name: str | None = None  # required for a unit; a group's name for a group
    language: Lang = "zh-Hant"


@dataclass(frozen=True, slots=True)
class NewBooking:
    """A booking as the service hands it to the store: checked, priced, with the grid steps it holds."""

    reference: str
    user: str
    venue_id: str
    slot: Slot
    status: Status
    applicant: Applicant
    purpose: str
    people: int
    price_cents: int
    contact: str
    created_at: datetime
    #: The slot's 5-minute grid steps, in minutes since the epoch: one row each under UNIQUE (venue, step).
    quanta: tuple[int, ...]
    unit_name: str | None = None
    language: Lang = "zh-Hant"

    def stored(self) -> Booking:
        """The booking as a store keeps it once its write is committed: what the resident's confirmation shows
        without reading it back (a staged write's acknowledgement is built after the COMMIT, from this)."""
        return Booking(reference=self.reference, user=self.user, venue_id=self.venue_id,
                       slot=Slot(utc(self.slot.start), utc(self.slot.end)), status=self.status,
                       applicant=self.applicant, purpose=self.purpose, people=self.people,
                       price_cents=self.price_cents, created_at=utc(self.created_at),
                       updated_at=utc(self.created_at), unit_name=self.unit_name, language=self.language,
                       has_contact=bool(self.contact))


@dataclass(frozen=True, slots=True)
class Booking:
    reference: str
    user: str | None
    venue_id: str
    slot: Slot
    status: Status
    applicant: Applicant
    purpose: str
    people: int
    price_cents: int
    created_at: datetime
    updated_at: datetime
    unit_name: str | None = None
    language: Lang = "zh-Hant"
    reason: str | None = None  # why staff declined it
    has_contact: bool = False

    @property
    def holds_slot(self) -> bool:
        return self.status in HOLDING

    def is_open(self, now: datetime) -> bool:
        """Pending or confirmed and not yet over: counts towards the resident's limit."""
        return self.holds_slot and self.slot.end > now

    @property
    def free(self) -> bool:
        return self.price_cents == 0


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("booking times must be aware datetimes")
    return moment.astimezone(UTC)


def epoch_minutes(moment: datetime) -> int:
    return int((utc(moment) - EPOCH).total_seconds() // 60)


def from_epoch_minutes(minutes: int) -> datetime:
    return EPOCH + timedelta(minutes=minutes)
