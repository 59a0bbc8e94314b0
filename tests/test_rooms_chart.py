"""The community rooms chart as a staff member reads it: a full room reads 100 % and an empty one 0 % (both with
their hours), the split by residents / groups / units in the palette's colours, week by week from two weeks on,
"no data" when there is no room or no booking, every word in their language and script, Chinese room names with
no missing glyph — and the figures are the ``weekly_usage`` rows the report's table shows, summed, never figured
again."""
from __future__ import annotations

import dataclasses
import re
import warnings
from datetime import UTC, date, datetime, timedelta

import pytest
from booking_helpers import TZ, at, new_booking, venue
from feedback_helpers import write_knowledge
from matplotlib import rc_context
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle
from matplotlib.text import Text as Label

from bot.core.booking.model import Booking
from bot.core.booking.usage import RoomsUse, totals, weekly_usage
from bot.core.knowledge.model import Text
from bot.core.knowledge.service import KnowledgeService
from bot.core.language import to_simplified, to_traditional
from bot.core.staff import stats as S
from bot.reports import charts as C
from bot.reports.captions import caption
from bot.reports.labels import words
from bot.reports.rooms_chart import KIND_COLOURS, rooms

MON = date(2026, 7, 6)
HAN = re.compile(r"[\u3400-\u9fff]")
#: Open 09:00-11:30 every day: one 150-minute slot, 2.5 hours a day.
MORNING = ((540, 690),)


def room(vid: str, zh: str, en: str, script: str = "zh-Hant"):
    return dataclasses.replace(venue(vid, hours=MORNING), name=Text.of({script: zh, "en": en}))


HALL = room("hall", "積善社區排練廳", "Jishan rehearsal hall")
GYM = room("gym", "正達社區健身房", "Zhengda gym")
STUDY = room("study", "健園社區書畫室", "Jianyuan study")


def booked(reference: str, vid: str, day: date, applicant: str = "group") -> Booking:
    b = new_booking(reference, at(day, 9), minutes=150, vid=vid, applicant=applicant)
    return Booking(reference=b.reference, user=b.user, venue_id=b.venue_id, slot=b.slot, status="confirmed",
                   applicant=b.applicant, purpose=b.purpose, people=b.people, price_cents=b.price_cents,
                   created_at=b.created_at, updated_at=b.created_at)


def use_of(bookings, venues, weeks: int, lang: str) -> RoomsUse:
    last = MON + timedelta(days=7 * weeks - 1)
    rows = weekly_usage(bookings, venues, TZ, MON, last, datetime(2026, 8, 1, tzinfo=UTC))
    return RoomsUse(MON, last, tuple((v.id, v.name.get(lang)) for v in venues), tuple(rows))


def full_hall_empty_gym(weeks: int = 2) -> list[Booking]:
    """The hall booked every day (by groups), the study on two days (a resident, a unit), the gym never."""
    days = [MON + timedelta(days=i) for i in range(7 * weeks)]
    return ([booked(f"BK-H{i}", "hall", d) for i, d in enumerate(days)]
            + [booked("BK-S1", "study", MON, "resident"), booked("BK-S2", "study", MON + timedelta(days=1), "unit")])


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return KnowledgeService(write_knowledge(tmp_path_factory.mktemp("kb"))).current.kb


def stats_with(kb, use: RoomsUse | None, lang: str = "zh-Hant") -> S.Stats:
    return dataclasses.replace(S.aggregate([], [], [], kb, since=None, until=datetime(2026, 8, 1, tzinfo=UTC),
                                           lang=lang), rooms=use)


def drawn(stats: S.Stats):
    with rc_context(C.chart_rc()):
        figure = rooms(stats, words(stats.lang))
        figure.canvas.draw()
    return figure


def texts(figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(Label) if t.get_text().strip()]


