"""``/stats``: the figures (pure functions of ``bot.core.staff.stats``, checked on hand-made records), the charts
(``bot.reports.charts``: PNGs with Chinese labels and no missing glyph), and the staff command end to end through
the core."""
from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta

import pytest
from feedback_helpers import memory_world, plain, write_knowledge
from staff_support import Person

from bot.core.feedback.model import Answer, HelpfulVote, StaffReply, Submission
from bot.core.knowledge.service import KnowledgeService
from bot.core.language import to_simplified
from bot.core.ports import UnansweredQuestion
from bot.core.staff import stats as S
from bot.core.staff.unanswered import UnansweredGroup
from bot.reports import fonts, labels
from bot.reports.charts import CHARTS, MatplotlibCharts, draw_all

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in the district
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory):
    return KnowledgeService(write_knowledge(tmp_path_factory.mktemp("kb")))


@pytest.fixture(scope="module")
def kb(knowledge):
    return knowledge.current.kb


def sub(reference, consultation="jobs", at=T0, answers=(), replies=(), kind="survey", text=None) -> Submission:
    return Submission(reference=reference, kind=kind, consultation_id=consultation if kind == "survey" else None,
                      language="zh-Hant", status="received", created_at=at, updated_at=at, answers=tuple(answers),
                      text=text, replies=tuple(replies))


def reply(reference, at, rating=None, id_=1) -> StaffReply:
    return StaffReply(id_, reference, "回覆", at, rating)


def group(question, count) -> UnansweredGroup:
    return UnansweredGroup(representative=question, folded=question, count=count)


# --- figures ---------------------------------------------------------------------------------------------------
def test_weeks_start_on_monday_in_district_time():
    sunday_late_utc = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)  # Monday 04:00 in the district
    assert S.week_start(sunday_late_utc) == date(2026, 11, 2)
    assert S.week_start(datetime(2026, 11, 1, 15, 0, tzinfo=UTC)) == date(2026, 10, 26)


def test_weekly_series_fill_empty_weeks_and_keep_the_knowledge_base_order(kb):
    subs = [sub("a", "other", T0), sub("b", "jobs", T0 + timedelta(weeks=2)), sub("c", "jobs", T0),
            sub("d", "gone-consultation", T0 + timedelta(weeks=1)), sub("e", kind="case", at=T0, text="?")]
    weeks, series = S.weekly_series(subs, kb, "zh-Hant")
    assert weeks == (date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16))
    assert [(s.key, s.name, s.counts) for s in series] == [
        ("jobs", "就業幫扶", (1, 0, 1)), ("other", "其他意見建議", (1, 0, 0)),
        ("gone-consultation", "gone-consultation", (0, 1, 0)), ("", "", (1, 0, 0))]
    assert S.weekly_series([], kb, "zh-Hant") == ((), ())


def test_scale_distributions_count_each_value_of_each_scale_question(kb):
    subs = [sub(str(i), answers=[Answer("status", "grad", 0), Answer("rating", v, 1)])
            for i, v in enumerate([5, 5, 4, 1])]
    subs.append(sub("x", "dibao", answers=[Answer("adequacy", 2, 1)]))
    jobs, dibao = S.scale_distributions(subs, kb, "zh-Hant")
    assert (jobs.consultation, jobs.question, jobs.counts) == ("就業幫扶", "對就業服務滿意嗎？", (1, 0, 0, 1, 2))
    assert (jobs.low, jobs.high, jobs.total, jobs.mean) == ("很不滿意", "很滿意", 4, 3.75)
    assert dibao.counts == (0, 1, 0, 0, 0) and dibao.low == "遠遠不夠"
    assert S.scale_distributions([sub("y", answers=[Answer("status", "grad", 0)])], kb, "zh-Hant") == ()


