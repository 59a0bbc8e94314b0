"""The /stats charts as a staff member reads them: every word in their language and script, one week of data
drawn as bars so every series shows, legends beside the plot rather than over it, colours from the documented
colour-blind-safe palette, and captions that point at something instead of repeating the title."""
from __future__ import annotations

import re
import string
from datetime import UTC, datetime, timedelta

import pytest
from feedback_helpers import write_knowledge
from matplotlib import rc_context
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from bot.core.feedback.model import Answer, HelpfulVote, StaffReply, Submission
from bot.core.knowledge.service import KnowledgeService
from bot.core.language import LANGS, to_simplified, to_traditional
from bot.core.staff import stats as S
from bot.core.staff.unanswered import UnansweredGroup
from bot.reports import charts as C
from bot.reports.labels import WORDS, words

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in the district
HAN = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return KnowledgeService(write_knowledge(tmp_path_factory.mktemp("kb"))).current.kb


def sub(ref, consultation, at, rating=None, kind="survey") -> Submission:
    answers = (Answer("rating", rating, 1),) if rating else ()
    replies = (StaffReply(1, ref, "好", at + timedelta(hours=5), 2),) if rating else ()
    return Submission(reference=ref, kind=kind, consultation_id=consultation if kind == "survey" else None,
                      language="zh-Hant", status="received", created_at=at, updated_at=at, answers=answers,
                      text="?" if kind == "case" else None, replies=replies)


def figures_of(kb, lang, weeks=1):
    """Stats with every chart filled: three series of equal size per week (the case that used to draw one dot),
    votes on one entry, resident questions in both scripts."""
    subs = []
    for week in range(weeks):
        at = T0 + timedelta(weeks=week)
        subs += [sub(f"j{week}", "jobs", at, 2), sub(f"o{week}", "other", at), sub(f"c{week}", None, at, kind="case")]
        subs += [sub(f"j{week}b", "jobs", at + timedelta(days=1), 5)]
        subs += [sub(f"o{week}b", "other", at + timedelta(days=1)), sub(f"c{week}b", None, at, kind="case")]
    votes = [HelpfulVote("facility-yanhe-library", i % 3 > 0, "zh-Hant", T0) for i in range(6)]
    groups = [UnansweredGroup("社區有沒有游泳池", "x", 5), UnansweredGroup("老年证怎么办理", "y", 2)]
    return S.aggregate(subs, votes, groups, kb, since=None, until=T0 + timedelta(weeks=weeks), lang=lang)


def drawn(stats, name):
    """The laid-out matplotlib figure of chart ``name``."""
    draw = {n: d for n, _, d in C.CHARTS}[name]
    with rc_context(C.chart_rc()):
        figure = draw(stats, words(stats.lang))
        figure.canvas.draw()
    return figure


def texts(figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(Text) if t.get_text().strip()]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_word_with_the_same_placeholders():
    keys = set(WORDS["zh-Hant"])
    for lang in LANGS:
        assert set(WORDS[lang]) == keys, lang
        for key in keys:
            assert placeholders(WORDS[lang][key]) == placeholders(WORDS["zh-Hant"][key]), (lang, key)
    assert not [v for v in WORDS["en"].values() if HAN.search(v)]


@pytest.mark.parametrize("lang, same", [("zh-Hans", to_simplified), ("zh-Hant", to_traditional)])
def test_titles_labels_legends_and_captions_are_all_in_one_script(kb, lang, same):
    for weeks in (1, 8):
        stats = figures_of(kb, lang, weeks)
        for chart in C.draw_all(stats):
            assert same(chart.title) == chart.title and same(chart.caption) == chart.caption, chart.caption
        for name, _, _ in C.CHARTS:
            mixed = [t for t in texts(drawn(stats, name)) if same(t) != t]
            assert mixed == [], (name, mixed)
    for word in WORDS[lang].values():
        assert same(word) == word


