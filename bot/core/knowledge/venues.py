"""The ``venues`` section of the knowledge directory: rooms residents, groups and units can book.

Staff describe each venue once, in any ``*.yaml`` file (``knowledge/venues.yaml`` in the sample): its name, the
entry it belongs to, capacity and area, opening hours per weekday, how the hours are cut into slots, who may book
and at what price, whether staff approve requests, how far ahead, the cancellation deadline, closed dates and the
house rules. The loader (``sections.SECTIONS``) checks every venue like the other sections, every problem as
``FILE:LINE: message``; the format is described in ``docs/knowledge-format.md``.

Times are wall-clock times of the district (``DISTRICT_TZ``); ``bot.core.booking.slots`` turns them into instants.
"""
from __future__ import annotations

import re
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import yaml

from bot.core.knowledge.compound_specs import Field, ListOf, Mapping, Record, Seq, check_list
from bot.core.knowledge.model import Text
from bot.core.knowledge.spec import ID_HINT, ID_PATTERN, Bool, Date, Enum, KeyPath, LocalizedText, Number, Spec, Str
from bot.core.knowledge.yaml_nodes import Report, describe, did_you_mean, is_null, line_of

if TYPE_CHECKING:  # the sections registry imports this module
    from bot.core.knowledge.sections import CrossCheck

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Who may book: individual residents, resident groups (a dance team, a homeowners' group), units (organisations).
APPLICANTS: tuple[str, ...] = ("resident", "group", "unit")
#: Every time is on this grid; bookings hold the venue one grid step at a time (``booking.slots.quanta``).
GRID_MINUTES = 5
DEFAULT_MIN_DAYS, DEFAULT_MAX_DAYS, DEFAULT_CANCEL_HOURS = 1, 30, 24
MAX_DAYS_AHEAD = 366

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})\s*$")
_ID = Str(pattern=ID_PATTERN, pattern_hint=ID_HINT)
_LOCALIZED = " Plain text, or a map with keys zh-Hant, zh-Hans and en."

TimeRange = tuple[int, int]  # minutes after local midnight: start, end (end may be 1440)


def show_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def show_range(r: TimeRange) -> str:
    return f"{show_time(r[0])}-{show_time(r[1])}"


@dataclass(frozen=True)
class TimeRanges(Spec):
    """Opening hours of one day: ``"08:30-11:30, 14:00-20:00"``, a list of such ranges, or ``[]``/``closed``.

    Each range starts before it ends, within one day (``24:00`` ends at midnight), on the 5-minute grid; ranges may
    not overlap. Returns a ``Seq`` of ``(start, end)`` minutes, sorted, with the line of each."""

    noun: str = "hours"
    label: ClassVar[str] = "opening hours like \"08:30-11:30, 14:00-20:00\", a list of them, or closed"

    def check(self, node: yaml.Node, path: KeyPath, report: Report) -> Any:
        items: list[tuple[str, int]] = []
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                if not isinstance(child, yaml.ScalarNode) or is_null(child):
                    report.error(child, f"{self.subject(path)}: a range must be text like 08:30-11:30, "
                                        f"not {describe(child)}")
                    continue
                items.extend((part, line_of(child)) for part in child.value.split(",") if part.strip())
        elif isinstance(node, yaml.ScalarNode) and not is_null(node):
            if node.value.strip().lower() == "closed":
                return Seq((), ())
            items = [(part, line_of(node)) for part in node.value.split(",") if part.strip()]
        else:
            return self.wrong_type(node, path, report)
        ranges: list[tuple[TimeRange, int]] = []
        for text, line in items:
            parsed = self._range(text.strip(), line, path, report)
            if parsed is not None:
                ranges.append((parsed, line))
        ranges.sort()
        for (a, _), (b, line) in zip(ranges, ranges[1:], strict=False):
            if b[0] < a[1]:
                report.error(line, f"{self.subject(path)}: {show_range(b)} overlaps {show_range(a)}")
        return Seq([r for r, _ in ranges], [line for _, line in ranges])

    def _range(self, text: str, line: int, path: KeyPath, report: Report) -> TimeRange | None:
        match = _RANGE.match(text)
        if match is None:
            report.error(line, f"{self.subject(path)}: '{text}' is not a time range like 08:30-11:30")
            return None
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            report.error(line, f"{self.subject(path)}: '{text}' is not a time of day (00:00 to 24:00)")
            return None
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end <= start:
            report.error(line, f"{self.subject(path)}: '{text}' ends before it starts (a range cannot cross "
                               "midnight: end it at 24:00 and start the next day at 00:00)")
            return None
        if start % GRID_MINUTES or end % GRID_MINUTES:
            report.error(line, f"{self.subject(path)}: '{text}': times must be on a {GRID_MINUTES}-minute grid "
                               "(…:00, …:05, …:10 …)")
            return None
        return start, end

    def json_schema(self) -> dict[str, Any]:
        one = {"type": "string", "pattern": r"^\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*(,\s*\d{1,2}:\d{2}\s*-\s*"
                                            r"\d{1,2}:\d{2}\s*)*$"}
        return {"anyOf": [one, {"enum": ["closed"]}, {"type": "array", "items": one}]}