def test_reply_times_buckets_and_ratings():
    subs = [sub("a", replies=[reply("a", T0 + timedelta(hours=30), 4, 2), reply("a", T0 + timedelta(hours=2), 5)]),
            sub("b", replies=[reply("b", T0 + timedelta(minutes=30), None, 3)]),
            sub("c", replies=[reply("c", T0 + timedelta(days=9), 1, 4)]), sub("d")]
    hours = S.first_reply_hours(subs)
    assert hours == (2.0, 0.5, 216.0)
    assert S.bucket_reply_hours(hours + (1.0, 4.0001, 24.0, 24.01)) == (2, 1, 2, 1, 0, 1)
    for words in labels.WORDS.values():
        assert len(words["reply_buckets"].split("|")) == len(S.REPLY_BUCKET_HOURS) + 1
    assert S.rating_counts(subs) == (1, 0, 0, 1, 1)


def test_votes_per_entry_most_voted_first_removed_entries_keep_their_id(kb):
    votes = ([HelpfulVote("facility-yanhe-library", True, "zh-Hant", T0)] * 2
             + [HelpfulVote("facility-yanhe-library", False, "en", T0)]
             + [HelpfulVote("policy-dibao-apply", False, "zh-Hant", T0)]
             + [HelpfulVote("removed-entry", True, "zh-Hant", T0)] * 3)
    assert S.entry_votes(votes, kb, "zh-Hant") == (
        S.EntryVotes("facility-yanhe-library", "沿河社區圖書室", 2, 1),
        S.EntryVotes("removed-entry", "removed-entry", 3, 0),
        S.EntryVotes("policy-dibao-apply", "最低生活保障申請", 0, 1))
    assert len(S.entry_votes(votes, kb, "zh-Hant", limit=1)) == 1


def test_headline_figures(kb):
    subs = [sub("a", replies=[reply("a", T0 + timedelta(hours=2), 4)]),
            sub("b", replies=[reply("b", T0 + timedelta(hours=10), 5, 2)]),
            sub("c"), sub("d", kind="case", text="?", replies=[reply("d", T0 + timedelta(hours=4), None, 3)])]
    votes = [HelpfulVote("x", True, "zh-Hant", T0)] * 3 + [HelpfulVote("x", False, "zh-Hant", T0)]
    stats = S.aggregate(subs, votes, [group("游泳池", 4), group("老年證", 2)], kb, since=None, until=T0)
    h = stats.headline
    assert (h.submissions, h.cases, h.answered, h.reply_rate) == (3, 1, 3, 0.75)
    assert (h.median_reply_hours, h.mean_rating, h.ratings, h.helpful_share) == (4.0, 4.5, 2, 0.75)
    assert stats.unanswered == (("游泳池", 4), ("老年證", 2))
    empty = S.aggregate([], [], [], kb, since=T0, until=T0).headline
    assert (empty.reply_rate, empty.median_reply_hours, empty.mean_rating, empty.helpful_share) == (None,) * 4


# --- charts ------------------------------------------------------------------------------------------------------
def hostile_stats(kb) -> S.Stats:
    """Every chart with data, and labels a font could stumble on: both scripts, emoji, "$" signs, long text."""
    subs = [sub(f"s{i}", "jobs", T0 + timedelta(days=3 * i), [Answer("rating", 1 + i % 5, 0)],
                [reply(f"s{i}", T0 + timedelta(days=3 * i, hours=i * 7), 1 + i % 5, i)]) for i in range(12)]
    subs += [sub("d", "dibao", T0, [Answer("adequacy", 3, 0)]), sub("c", kind="case", text="?", at=T0)]
    votes = [HelpfulVote("facility-yanhe-library", i % 3 > 0, "zh-Hant", T0) for i in range(7)]
    groups = [group("社區有沒有游泳池 🏊 $5 and $10 的票價？" * 3, 9), group("老年证怎么办理", 4),
              group("垃圾分類怎麼做", 2)]
    return S.aggregate(subs, votes, groups, kb, since=None, until=T0 + timedelta(days=40))


def test_a_chinese_font_is_found_on_this_machine():
    font = fonts.chart_font()
    assert font is not None, "no Chinese font: run `make fonts` (or see bot/reports/fonts.py) — " + fonts.INSTALL_HINT
    assert all(ord(c) in font.drawable for c in "區區区問问題题满意度滿意度ABC123%")


