"""How well the rooms are used: the figures the district reports (issue 13), per venue per week.

- **hours open**: the venue's opening hours that week (closed dates left out);
- **hours booked**: hours of confirmed bookings, and of those marked no-show (the room was held for them);
  ``utilisation`` = booked / open;
- **by applicant**: hours booked by residents, resident groups and units;
- **no-show rate**: no-shows among the bookings that were confirmed and whose slot is over;
- **free vs paid**: hours booked at no cost and at a price.

Pure functions over ``Booking`` values and venues, so the report, ``/stats`` and the benchmark share them. Weeks are
ISO weeks (Monday to Sunday) of the district's calendar.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import TypeVar

from bot.core.booking.model import APPLICANTS_ALL, Booking, utc
from bot.core.booking.slots import days
from bot.core.knowledge.venues import Venue

BOOKED = ("confirmed", "no_show")
K = TypeVar("K", bound=Hashable)


@dataclass
class WeekUsage:
    venue_id: str
    week: date  # the Monday
    hours_open: float = 0.0
    hours_booked: float = 0.0
    by_applicant: dict[str, float] = field(default_factory=lambda: {kind: 0.0 for kind in APPLICANTS_ALL})
    free_hours: float = 0.0
    paid_hours: float = 0.0
    bookings: int = 0  # confirmed or no-show
    ended: int = 0  # of those, slots already over
    no_shows: int = 0
    pending: int = 0
    revenue_cents: int = 0

    @property
    def utilisation(self) -> float | None:
        return self.hours_booked / self.hours_open if self.hours_open else None

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.ended if self.ended else None


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_usage(bookings: Iterable[Booking], venues: Sequence[Venue], tz: tzinfo, first: date, last: date,
                 now: datetime) -> list[WeekUsage]:
    """One row per venue per week touching [``first``, ``last``] (local dates; a week's open hours count only its
    days inside the range), ordered by venue then week. Bookings of venues no longer in the knowledge base are
    counted under their id with no open hours."""
    now = utc(now)
    rows: dict[tuple[str, date], WeekUsage] = {}

    def row(venue_id: str, day: date) -> WeekUsage:
        key = (venue_id, monday(day))
        if key not in rows:
            rows[key] = WeekUsage(venue_id, key[1])
        return rows[key]

    for venue in venues:
        for day in days(first, last):
            row(venue.id, day).hours_open += venue.open_minutes(day) / 60
    for b in bookings:
        day = b.slot.local_day(tz)
        if not first <= day <= last:
            continue
        if b.status == "pending":
            row(b.venue_id, day).pending += 1
        if b.status not in BOOKED:
            continue
        r = row(b.venue_id, day)
        hours = b.slot.minutes / 60
        r.hours_booked += hours
        r.by_applicant[b.applicant] = r.by_applicant.get(b.applicant, 0.0) + hours
        if b.price_cents:
            r.paid_hours += hours
            r.revenue_cents += b.price_cents
        else:
            r.free_hours += hours
        r.bookings += 1
        if b.slot.end <= now:
            r.ended += 1
            r.no_shows += b.status == "no_show"
    return [rows[key] for key in sorted(rows)]


def totals(rows: Iterable[WeekUsage]) -> dict[str, WeekUsage]:
    """The weekly rows summed per venue (``week`` is the first week's Monday)."""
    return _summed(rows, lambda r: r.venue_id)


def _summed(rows: Iterable[WeekUsage], key: Callable[[WeekUsage], K]) -> dict[K, WeekUsage]:
    """The rows summed per ``key`` (in the order keys first appear); each sum's ``week`` is its first Monday."""
    grouped: dict[K, list[WeekUsage]] = defaultdict(list)
    for r in rows:
        grouped[key(r)].append(r)
    out = {}
    for k, weeks in grouped.items():
        total = WeekUsage(weeks[0].venue_id, min(w.week for w in weeks))
        for w in weeks:
            total.hours_open += w.hours_open
            total.hours_booked += w.hours_booked
            for kind, hours in w.by_applicant.items():
                total.by_applicant[kind] = total.by_applicant.get(kind, 0.0) + hours
            total.free_hours += w.free_hours
            total.paid_hours += w.paid_hours
            total.bookings += w.bookings
            total.ended += w.ended
            total.no_shows += w.no_shows
            total.pending += w.pending
            total.revenue_cents += w.revenue_cents
        out[k] = total
    return out


@dataclass(frozen=True)
class RoomsUse:
    """One period's ``weekly_usage`` rows with the rooms' names in the reader's language: what the report's table,
    the rooms chart and its caption show, so they never disagree. ``per_room`` and ``per_week`` only sum these
    rows; both leave out venues no longer in the knowledge base (no open hours to be a share of)."""

    first: date
    last: date
    names: tuple[tuple[str, str], ...]  # (venue id, name), in the knowledge base's order
    rows: tuple[WeekUsage, ...]  # as ``weekly_usage`` returned them, every venue

    def per_room(self) -> list[tuple[str, WeekUsage]]:
        """(name, the period's totals) per room of the knowledge base, in its order."""
        per_venue = totals(self.rows)
        return [(name, per_venue[vid]) for vid, name in self.names if vid in per_venue]

    def per_week(self) -> list[WeekUsage]:
        """All the rooms of the knowledge base summed per week, oldest first (``venue_id`` is empty)."""
        named = {vid for vid, _ in self.names}
        weeks = _summed((r for r in self.rows if r.venue_id in named), lambda r: r.week)
        return [replace(w, venue_id="") for _, w in sorted(weeks.items())]