_HOURS_HELP = ' "08:30-11:30, 14:00-20:00", a list of ranges, or closed.'
HOURS = Mapping(noun="`hours`", description="Opening hours by weekday, local time of the district. A day's own key "
                "wins over weekdays/weekend, which win over daily; a day none of them gives is closed.", fields=(
    Field("daily", TimeRanges(), description="Every day." + _HOURS_HELP),
    Field("weekdays", TimeRanges(), description="Monday to Friday." + _HOURS_HELP),
    Field("weekend", TimeRanges(), description="Saturday and Sunday." + _HOURS_HELP),
    *(Field(day, TimeRanges(), description=f"{name}." + _HOURS_HELP)
      for day, name in zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)),
))

PRICE = Mapping(noun="`price`", description="Price of one slot per kind of applicant, in yuan; 0 = free. A kind "
                "that may book but has no price here books free.", fields=tuple(
    Field(kind, Number(minimum=0), description=f"Price per slot for a {kind}; 0 = free.") for kind in APPLICANTS))

AHEAD = Mapping(noun="`book_ahead`", description="How far ahead bookings are taken, in days from today.", fields=(
    Field("min_days", Number(minimum=0, maximum=MAX_DAYS_AHEAD, integer=True),
          description=f"Earliest: this many days from today (0 = today; default {DEFAULT_MIN_DAYS})."),
    Field("max_days", Number(minimum=0, maximum=MAX_DAYS_AHEAD, integer=True),
          description=f"Latest: this many days from today (default {DEFAULT_MAX_DAYS})."),
))

VENUE = Mapping(noun="venue", description="A room residents, groups or units can book.", fields=(
    Field("id", _ID, required=True, description="Unique across the directory; a-z, 0-9 and '-', at most 40."),
    Field("name", LocalizedText(), required=True, description="Name shown to residents." + _LOCALIZED),
    Field("community", LocalizedText(), description="The community it is in." + _LOCALIZED),
    Field("entry", _ID, description="Id of the knowledge-base entry it belongs to (its answer offers to book)."),
    Field("capacity", Number(minimum=1, integer=True), required=True, description="Most people at once."),
    Field("area", Number(minimum=1), description="Floor area in square metres."),
    Field("hours", HOURS, required=True, description="Opening hours per weekday (local time)."),
    Field("slot_minutes", Number(minimum=GRID_MINUTES, maximum=24 * 60, integer=True),
          description="Length of one bookable slot; it must divide every opening range. Without it, each opening "
                      "range is one bookable slot (e.g. morning 08:30-11:30)."),
    Field("applicants", ListOf(Enum(values=APPLICANTS, noun="applicant"), min_items=1, unique=True,
                               item_noun="kind"), required=True,
          description="Who may book: resident, group, unit."),
    Field("price", PRICE, description="Price per slot per kind of applicant (default: free)."),
    Field("approval", Bool(), description="true: staff approve each request (default); false: confirmed at once."),
    Field("book_ahead", AHEAD, description=f"How far ahead (default {DEFAULT_MIN_DAYS}-{DEFAULT_MAX_DAYS} days)."),
    Field("cancel_hours", Number(minimum=0, maximum=MAX_DAYS_AHEAD * 24, integer=True),
          description=f"Residents may cancel until this many hours before the start (default "
                      f"{DEFAULT_CANCEL_HOURS})."),
    Field("closed", ListOf(Date(), unique=True, item_noun="date"),
          description="Dates it is closed (holidays, repairs), YYYY-MM-DD."),
    Field("rules", LocalizedText(), description="House rules residents accept before booking." + _LOCALIZED),
))

