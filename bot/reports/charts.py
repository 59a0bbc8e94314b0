"""``Stats`` → PNG charts with matplotlib's Agg backend (no display, no pyplot global state: each chart is its own
``Figure`` on a ``FigureCanvasAgg``).

Five charts, always in this order and always drawn (an empty one says "no data", so the report has a fixed
layout): submissions per consultation per week, the answers to every scale question, reply times and ratings,
👍/👎 per entry, the most asked unanswered questions. Labels come from ``labels.py``; text from residents and the
knowledge base goes through ``fonts.drawable`` and is never parsed as mathtext.
"""
from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass
from typing import Callable

from bot.core.feedback.model import SCALE
from bot.core.messages import Image
from bot.core.staff.stats import Stats, bucket_reply_hours
from bot.reports import labels as L
from bot.reports.fonts import drawable, families

#: Pixels per inch of the PNGs: 900 px wide, sharp on a phone without being heavy.
DPI = 100
WIDTH = 9.0
UP_COLOUR, DOWN_COLOUR, BAR_COLOUR = "#2e7d32", "#c62828", "#1f77b4"
#: Characters of a label before it is cut (questions, entry titles) or wrapped (chart titles of scale questions).
LABEL_CHARS = 22
MAX_X_LABELS = 14


@dataclass(frozen=True, slots=True)
class Chart:
    name: str  # file stem: weekly, scales, replies, votes, unanswered
    title: str
    png: bytes


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    text = drawable(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _figure(height: float, rows: int = 1, cols: int = 1):
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 - loaded only when drawing
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, cols, squeeze=False)
    return figure, [ax for row in axes for ax in row]


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _no_data(ax) -> None:
    ax.text(0.5, 0.5, L.NO_DATA, ha="center", va="center", fontsize=16, color="#777777", transform=ax.transAxes)
    ax.set_axis_off()


def weekly(stats: Stats):
    figure, (ax,) = _figure(4.8)
    ax.set_title(L.CHART_WEEKLY)
    if not stats.weekly:
        _no_data(ax)
        return figure
    positions = range(len(stats.weeks))
    for series in stats.weekly:
        ax.plot(positions, series.counts, marker="o", label=_short(series.name if series.key else L.CASES))
    step = max(1, math.ceil(len(stats.weeks) / MAX_X_LABELS))
    ax.set_xticks(list(positions)[::step], [w.strftime("%m-%d") for w in stats.weeks[::step]])
    ax.set_xlabel(L.WEEK_OF)
    ax.set_ylabel(L.COUNT)
    ax.set_ylim(bottom=0)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="best", fontsize=9, framealpha=0.8)
    return figure


def scales(stats: Stats):
    count = len(stats.scales)
    cols = 2 if count > 1 else 1
    rows = max(1, math.ceil(count / cols))
    figure, axes = _figure(3.2 * rows + 0.6, rows, cols)
    figure.suptitle(L.CHART_SCALES)
    if not stats.scales:
        _no_data(axes[0])
        return figure
    for ax, scale in zip(axes, stats.scales):
        ax.bar(SCALE, scale.counts, color=BAR_COLOUR)
        question = "\n".join(textwrap.wrap(drawable(scale.question), LABEL_CHARS)[:2])
        ax.set_title(f"{question}\n{_short(scale.consultation, 30)}", fontsize=10)
        ticks = [str(n) for n in SCALE]
        if scale.low:
            ticks[0] += "\n" + _short(scale.low, 6)
        if scale.high:
            ticks[-1] += "\n" + _short(scale.high, 6)
        ax.set_xticks(list(SCALE), ticks, fontsize=8)
        ax.set_ylabel(L.ANSWERS, fontsize=9)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel(L.MEAN.format(mean=scale.mean or 0, total=scale.total), fontsize=9)
    for ax in axes[count:]:
        ax.set_axis_off()
    return figure


def replies(stats: Stats):
    figure, (times, ratings) = _figure(4.2, 1, 2)
    figure.suptitle(L.CHART_REPLIES)
    if stats.reply_hours:
        times.bar(range(len(L.REPLY_BUCKETS)), bucket_reply_hours(stats.reply_hours), color=BAR_COLOUR)
        times.set_xticks(range(len(L.REPLY_BUCKETS)), L.REPLY_BUCKETS, rotation=30, fontsize=8)
        times.set_ylabel(L.REPLIES)
        times.yaxis.get_major_locator().set_params(integer=True)
    else:
        _no_data(times)
    times.set_title(L.REPLY_TIME, fontsize=10)
    if sum(stats.ratings):
        ratings.bar(SCALE, stats.ratings, color="#ff8f00")
        ratings.set_xticks(list(SCALE), [f"{n} {L.SCORE}" for n in SCALE])
        ratings.set_ylabel(L.RATINGS)
        ratings.yaxis.get_major_locator().set_params(integer=True)
    else:
        _no_data(ratings)
    ratings.set_title(L.SATISFACTION, fontsize=10)
    return figure


def votes(stats: Stats):
    figure, (ax,) = _figure(max(3.0, 0.45 * len(stats.votes) + 1.4))
    ax.set_title(L.CHART_VOTES)
    if not stats.votes:
        _no_data(ax)
        return figure
    names = [_short(v.title) for v in stats.votes]
    ups = [v.up for v in stats.votes]
    ax.barh(names, ups, color=UP_COLOUR, label=L.HELPFUL)
    ax.barh(names, [v.down for v in stats.votes], left=ups, color=DOWN_COLOUR, label=L.NOT_HELPFUL)
    ax.invert_yaxis()  # most voted on top
    ax.set_xlabel(L.VOTES)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="lower right", frameon=False)
    return figure


def unanswered(stats: Stats):
    figure, (ax,) = _figure(max(3.0, 0.45 * len(stats.unanswered) + 1.4))
    ax.set_title(L.CHART_UNANSWERED)
    if not stats.unanswered:
        _no_data(ax)
        return figure
    ax.barh([_short(q, 26) or "?" for q, _ in stats.unanswered], [n for _, n in stats.unanswered],
            color=BAR_COLOUR)
    ax.invert_yaxis()
    ax.set_xlabel(L.TIMES_ASKED)
    ax.xaxis.get_major_locator().set_params(integer=True)
    return figure


CHARTS: tuple[tuple[str, str, Callable], ...] = (
    ("weekly", L.CHART_WEEKLY, weekly),
    ("scales", L.CHART_SCALES, scales),
    ("replies", L.CHART_REPLIES, replies),
    ("votes", L.CHART_VOTES, votes),
    ("unanswered", L.CHART_UNANSWERED, unanswered),
)


def draw_all(stats: Stats) -> list[Chart]:
    """Every chart as PNG bytes. Blocking (a few hundred milliseconds); not thread-safe — one caller at a time."""
    from matplotlib import rc_context  # noqa: PLC0415

    # Labels with "$" (prices residents type) must not turn into mathtext; "-" stays ASCII so no font lacks it.
    settings = {"font.family": families(), "text.parse_math": False, "axes.unicode_minus": False}
    charts = []
    with rc_context(settings):
        for name, title, draw in CHARTS:
            charts.append(Chart(name, title, _png(draw(stats))))
    return charts


class MatplotlibCharts:
    """The core's ``ChartRenderer``: the charts as ``Image``s with their titles as captions."""

    def render(self, stats: Stats) -> list[Image]:
        return [Image(png=c.png, caption=c.title, filename=f"{c.name}.png") for c in draw_all(stats)]