def test_english_charts_have_english_words_and_names(kb):
    stats = figures_of(kb, "en")
    weekly = texts(drawn(stats, "weekly"))
    assert "Questions to staff" in weekly and "week (starting Monday)" in weekly
    assert "Nov 2" in weekly
    assert "helpful" in texts(drawn(stats, "votes")) and "not helpful" in texts(drawn(stats, "votes"))
    captions = {c.name: c.caption for c in C.draw_all(stats)}
    assert captions["votes"].startswith("Least helpful answer: ")  # titles as the knowledge base has them
    assert not HAN.search(captions["replies"])


def test_one_week_draws_a_bar_per_series_with_its_count(kb):
    stats = figures_of(kb, "zh-Hant", weeks=1)
    assert [s.counts for s in stats.weekly] == [(2,), (2,), (2,)]  # equal: dots would sit on one another
    figure = drawn(stats, "weekly")
    ax = figure.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 3 and len({round(b.get_x(), 3) for b in bars}) == 3, "side by side, not stacked"
    assert len({to_hex(b.get_facecolor()) for b in bars}) == 3
    assert [t.get_text() for t in ax.texts] == ["2", "2", "2"]
    assert not [line for line in ax.lines if len(line.get_xdata()) > 1]
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["就業幫扶", "其他意見建議", "向工作人員提問"]


def test_several_months_draw_lines_told_apart_by_colour_and_marker(kb):
    ax = drawn(figures_of(kb, "zh-Hant", weeks=12), "weekly").axes[0]
    lines = [line for line in ax.lines if len(line.get_xdata()) == 12]
    assert len(lines) == 3 and not ax.patches
    assert len({line.get_marker() for line in lines}) == 3 and len({line.get_color() for line in lines}) == 3


@pytest.mark.parametrize("name", ["weekly", "votes"])
@pytest.mark.parametrize("weeks", [1, 8])
def test_legends_sit_outside_the_plot(kb, name, weeks):
    figure = drawn(figures_of(kb, "zh-Hans", weeks), name)
    renderer = figure.canvas.get_renderer()
    [legend] = figure.legends
    box = legend.get_window_extent(renderer)
    for ax in figure.axes:
        assert not box.overlaps(ax.get_window_extent(renderer)), "the legend covers the data"
    assert not [ax.get_legend() for ax in figure.axes if ax.get_legend()]


def test_every_colour_comes_from_the_okabe_ito_palette(kb):
    palette = {c.lower() for c in C.OKABE_ITO.values()}
    for weeks in (1, 8):
        stats = figures_of(kb, "en", weeks)
        for name, _, _ in C.CHARTS:
            figure = drawn(stats, name)
            bars = {to_hex(p.get_facecolor()) for ax in figure.axes for p in ax.patches if isinstance(p, Rectangle)}
            lines = {to_hex(line.get_color()) for ax in figure.axes for line in ax.lines}
            assert bars | lines <= palette, (name, (bars | lines) - palette)
    votes = drawn(figures_of(kb, "en"), "votes")
    up, down = (to_hex(h.get_facecolor()) for h in votes.legends[0].legend_handles)
    assert (up, down) == (C.OKABE_ITO["blue"].lower(), C.OKABE_ITO["orange"].lower()), "not red on green"


def test_captions_point_at_what_matters_instead_of_repeating_the_title(kb):
    charts = {c.name: c for c in C.draw_all(figures_of(kb, "zh-Hant"))}
    assert all(c.caption and c.title not in c.caption for c in charts.values())
    assert charts["weekly"].caption == "本週共 6 份，最多的是「就業幫扶」：2 份。"
    assert "對就業服務滿意嗎？" in charts["scales"].caption and "1 人選了 1 或 2 分" in charts["scales"].caption
    assert charts["votes"].caption == "最多人覺得沒幫助的答案是「沿河社區圖書室」：2 票沒幫助，4 票有幫助。"
    assert charts["unanswered"].caption.startswith("最常被問卻沒有答案的是「社區有沒有游泳池」（5 次）")
    english = {c.name: c.caption for c in C.draw_all(figures_of(kb, "en", weeks=8))}
    assert english["weekly"].startswith("48 submissions in 8 weeks")
    assert english["replies"].startswith("Half of the first replies came within 5.0 h; 0 of 16 took over 3 days.")