MAX_VENUE_ID = 40


@dataclass(frozen=True, slots=True)
class Venue:
    id: str
    name: Text
    capacity: int
    #: Opening hours per weekday (0 = Monday): sorted, non-overlapping ``(start, end)`` minutes of local time.
    hours: tuple[tuple[TimeRange, ...], ...]
    applicants: tuple[str, ...]
    #: Price of one slot in cents, per kind of applicant that may book.
    prices_cents: MappingType[str, int] = field(default_factory=dict)
    slot_minutes: int | None = None
    approval: bool = True
    min_days_ahead: int = DEFAULT_MIN_DAYS
    max_days_ahead: int = DEFAULT_MAX_DAYS
    cancel_hours: int = DEFAULT_CANCEL_HOURS
    closed: frozenset[date] = frozenset()
    community: Text | None = None
    entry: str | None = None
    area: float | None = None
    rules: Text | None = None
    file: str = ""
    line: int = 0
    entry_line: int = 0  # where `entry` is written, for the check across files

    def ranges_on(self, day: date) -> tuple[TimeRange, ...]:
        """The bookable slots of a local date as ``(start, end)`` minutes: none on a closed date."""
        if day in self.closed:
            return ()
        out: list[TimeRange] = []
        for start, end in self.hours[day.weekday()]:
            step = self.slot_minutes or (end - start)
            out.extend((s, s + step) for s in range(start, end, step))
        return tuple(out)

    def price_cents(self, applicant: str) -> int:
        return self.prices_cents.get(applicant, 0)

    def open_minutes(self, day: date) -> int:
        """Minutes the venue is open on a local date (none on a closed date)."""
        return 0 if day in self.closed else sum(end - start for start, end in self.hours[day.weekday()])


@dataclass(frozen=True, slots=True)
class _Unbuilt:
    """A venue with problems, kept only so the checks across files still see its id and entry (a directory with
    problems never becomes a knowledge base, so it never reaches the rest of the core)."""

    id: str | None
    entry: str | None
    file: str
    line: int
    entry_line: int


def parse_section(node: yaml.Node, report: Report) -> list[Venue | _Unbuilt]:
    """One file's ``venues:`` list → venues; every problem goes to ``report``."""
    built: list[Venue | _Unbuilt] = []
    for record in check_list(node, "venues", VENUE, report):
        venue = _venue(record, report)
        built.append(venue if venue is not None else
                     _Unbuilt(record.get("id"), record.get("entry"), record.file, record.line, record.line_of("entry")))
    return built


def check_across_files(venues: list[Venue | _Unbuilt], cross: CrossCheck) -> None:
    """Venue ids are unique across the directory, and every ``entry`` names an entry."""
    seen: dict[str, Venue | _Unbuilt] = {}
    for venue in venues:
        first = seen.setdefault(venue.id, venue) if venue.id is not None else venue
        if first is not venue:
            cross.error(venue.file, venue.line, f"duplicate venue id '{venue.id}' "
                                                f"(first defined at {Path(first.file).name}:{first.line})")
        if venue.entry is not None and cross.complete and venue.entry not in cross.entry_ids:
            cross.error(venue.file, venue.entry_line or venue.line,
                        f"venue '{venue.id}': `entry` names '{venue.entry}', which is not an entry id"
                        f"{did_you_mean(venue.entry, sorted(cross.entry_ids), 0.8)}")