def bar_ends(ax) -> dict[float, float]:
    """Each bar's end (the sum of its parts) by its position on the axis."""
    ends: dict[float, float] = {}
    for p in ax.patches:
        if isinstance(p, Rectangle):
            key = round(p.get_y() + p.get_height() / 2, 3)
            ends[key] = ends.get(key, 0.0) + p.get_width()
    return ends


def test_a_full_room_reads_100_percent_and_an_empty_one_0_percent(kb):
    stats = stats_with(kb, use_of(full_hall_empty_gym(), [HALL, GYM, STUDY], 2, "zh-Hant"))
    figure = drawn(stats)
    by_room = figure.axes[0]
    assert [t.get_text() for t in by_room.get_yticklabels()] == ["積善社區排練廳", "正達社區健身房", "健園社區書畫室"]
    assert [round(v, 6) for v in bar_ends(by_room).values()] == [100.0, 0.0, round(100 * 5 / 35, 6)]
    assert [t.get_text() for t in by_room.texts] == ["100%（35／35 小時）", "0%（0／35 小時）", "14%（5／35 小時）"]
    assert caption("rooms", stats) == ("2026-07-06 至 2026-07-19，3 個場地的開放時數有 38% 已預約（40／105 小時）；"
                                       "最少用的是「正達社區健身房」（0%），最常用的是「積善社區排練廳」（100%）。")
    # Who booked: the hall all groups (orange), the study a resident (blue) and a unit (sky blue).
    hall = {to_hex(p.get_facecolor()): p.get_width() for p in by_room.patches if abs(p.get_y() + 0.31) < 0.01}
    assert hall[KIND_COLOURS["group"].lower()] == 100.0 and hall[KIND_COLOURS["resident"].lower()] == 0.0


def test_week_by_week_from_two_weeks_and_one_panel_for_one_week(kb):
    two = drawn(stats_with(kb, use_of(full_hall_empty_gym(2), [HALL, GYM, STUDY], 2, "zh-Hant")))
    assert len(two.axes) == 2
    by_week = two.axes[1]
    assert [t.get_text() for t in by_week.get_xticklabels()] == ["07-06", "07-13"]
    assert [t.get_text() for t in by_week.texts] == ["43%", "33%"]  # 7+2 of 21 slots, then 7 of 21
    one = drawn(stats_with(kb, use_of(full_hall_empty_gym(1), [HALL, GYM, STUDY], 1, "zh-Hant")))
    assert len(one.axes) == 1, "one week: the all-rooms bar would only repeat the total"
    for figure in (one, two):
        renderer = figure.canvas.get_renderer()
        [legend] = figure.legends
        assert [t.get_text() for t in legend.get_texts()] == ["居民個人", "居民團隊", "社區單位"]
        box = legend.get_window_extent(renderer)
        assert not [ax for ax in figure.axes if box.overlaps(ax.get_window_extent(renderer))], "legend over data"


@pytest.mark.parametrize("case", ["no figures", "no rooms", "no bookings"])
def test_no_room_or_no_booking_draws_the_no_data_panel(kb, case):
    use = {"no figures": None, "no rooms": use_of([], [], 2, "zh-Hant"),
           "no bookings": use_of([], [HALL, GYM], 2, "zh-Hant")}[case]
    stats = stats_with(kb, use)
    figure = drawn(stats)
    assert "暫無資料" in texts(figure) and not [p for ax in figure.axes for p in ax.patches]
    expected = ("2026-07-06 至 2026-07-19，場地共開放 70 小時，沒有任何預約。" if case == "no bookings"
                else "這段時間沒有資料。")
    assert caption("rooms", stats) == expected


def test_one_room_gets_its_own_caption(kb):
    stats = stats_with(kb, use_of(full_hall_empty_gym(1)[:3], [HALL], 1, "en"), "en")
    assert caption("rooms", stats) == ("2026-07-06 to 2026-07-12: 43% of the open hours of “Jishan rehearsal hall” "
                                       "were booked (7.5 of 17.5 h).")


