"""Shared pieces of the booking tests: a venue, requests, a clock and the two stores."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from bot.core.booking.memory_store import MemoryBookingStore
from bot.core.booking.model import BookingRequest, NewBooking, Slot
from bot.core.booking.service import BookingService
from bot.core.booking.slots import quanta
from bot.core.knowledge.model import Text
from bot.core.knowledge.venues import Venue

TZ = ZoneInfo("Asia/Shanghai")
#: Wednesday 1 July 2026, 09:00 in the district.
NOW = datetime(2026, 7, 1, 9, 0, tzinfo=TZ)


def venue(vid="hall", *, hours=((510, 1260),), slot=150, approval=True, applicants=("resident", "group", "unit"),
          prices=None, min_days=0, max_days=30, cancel_hours=24, closed=(), capacity=40) -> Venue:
    return Venue(id=vid, name=Text.of("排練廳"), capacity=capacity, hours=(tuple(hours),) * 7,
                 applicants=tuple(applicants), prices_cents=MappingProxyType(dict(prices or {"resident": 5000})),
                 slot_minutes=slot, approval=approval, min_days_ahead=min_days, max_days_ahead=max_days,
                 cancel_hours=cancel_hours, closed=frozenset(closed))


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=TZ)


def request(start: datetime, user="tg:1", vid="hall", **kw) -> BookingRequest:
    values = dict(user=user, venue_id=vid, start=start, purpose="舞蹈排練", people=12, applicant="resident",
                  contact="138 0000 0000", consent=True)
    values.update(kw)
    return BookingRequest(**values)


def new_booking(reference: str, start: datetime, minutes=150, user="tg:1", vid="hall", status="pending",
                created=NOW, **kw) -> NewBooking:
    slot = Slot(start.astimezone(UTC), (start + timedelta(minutes=minutes)).astimezone(UTC))
    values = dict(reference=reference, user=user, venue_id=vid, slot=slot, status=status, applicant="resident",
                  purpose="排練", people=10, price_cents=0, contact="138", created_at=created, quanta=quanta(slot))
    values.update(kw)
    return NewBooking(**values)


class Clock:
    def __init__(self, now: datetime = NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def service(store=None, venues=None, clock=None, **kw) -> BookingService:
    venues = venues or [venue()]
    by_id = {v.id: v for v in venues}
    return BookingService(store or MemoryBookingStore(), lambda: by_id, TZ, clock=clock or Clock(), **kw)