def test_charts_render_chinese_with_no_missing_glyph(kb):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts = draw_all(hostile_stats(kb))
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    assert [c.name for c in charts] == [name for name, _, _ in CHARTS]
    assert all(c.png.startswith(PNG) and len(c.png) > 5000 for c in charts)


def test_empty_figures_still_give_every_chart(kb):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images = MatplotlibCharts().render(S.aggregate([], [], [], kb, since=None, until=T0))
    assert [i.filename for i in images] == [f"{name}.png" for name, _, _ in CHARTS]
    assert [i.caption for i in images] == ["這段時間沒有資料。"] * len(CHARTS)
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_drawable_drops_what_no_font_has_and_keeps_both_scripts():
    assert fonts.drawable("游泳池 🏊 幾點開？ 游泳池几点开 $5 \U0010ffff") == "游泳池 幾點開？ 游泳池几点开 $5"
    assert fonts.drawable("a\x00b\nc") == "ab\nc"


# --- /stats ------------------------------------------------------------------------------------------------------
@pytest.fixture
def world(knowledge):
    w = memory_world(knowledge)
    return w


async def fill(world):
    r = world.resident("tg:1", "zh-hant")
    await r.say("/feedback")
    for label in ("就業幫扶", "高校畢業生", "技能培訓", "完成", "3 ·", "⏭", "確認提交", "不用了"):
        await r.press(label)
    reference = r.reference()
    await r.say("低保怎麼申請")
    await r.press("👍")
    # What the "send to staff" button and a not-found answer store (kept apart from how the matcher scores it).
    await world.feedback.open_case("tg:1", "社區有沒有賣飛機票", "zh-Hant")
    await world.residents.record_unanswered(UnansweredQuestion("社區有沒有賣飛機票", "not_found", "zh-Hant", None,
                                                               world.clock()))
    world.clock.advance(hours=6)
    [to_resident] = await world.feedback.reply(reference, "已安排")
    r.last = [to_resident]
    await r.press("5")


async def test_stats_sends_the_figures_then_one_image_per_chart(world):
    await fill(world)
    staff = Person(world.assistant, "tg:9000", True, "zh-hant")
    replies = await staff.say("/stats")
    summary = plain(replies[0].html)
    assert "統計（全部時間）" in summary and "問卷意見 1 份，向工作人員提問 1 件" in summary
    assert "已回覆 50%，回覆時間中位數 6.0 小時" in summary and "回覆滿意度平均 5.0 分（1 個評分）" in summary
    assert "答案有幫助 100%（1 票）" in summary and "1× 社區有沒有賣飛機票" in summary
    images = [r.image for r in replies[1:]]
    assert len(images) == len(CHARTS) and all(i.png.startswith(PNG) for i in images)
    assert all(r.to is None and not r.html for r in replies[1:])
    assert images[0].caption == "本週共 2 份，最多的是「就業幫扶」：1 份。"


async def test_stats_charts_speak_the_staff_members_language_and_script(world):
    await fill(world)
    staff = Person(world.assistant, "tg:9000", True, "zh-hans")
    replies = await staff.say("/stats")
    assert "统计（全部时间）" in plain(replies[0].html)
    captions = [r.image.caption for r in replies[1:]]
    assert captions[0] == "本周共 2 份，最多的是“就业帮扶”：1 份。"
    assert all(c and to_simplified(c) == c for c in captions), captions
    english = await Person(world.assistant, "tg:9000", True, "en").say("/stats")
    assert english[1].image.caption.startswith("2 submissions this week")


async def test_stats_periods_and_usage(world):
    await fill(world)
    staff = Person(world.assistant, "tg:9000", True, "en")
    world.tools.charts = None  # figures only: fast, and the fallback wording is checked too
    [recent] = await staff.say("/stats 30")
    assert "since 2026-10-27" in plain(recent.html) and "1 consultation answers" in plain(recent.html)
    assert "cannot draw charts" in plain(recent.html)
    [later] = await staff.say("/stats 2026-12-01")
    assert "0 consultation answers, 0 questions" in plain(later.html) and "—" in plain(later.html)
    for bad in ("/stats yesterday", "/stats 0", "/stats 99999"):
        assert plain((await staff.say(bad))[0].html).startswith("Usage: /stats"), bad