@pytest.mark.parametrize("lang, same", [("zh-Hant", to_traditional), ("zh-Hans", to_simplified)])
def test_chinese_room_names_render_with_no_missing_glyph_in_one_script(kb, lang, same):
    """Names as staff type them into the knowledge base: both scripts, an emoji, a "$", a very long one."""
    hostile = [room("hall", "積善社區排練廳 🎵 $5/小時", "x"), room("gym", "正达社区健身房", "y", "zh-Hans"),
               room("study", "健園社區書畫室（二樓，靠近電梯的那一間，週末與國定假日上午開放）", "z")]
    bookings = full_hall_empty_gym(8)
    stats = stats_with(kb, use_of(bookings, hostile, 8, lang), lang)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts = {c.name: c for c in C.draw_all(stats)}
        figure = drawn(stats)
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
    assert charts["rooms"].png.startswith(b"\x89PNG") and len(charts["rooms"].png) > 5000
    names = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert names[0] == same("積善社區排練廳 $5/小時"), "the emoji is dropped, the $ is not mathtext"
    assert names[2].count("\n") == 1 and names[2].endswith("…"), "a long name takes two lines, then is cut"
    mixed = [t for t in texts(figure) if same(t) != t]
    assert mixed == []
    assert same(charts["rooms"].caption) == charts["rooms"].caption and charts["rooms"].title not in charts[
        "rooms"].caption


def test_english_words_and_names(kb):
    stats = stats_with(kb, use_of(full_hall_empty_gym(), [HALL, GYM, STUDY], 2, "en"), "en")
    drawn_texts = texts(drawn(stats))
    assert not [t for t in drawn_texts if HAN.search(t)]
    for expected in ("Community rooms: share of open hours booked", "Each room, 2026-07-06 to 2026-07-19",
                     "All rooms, week by week", "residents", "resident groups", "units", "100% (35 of 35 h)",
                     "0% (0 of 35 h)", "Jul 6", "week (starting Monday)", "booked / open hours"):
        assert expected in drawn_texts, expected
    assert caption("rooms", stats).endswith("least used “Zhengda gym” (0%), most used “Jishan rehearsal hall” (100%).")


def test_every_colour_is_from_the_okabe_ito_palette_one_per_kind_of_applicant(kb):
    figure = drawn(stats_with(kb, use_of(full_hall_empty_gym(3), [HALL, GYM, STUDY], 3, "en"), "en"))
    colours = {to_hex(p.get_facecolor()) for ax in figure.axes for p in ax.patches}
    assert colours == {c.lower() for c in KIND_COLOURS.values()} <= {c.lower() for c in C.OKABE_ITO.values()}
    assert all(to_hex(p.get_edgecolor()) == "#ffffff" for ax in figure.axes for p in ax.patches), "parts kept apart"


def test_per_room_and_per_week_only_sum_the_weekly_rows():
    use = use_of(full_hall_empty_gym(2) + [booked("BK-X", "removed-room", MON)], [HALL, GYM, STUDY], 2, "zh-Hant")
    per_venue = totals(use.rows)
    assert [(name, r.hours_booked) for name, r in use.per_room()] == [
        ("積善社區排練廳", per_venue["hall"].hours_booked), ("正達社區健身房", 0.0), ("健園社區書畫室", 5.0)]
    weeks = use.per_week()
    assert [w.week for w in weeks] == [MON, MON + timedelta(days=7)]
    assert sum(w.hours_booked for w in weeks) == sum(r.hours_booked for _, r in use.per_room()) == 40.0
    assert sum(w.hours_open for w in weeks) == 105.0, "a room no longer in the knowledge base is left out"
    assert [w.by_applicant for w in weeks] == [{"resident": 2.5, "group": 17.5, "unit": 2.5},
                                               {"resident": 0.0, "group": 17.5, "unit": 0.0}]
