"""Slots and the calendar, in the district's time zone: which slots a venue has on a date, which of them are
free, the bookable window, and the grid steps a booking holds.

Venue hours are wall-clock times of the district (``DISTRICT_TZ``, default Asia/Shanghai); a slot is a pair of
aware instants, so "today", "in the past" and "within 30 days" are all decided in the district's calendar whatever
the server's time zone, also across midnight (a 23:00-24:00 slot ends on the next date).
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime, time, timedelta, tzinfo

from bot.core.booking.model import Slot, epoch_minutes, utc
from bot.core.knowledge.venues import GRID_MINUTES, Venue


def local_instant(day: date, minutes: int, tz: tzinfo) -> datetime:
    """The instant of ``minutes`` after midnight of local ``day`` (1440 = the next midnight), in UTC."""
    extra, minutes = divmod(minutes, 24 * 60)
    wall = datetime.combine(day + timedelta(days=extra), time(minutes // 60, minutes % 60), tzinfo=tz)
    return utc(wall)


def day_slots(venue: Venue, day: date, tz: tzinfo) -> list[Slot]:
    """Every slot of ``venue`` on local ``day`` (none on a closed date), in order."""
    return [Slot(local_instant(day, start, tz), local_instant(day, end, tz)) for start, end in venue.ranges_on(day)]


def today(now: datetime, tz: tzinfo) -> date:
    """The district's date at ``now``."""
    return now.astimezone(tz).date()


def window(venue: Venue, now: datetime, tz: tzinfo) -> tuple[date, date]:
    """The first and last local dates a slot may be booked on: ``book_ahead.min_days`` to ``max_days`` from the
    district's today."""
    current = today(now, tz)
    return current + timedelta(days=venue.min_days_ahead), current + timedelta(days=venue.max_days_ahead)


def quanta(slot: Slot) -> tuple[int, ...]:
    """The grid steps a slot holds, as minutes since the epoch (every 5 minutes from its start)."""
    return tuple(range(epoch_minutes(slot.start), epoch_minutes(slot.end), GRID_MINUTES))


def is_free(slot: Slot, taken: Collection[int]) -> bool:
    """Whether no grid step of ``slot`` is in ``taken``."""
    return not any(q in taken for q in quanta(slot))


def free_slots(venue: Venue, day: date, tz: tzinfo, taken: Collection[int], now: datetime) -> list[Slot]:
    """The slots of ``day`` that start after ``now`` and hold no taken step."""
    return [s for s in day_slots(venue, day, tz) if s.start > now and is_free(s, taken)]


def days(first: date, last: date) -> Iterable[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def span(venue: Venue, first: date, last: date, tz: tzinfo) -> tuple[int, int]:
    """Epoch minutes from the start of local ``first`` to the end of local ``last`` (a store's range query)."""
    return epoch_minutes(local_instant(first, 0, tz)), epoch_minutes(local_instant(last, 24 * 60, tz))
