"""The ``venues`` section: a good venue becomes a ``Venue``; every mistake is reported as FILE:LINE; `kb lint`
warns about venues no entry links to; the sample's venues are valid and linked."""
from __future__ import annotations

import textwrap
from datetime import date

import pytest

from bot.cli import main
from bot.core.errors import KnowledgeBaseInvalid
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.schema import knowledge_json_schema
from bot.core.staff.lint import unlinked_venues
from bot.settings import PROJECT_ROOT

ENTRY = """\
entries:
  - id: facility-hall
    category: facilities
    title: 排練廳
    questions: [排練廳怎麼預約]
    answer: 在服務中心三樓。
"""

GOOD = """\
venues:
  - id: hall
    name: {zh-Hant: 排練廳, en: Rehearsal hall}
    community: 積善社區
    entry: facility-hall
    capacity: 40
    area: 120
    hours:
      daily: 08:30-21:00
      weekend: [09:00-12:00, "14:00-18:00"]
      mon: closed
    slot_minutes: 30
    applicants: [resident, group, unit]
    price: {resident: 20, unit: 12.5}
    approval: false
    book_ahead: {min_days: 2, max_days: 14}
    cancel_hours: 48
    closed: [2026-10-01]
    rules: 請穿軟底鞋。
"""


def write(tmp_path, venues: str, entries: str = ENTRY):
    (tmp_path / "facilities.yaml").write_text(entries, encoding="utf-8")
    (tmp_path / "venues.yaml").write_text(textwrap.dedent(venues), encoding="utf-8")
    return tmp_path


def problems(tmp_path, venues: str) -> list[str]:
    with pytest.raises(KnowledgeBaseInvalid) as raised:
        load_knowledge(write(tmp_path, venues))
    return [f"{p.file.rsplit('/', 1)[-1]}:{p.line}: {p.message}" for p in raised.value.problems]


def test_a_good_venue_is_read_with_its_hours_slots_and_prices(tmp_path):
    kb = load_knowledge(write(tmp_path, GOOD))
    hall = kb.venue("hall")
    assert kb.venues_of("facility-hall") == [hall]
    assert hall.hours[0] == () and hall.hours[1] == ((510, 1260),) and hall.hours[5] == ((540, 720), (840, 1080))
    assert hall.prices_cents == {"resident": 2000, "unit": 1250} and hall.price_cents("group") == 0
    assert (hall.capacity, hall.area, hall.approval, hall.min_days_ahead, hall.max_days_ahead, hall.cancel_hours) == \
        (40, 120.0, False, 2, 14, 48)
    assert hall.ranges_on(date(2026, 10, 3))[:2] == ((540, 570), (570, 600)), "a Saturday, 30-minute slots"
    assert hall.ranges_on(date(2026, 10, 1)) == (), "closed date"
    assert hall.ranges_on(date(2026, 9, 28)) == (), "Mondays closed"
    assert hall.rules.get("en") == "請穿軟底鞋。" and hall.entry_line == 5