def _venue(r: Record, report: Report) -> Venue | None:
    before = len(report.problems)
    vid = r.get("id")
    where = f"venue '{vid}'" if vid else "venue"
    if vid is not None and len(vid) > MAX_VENUE_ID:
        report.error(r.line_of("id"), f"{where}: id is longer than {MAX_VENUE_ID} characters (buttons carry it)")
    hours = _hours(r.get("hours"))
    slot = r.get("slot_minutes")
    if slot is not None and hours is not None:
        if slot % GRID_MINUTES:
            report.error(r.line_of("slot_minutes"), f"{where}: `slot_minutes` must be a multiple of {GRID_MINUTES}")
        else:
            _check_slot_divides(r, where, slot, report)
    applicants = tuple(r.get("applicants", ()))
    prices: Record = r.get("price") or Record(r.file, r.line)  # none given: no prices
    for kind in prices:
        if applicants and kind not in applicants:
            report.error(prices.line_of(kind), f"{where}: `price` gives a price for {kind}, who may not book "
                                               f"(add {kind} to `applicants`, or remove the price)")
    ahead: Record = r.get("book_ahead") or Record(r.file, r.line)
    min_days = int(ahead.get("min_days", DEFAULT_MIN_DAYS))
    max_days = int(ahead.get("max_days", DEFAULT_MAX_DAYS))
    if min_days > max_days:
        report.error(ahead.line_of("max_days") if ahead else r.line_of("book_ahead"),
                     f"{where}: `book_ahead.max_days` ({max_days}) is before `min_days` ({min_days})")
    if hours is not None and not any(hours):
        report.error(r.line_of("hours"), f"{where}: `hours` opens on no day of the week")
    if len(report.problems) > before or vid is None or hours is None or "name" not in r or "capacity" not in r \
            or not applicants:
        return None
    community, rules = r.get("community"), r.get("rules")
    return Venue(
        id=vid, name=Text.of(r["name"]), capacity=int(r["capacity"]), hours=hours, applicants=applicants,
        prices_cents=MappingProxyType({k: round(float(v) * 100) for k, v in prices.items()}),
        slot_minutes=int(slot) if slot is not None else None, approval=r.get("approval", True),
        min_days_ahead=min_days, max_days_ahead=max_days,
        cancel_hours=int(r.get("cancel_hours", DEFAULT_CANCEL_HOURS)), closed=frozenset(r.get("closed", ())),
        community=Text.of(community) if community else None, entry=r.get("entry"),
        area=float(r["area"]) if "area" in r else None, rules=Text.of(rules) if rules else None,
        file=r.file, line=r.line, entry_line=r.line_of("entry"),
    )


def _day_sources(hours: Record) -> list[str | None]:
    """For each weekday, the key of ``hours`` its ranges come from (None: closed)."""
    out: list[str | None] = []
    for index, day in enumerate(WEEKDAYS):
        group = "weekdays" if index < 5 else "weekend"
        out.append(next((key for key in (day, group, "daily") if key in hours), None))
    return out


def _hours(hours: Record | None) -> tuple[tuple[TimeRange, ...], ...] | None:
    if not isinstance(hours, Record):
        return None
    return tuple(tuple(hours[key]) if key is not None else () for key in _day_sources(hours))


def _check_slot_divides(r: Record, where: str, slot: int, report: Report) -> None:
    hours: Record = r["hours"]
    reported: set[tuple[str, int]] = set()
    for key in _day_sources(hours):
        if key is None:
            continue
        ranges: Seq = hours[key]
        for (start, end), line in zip(ranges, ranges.lines, strict=True):
            if (end - start) % slot and (key, start) not in reported:
                reported.add((key, start))
                report.error(line, f"{where}: `slot_minutes` {slot} does not divide {show_range((start, end))} "
                                   f"in `hours.{key}` ({end - start} minutes); change the hours or the slot length")


SCHEMA: dict[str, Any] = {"description": "Rooms residents, groups and units can book (see docs/knowledge-format.md).",
                          **ListOf(VENUE).json_schema()}
