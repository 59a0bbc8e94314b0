"""``Stats`` → PNG charts with matplotlib's Agg backend (no display, no pyplot global state: each chart is its own
``Figure`` on a ``FigureCanvasAgg``).

Five charts, always in this order and always drawn (an empty one says "no data", so the report has a fixed
layout): submissions per consultation per week, the answers to every scale question, reply times and ratings,
👍/👎 per entry, the most asked unanswered questions. Every word on them is in ``Stats.lang`` (``labels.WORDS``),
each comes with a caption saying what to look at (``captions.py``), and text from residents and the knowledge
base goes through ``fonts.drawable`` and is never parsed as mathtext.

Readable from one week of data on: fewer than ``FEW_WEEKS`` weeks are drawn as grouped bars (dots of equal
counts would hide each other), every bar carries its count, legends sit outside the plot (below it), and all
colours come from the Okabe-Ito palette, which stays distinct with the common colour-vision deficiencies.
"""
from __future__ import annotations

import io
import math
import textwrap
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape

from bot.core.feedback.model import SCALE
from bot.core.messages import Image
from bot.core.staff.stats import Stats, bucket_reply_hours
from bot.reports.captions import FEW_WEEKS, caption, series_name, week_day
from bot.reports.fonts import drawable, families
from bot.reports.labels import words

#: Pixels per inch of the PNGs: 900 px wide, sharp on a phone without being heavy.
DPI = 100
WIDTH = 9.0
#: Okabe & Ito (2008), "Color Universal Design": eight colours told apart with every common colour-vision
#: deficiency. Series take them in this order — yellow is left out (too pale on white), and bluish green and
#: vermillion, the closest pair for some readers, are as far apart as seven series allow.
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
             "reddish purple": "#CC79A7", "black": "#000000", "vermillion": "#D55E00", "yellow": "#F0E442"}
SERIES_COLOURS = tuple(c for name, c in OKABE_ITO.items() if name != "yellow")
#: One-series charts are blue; 👍 blue and 👎 orange (the palette's most distinct pair, never red on green).
MAIN_COLOUR = HELPFUL_COLOUR = OKABE_ITO["blue"]
NOT_HELPFUL_COLOUR = OKABE_ITO["orange"]
#: A second cue beside colour for line charts, in the same order as ``SERIES_COLOURS``.
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
#: Screen columns of a label (a Chinese character takes two) before it is cut (entry titles, questions) or wrapped
#: (the questions over scale charts): 22 Chinese characters or 44 Latin letters.
LABEL_COLUMNS = 44
MAX_X_LABELS = 14


@dataclass(frozen=True, slots=True)
class Chart:
    name: str  # file stem: weekly, scales, replies, votes, unanswered
    title: str  # drawn in the image
    caption: str  # what to look at, plain text
    png: bytes


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _short(text: str, limit: int = LABEL_COLUMNS) -> str:
    text = drawable(" ".join(text.split()))
    if columns(text) <= limit:
        return text
    while columns(text) > limit - 1:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(text: str, limit: int = LABEL_COLUMNS, lines: int = 2) -> str:
    """At most ``lines`` lines of ``limit`` columns: English at spaces, Chinese anywhere."""
    text = drawable(" ".join(text.split()))
    if columns(text) == len(text):  # no wide characters: wrap at spaces
        wrapped = textwrap.wrap(text, limit)
    else:
        wrapped, line = [], ""
        for c in text:
            if columns(line + c) > limit:
                wrapped.append(line)
                line = ""
            line += c
        wrapped.append(line)
    if len(wrapped) > lines:
        wrapped = wrapped[:lines - 1] + [_short(" ".join(wrapped[lines - 1:]), limit)]
    return "\n".join(wrapped)


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


def _no_data(ax, w: Mapping[str, str]) -> None:
    ax.text(0.5, 0.5, w["no_data"], ha="center", va="center", fontsize=16, color="#777777",
            transform=ax.transAxes)
    ax.set_axis_off()


