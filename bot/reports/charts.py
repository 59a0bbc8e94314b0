"""``Stats`` → PNG charts with matplotlib's Agg backend (no display, no pyplot global state: each chart is its own
``Figure`` on a ``FigureCanvasAgg``).

Six charts, always in this order and always drawn (an empty one says "no data", so the report has a fixed
layout): submissions per consultation per week, the answers to every scale question, reply times and ratings,
👍/👎 per entry, the most asked unanswered questions, and how much the community rooms are used (drawn in
``rooms_chart``; the shared pieces are in ``drawing``). Every word on them is in ``Stats.lang`` (``labels.WORDS``),
each comes with a caption saying what to look at (``captions.py``), and text from residents and the knowledge
base goes through ``fonts.drawable`` and is never parsed as mathtext.

Readable from one week of data on: fewer than ``FEW_WEEKS`` weeks are drawn as grouped bars (dots of equal
counts would hide each other), every bar carries its count, legends sit outside the plot (below it), and all
colours come from the Okabe-Ito palette, which stays distinct with the common colour-vision deficiencies.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape

from bot.core.feedback.model import SCALE
from bot.core.messages import Image
from bot.core.staff.stats import Stats, bucket_reply_hours
from bot.reports.captions import FEW_WEEKS, caption, series_name, week_day
from bot.reports.drawing import (
    LABEL_COLUMNS,
    MARKERS,
    MAX_X_LABELS,
    OKABE_ITO,
    SERIES_COLOURS,
    chart_rc,
    counts_on,
    integer_axis,
    legend_below,
    new_figure,
    no_data,
    png_of,
    short,
    wrap,
)
from bot.reports.labels import words
from bot.reports.rooms_chart import rooms

#: One-series charts are blue; 👍 blue and 👎 orange (the palette's most distinct pair, never red on green).
MAIN_COLOUR = HELPFUL_COLOUR = OKABE_ITO["blue"]
NOT_HELPFUL_COLOUR = OKABE_ITO["orange"]


@dataclass(frozen=True, slots=True)
class Chart:
    name: str  # file stem: weekly, scales, replies, votes, unanswered, rooms
    title: str  # drawn in the image
    caption: str  # what to look at, plain text
    png: bytes


def weekly(stats: Stats, w: Mapping[str, str]):
    figure, (ax,) = new_figure(5.0)
    ax.set_title(w["weekly.title"])
    if not stats.weekly:
        no_data(ax, w)
        return figure
    names = [short(series_name(s, w)) for s in stats.weekly]
    positions = range(len(stats.weeks))
    if len(stats.weeks) < FEW_WEEKS:
        # Bars side by side: with one to three weeks, dots of equal counts would sit on top of each other.
        width = 0.8 / len(stats.weekly)
        for i, (series, name) in enumerate(zip(stats.weekly, names, strict=True)):
            offset = (i - (len(stats.weekly) - 1) / 2) * width
            bars = ax.bar([p + offset for p in positions], series.counts, width * 0.92, label=name,
                          color=SERIES_COLOURS[i % len(SERIES_COLOURS)])
            counts_on(ax, bars, zeros=True)
        ax.margins(y=0.12)  # room for the counts over the tallest bar
    else:
        for i, (series, name) in enumerate(zip(stats.weekly, names, strict=True)):
            ax.plot(positions, series.counts, label=name, color=SERIES_COLOURS[i % len(SERIES_COLOURS)],
                    marker=MARKERS[i % len(MARKERS)], markersize=5, linewidth=1.8)
    step = max(1, math.ceil(len(stats.weeks) / MAX_X_LABELS))
    ax.set_xticks(list(positions)[::step], [week_day(d, stats.lang) for d in stats.weeks[::step]])
    ax.set_xlabel(w["week_of"])
    ax.set_ylabel(w["count"])
    ax.set_ylim(bottom=0)
    integer_axis(ax.yaxis)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    legend_below(figure, ax, names)
    return figure


def scales(stats: Stats, w: Mapping[str, str]):
    count = len(stats.scales)
    cols = 2 if count > 1 else 1
    rows = max(1, math.ceil(count / cols))
    figure, axes = new_figure(3.4 * rows + 0.6, rows, cols)
    figure.suptitle(w["scales.title"])
    if not stats.scales:
        no_data(axes[0], w)
        return figure
    limit = LABEL_COLUMNS if cols == 2 else 2 * LABEL_COLUMNS
    for ax, scale in zip(axes, stats.scales, strict=False):
        counts_on(ax, ax.bar(SCALE, scale.counts, color=MAIN_COLOUR), zeros=True)  # "0": nobody chose it
        ax.margins(y=0.15)
        ax.set_title(f"{wrap(scale.question, limit)}\n{short(scale.consultation, limit)}", fontsize=10)
        ticks = [str(n) for n in SCALE]
        if scale.low:
            ticks[0] += "\n" + wrap(scale.low, 16)
        if scale.high:
            ticks[-1] += "\n" + wrap(scale.high, 16)
        ax.set_xticks(list(SCALE), ticks, fontsize=8)
        ax.set_ylabel(w["answers"], fontsize=9)
        integer_axis(ax.yaxis)
        ax.set_xlabel(w["mean"].format(mean=scale.mean or 0, total=scale.total), fontsize=9)
    for ax in axes[count:]:
        ax.set_axis_off()
    return figure


def replies(stats: Stats, w: Mapping[str, str]):
    figure, (times, ratings) = new_figure(4.4, 1, 2)
    figure.suptitle(w["replies.title"])
    buckets = w["reply_buckets"].split("|")
    if stats.reply_hours:
        counts_on(times, times.bar(range(len(buckets)), bucket_reply_hours(stats.reply_hours), color=MAIN_COLOUR),
                   zeros=True)
        times.margins(y=0.12)
        times.set_xticks(range(len(buckets)), buckets, rotation=30, fontsize=8)
        times.set_ylabel(w["replies"])
        integer_axis(times.yaxis)
    else:
        no_data(times, w)
    times.set_title(w["reply_time"], fontsize=10)
    if sum(stats.ratings):
        counts_on(ratings, ratings.bar(SCALE, stats.ratings, color=MAIN_COLOUR), zeros=True)
        ratings.margins(y=0.12)
        ratings.set_xticks(list(SCALE), [w["score"].format(n=n) for n in SCALE])
        ratings.set_ylabel(w["ratings"])
        integer_axis(ratings.yaxis)
    else:
        no_data(ratings, w)
    ratings.set_title(w["satisfaction"], fontsize=10)
    return figure


def votes(stats: Stats, w: Mapping[str, str]):
    figure, (ax,) = new_figure(max(3.2, 0.45 * len(stats.votes) + 1.8))
    ax.set_title(w["votes.title"])
    if not stats.votes:
        no_data(ax, w)
        return figure
    names = [short(v.title) for v in stats.votes]
    ups = [v.up for v in stats.votes]
    # White edges keep the two parts of a bar apart; counts sit inside each part, dark on orange, white on blue.
    up = ax.barh(names, ups, color=HELPFUL_COLOUR, label=w["helpful"], edgecolor="white")
    down = ax.barh(names, [v.down for v in stats.votes], left=ups, color=NOT_HELPFUL_COLOUR, label=w["not_helpful"],
                   edgecolor="white")
    counts_on(ax, up, label_type="center", color="white")
    counts_on(ax, down, label_type="center", color="black")
    ax.invert_yaxis()  # most voted on top
    ax.set_xlabel(w["votes"])
    integer_axis(ax.xaxis)
    legend_below(figure, ax, [w["helpful"], w["not_helpful"]])
    return figure


def unanswered(stats: Stats, w: Mapping[str, str]):
    figure, (ax,) = new_figure(max(3.0, 0.45 * len(stats.unanswered) + 1.4))
    ax.set_title(w["unanswered.title"])
    if not stats.unanswered:
        no_data(ax, w)
        return figure
    bars = ax.barh([short(q, 52) or "?" for q, _ in stats.unanswered], [n for _, n in stats.unanswered],
                   color=MAIN_COLOUR)
    counts_on(ax, bars)
    ax.margins(x=0.08)
    ax.invert_yaxis()
    ax.set_xlabel(w["times_asked"])
    integer_axis(ax.xaxis)
    return figure


#: (file stem, key of the title in ``labels.WORDS``, drawing function), in the order charts are sent.
CHARTS: tuple[tuple[str, str, Callable], ...] = (
    ("weekly", "weekly.title", weekly),
    ("scales", "scales.title", scales),
    ("replies", "replies.title", replies),
    ("votes", "votes.title", votes),
    ("unanswered", "unanswered.title", unanswered),
    ("rooms", "rooms.title", rooms),
)


def draw_all(stats: Stats) -> list[Chart]:
    """Every chart as PNG bytes, labelled in ``stats.lang``. Blocking (a few hundred milliseconds); not
    thread-safe — one caller at a time."""
    from matplotlib import rc_context  # noqa: PLC0415

    w = words(stats.lang)
    charts = []
    with rc_context(chart_rc()):
        for name, title, draw in CHARTS:
            charts.append(Chart(name, w[title], caption(name, stats), png_of(draw(stats, w))))
    return charts


class MatplotlibCharts:
    """The core's ``ChartRenderer``: the charts as ``Image``s, each with its caption (what to look at)."""

    def render(self, stats: Stats) -> list[Image]:
        return [Image(png=c.png, caption=escape(c.caption), filename=f"{c.name}.png") for c in draw_all(stats)]