def test_every_mistake_is_reported_with_its_line(tmp_path):
    found = problems(tmp_path, """\
    venues:
      - id: hall
        name: 排練廳
        entry: facility-hal
        capacity: 0
        hours:
          daily: 08:30-12:00, 11:00-13:00
          tue: 09:00-08:00
          wed: 9:07-10:00
          fri: [abc]
          sunday: 09:00-10:00
        slot_minutes: 60
        applicants: [resident, grup]
        price: {resident: -5, unit: 10}
        aproval: true
        book_ahead: {min_days: 10, max_days: 5}
      - id: hall
        name: 又一個
        capacity: 5
        hours: {weekdays: "09:00-10:30"}
        slot_minutes: 60
        applicants: [group]
    """)
    expected = [
        "venues.yaml:4: venue 'hall': `entry` names 'facility-hal', which is not an entry id; did you mean "
        "`facility-hall`?",
        "venues.yaml:5: `capacity` must be at least 1, not 0",
        "venues.yaml:7: `hours.daily`: 11:00-13:00 overlaps 08:30-12:00",
        "venues.yaml:7: venue 'hall': `slot_minutes` 60 does not divide 08:30-12:00 in `hours.daily` (210 minutes); "
        "change the hours or the slot length",
        "venues.yaml:8: `hours.tue`: '09:00-08:00' ends before it starts (a range cannot cross midnight: end it at "
        "24:00 and start the next day at 00:00)",
        "venues.yaml:9: `hours.wed`: '9:07-10:00': times must be on a 5-minute grid (…:00, …:05, …:10 …)",
        "venues.yaml:10: `hours.fri`: 'abc' is not a time range like 08:30-11:30",
        "venues.yaml:11: unknown key `sunday` in `hours`; did you mean `sun`?",
        "venues.yaml:13: `applicants[2]` must be one of resident, group, unit, not 'grup'; did you mean `group`?",
        "venues.yaml:14: `price.resident` must be at least 0, not -5",
        "venues.yaml:14: venue 'hall': `price` gives a price for unit, who may not book (add unit to `applicants`, "
        "or remove the price)",
        "venues.yaml:15: unknown key `aproval` in venue; did you mean `approval`?",
        "venues.yaml:16: venue 'hall': `book_ahead.max_days` (5) is before `min_days` (10)",
        "venues.yaml:17: duplicate venue id 'hall' (first defined at venues.yaml:2)",
        "venues.yaml:20: venue 'hall': `slot_minutes` 60 does not divide 09:00-10:30 in `hours.weekdays` (90 "
        "minutes); change the hours or the slot length",
    ]
    assert found == expected


def test_duplicate_ids_slot_length_and_prices_for_kinds_that_may_not_book(tmp_path):
    found = problems(tmp_path, """\
    venues:
      - id: room
        name: 議事室
        capacity: 5
        hours: {daily: "08:30-12:00"}
        slot_minutes: 60
        applicants: [group]
        price: {unit: 10}
      - id: room
        name: 議事室
        capacity: 5
        hours: {daily: closed}
        applicants: [group]
    """)
    assert found == [
        "venues.yaml:5: venue 'room': `slot_minutes` 60 does not divide 08:30-12:00 in `hours.daily` (210 minutes); "
        "change the hours or the slot length",
        "venues.yaml:8: venue 'room': `price` gives a price for unit, who may not book (add unit to `applicants`, or "
        "remove the price)",
        "venues.yaml:9: duplicate venue id 'room' (first defined at venues.yaml:2)",
        "venues.yaml:12: venue 'room': `hours` opens on no day of the week",
    ]
    found = problems(tmp_path, GOOD + GOOD.removeprefix("venues:\n"))
    assert found == ["venues.yaml:20: duplicate venue id 'hall' (first defined at venues.yaml:2)"]


def test_kb_lint_warns_about_a_venue_no_entry_links_to(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEMANTIC_MATCHING", "off")
    kb = load_knowledge(write(tmp_path, GOOD.replace("    entry: facility-hall\n", "")))
    assert [str(w) for w in unlinked_venues(kb)] == [
        f"{tmp_path}/venues.yaml:2: warning [venue]: venue hall: no entry links to it (give it `entry: ENTRY-ID`, "
        "so the entry's answer offers to book it)"]
    assert main(["kb", "lint", "--kb", str(tmp_path)]) == 0
    assert "warning [venue]: venue hall" in capsys.readouterr().out


def test_the_sample_venues_are_valid_linked_and_in_the_schema():
    kb = load_knowledge(PROJECT_ROOT / "knowledge")
    assert len(kb.venues) >= 10
    assert unlinked_venues(kb) == []
    kinds = {v.id.rsplit("-", 2)[-1] for v in kb.venues}
    assert {"hall", "room", "gym"} <= kinds
    assert all(kb.get(v.entry) is not None and kb.get(v.entry).category == "facilities" for v in kb.venues)
    schema = knowledge_json_schema()
    venue = schema["properties"]["venues"]["items"]
    assert venue["required"] == ["id", "name", "capacity", "hours", "applicants"]
    assert venue["properties"]["price"]["properties"]["unit"]["minimum"] == 0