def _legend_below(figure, ax, labels: list[str]) -> None:
    """The legend under the plot, never over the data: as many columns as fit across the image."""
    widest = max(columns(label) for label in labels)
    across = max(1, min(len(labels), 100 // (widest + 8)))
    figure.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=across, frameon=False,
                  fontsize=9)


def _counts_on(ax, bars, *, zeros: bool = False, **style) -> None:
    """Each bar's count at its end, so a short bar is read as exactly as a tall one."""
    ax.bar_label(bars, labels=[f"{v:g}" if v or zeros else "" for v in bars.datavalues], padding=2, fontsize=8,
                 **style)


def _integer_axis(axis) -> None:
    axis.get_major_locator().set_params(integer=True)


def weekly(stats: Stats, w: Mapping[str, str]):
    figure, (ax,) = _figure(5.0)
    ax.set_title(w["weekly.title"])
    if not stats.weekly:
        _no_data(ax, w)
        return figure
    names = [_short(series_name(s, w)) for s in stats.weekly]
    positions = range(len(stats.weeks))
    if len(stats.weeks) < FEW_WEEKS:
        # Bars side by side: with one to three weeks, dots of equal counts would sit on top of each other.
        width = 0.8 / len(stats.weekly)
        for i, (series, name) in enumerate(zip(stats.weekly, names, strict=True)):
            offset = (i - (len(stats.weekly) - 1) / 2) * width
            bars = ax.bar([p + offset for p in positions], series.counts, width * 0.92, label=name,
                          color=SERIES_COLOURS[i % len(SERIES_COLOURS)])
            _counts_on(ax, bars, zeros=True)
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
    _integer_axis(ax.yaxis)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    _legend_below(figure, ax, names)
    return figure


def scales(stats: Stats, w: Mapping[str, str]):
    count = len(stats.scales)
    cols = 2 if count > 1 else 1
    rows = max(1, math.ceil(count / cols))
    figure, axes = _figure(3.4 * rows + 0.6, rows, cols)
    figure.suptitle(w["scales.title"])
    if not stats.scales:
        _no_data(axes[0], w)
        return figure
    limit = LABEL_COLUMNS if cols == 2 else 2 * LABEL_COLUMNS
    for ax, scale in zip(axes, stats.scales, strict=False):
        _counts_on(ax, ax.bar(SCALE, scale.counts, color=MAIN_COLOUR), zeros=True)  # "0": nobody chose it
        ax.margins(y=0.15)
        ax.set_title(f"{_wrap(scale.question, limit)}\n{_short(scale.consultation, limit)}", fontsize=10)
        ticks = [str(n) for n in SCALE]
        if scale.low:
            ticks[0] += "\n" + _wrap(scale.low, 16)
        if scale.high:
            ticks[-1] += "\n" + _wrap(scale.high, 16)
        ax.set_xticks(list(SCALE), ticks, fontsize=8)
        ax.set_ylabel(w["answers"], fontsize=9)
        _integer_axis(ax.yaxis)
        ax.set_xlabel(w["mean"].format(mean=scale.mean or 0, total=scale.total), fontsize=9)
    for ax in axes[count:]:
        ax.set_axis_off()
    return figure


def replies(stats: Stats, w: Mapping[str, str]):
    figure, (times, ratings) = _figure(4.4, 1, 2)
    figure.suptitle(w["replies.title"])
    buckets = w["reply_buckets"].split("|")
    if stats.reply_hours:
        _counts_on(times, times.bar(range(len(buckets)), bucket_reply_hours(stats.reply_hours), color=MAIN_COLOUR),
                   zeros=True)
        times.margins(y=0.12)
        times.set_xticks(range(len(buckets)), buckets, rotation=30, fontsize=8)
        times.set_ylabel(w["replies"])
        _integer_axis(times.yaxis)
    else:
        _no_data(times, w)
    times.set_title(w["reply_time"], fontsize=10)
    if sum(stats.ratings):
        _counts_on(ratings, ratings.bar(SCALE, stats.ratings, color=MAIN_COLOUR), zeros=True)
        ratings.margins(y=0.12)
        ratings.set_xticks(list(SCALE), [w["score"].format(n=n) for n in SCALE])
        ratings.set_ylabel(w["ratings"])
        _integer_axis(ratings.yaxis)
    else:
        _no_data(ratings, w)
    ratings.set_title(w["satisfaction"], fontsize=10)
    return figure


def votes(stats: Stats, w: Mapping[str, str]):
    figure, (ax,) = _figure(max(3.2, 0.45 * len(stats.votes) + 1.8))
    ax.set_title(w["votes.title"])
    if not stats.votes:
        _no_data(ax, w)
        return figure
    names = [_short(v.title) for v in stats.votes]
    ups = [v.up for v in stats.votes]
    # White edges keep the two parts of a bar apart; counts sit inside each part, dark on orange, white on blue.
    up = ax.barh(names, ups, color=HELPFUL_COLOUR, label=w["helpful"], edgecolor="white")
    down = ax.barh(names, [v.down for v in stats.votes], left=ups, color=NOT_HELPFUL_COLOUR, label=w["not_helpful"],
                   edgecolor="white")
    _counts_on(ax, up, label_type="center", color="white")
    _counts_on(ax, down, label_type="center", color="black")
    ax.invert_yaxis()  # most voted on top
    ax.set_xlabel(w["votes"])
    _integer_axis(ax.xaxis)
    _legend_below(figure, ax, [w["helpful"], w["not_helpful"]])
    return figure


def unanswered(stats: Stats, w: Mapping[str, str]):
    figure, (ax,) = _figure(max(3.0, 0.45 * len(stats.unanswered) + 1.4))
    ax.set_title(w["unanswered.title"])
    if not stats.unanswered:
        _no_data(ax, w)
        return figure
    bars = ax.barh([_short(q, 52) or "?" for q, _ in stats.unanswered], [n for _, n in stats.unanswered],
                   color=MAIN_COLOUR)
    _counts_on(ax, bars)
    ax.margins(x=0.08)
    ax.invert_yaxis()
    ax.set_xlabel(w["times_asked"])
    _integer_axis(ax.xaxis)
    return figure


#: (file stem, key of the title in ``labels.WORDS``, drawing function), in the order charts are sent.
CHARTS: tuple[tuple[str, str, Callable], ...] = (
    ("weekly", "weekly.title", weekly),
    ("scales", "scales.title", scales),
    ("replies", "replies.title", replies),
    ("votes", "votes.title", votes),
    ("unanswered", "unanswered.title", unanswered),
)


def chart_rc() -> dict:
    """matplotlib settings every chart is drawn under (``rc_context``)."""
    # Labels with "$" (prices residents type) must not turn into mathtext; "-" stays ASCII so no font lacks it.
    return {"font.family": families(), "text.parse_math": False, "axes.unicode_minus": False}


def draw_all(stats: Stats) -> list[Chart]:
    """Every chart as PNG bytes, labelled in ``stats.lang``. Blocking (a few hundred milliseconds); not
    thread-safe — one caller at a time."""
    from matplotlib import rc_context  # noqa: PLC0415

    w = words(stats.lang)
    charts = []
    with rc_context(chart_rc()):
        for name, title, draw in CHARTS:
            charts.append(Chart(name, w[title], caption(name, stats), _png(draw(stats, w))))
    return charts


class MatplotlibCharts:
    """The core's ``ChartRenderer``: the charts as ``Image``s, each with its caption (what to look at)."""

    def render(self, stats: Stats) -> list[Image]:
        return [Image(png=c.png, caption=escape(c.caption), filename=f"{c.name}.png") for c in draw_all(stats)]
