"""What every chart shares: the size of the images, the Okabe-Ito palette, labels cut and wrapped by screen columns
(through ``fonts.drawable``), the "no data" panel, the legend below the plot, counts on bars and the matplotlib
settings charts are drawn under. Used by ``charts`` (the feedback and Q&A charts) and ``rooms_chart``."""
from __future__ import annotations

import io
import textwrap
import unicodedata
from collections.abc import Mapping, Sequence

from bot.reports.fonts import drawable, families

#: Pixels per inch of the PNGs: 900 px wide, sharp on a phone without being heavy.
DPI = 100
WIDTH = 9.0
#: Okabe & Ito (2008), "Color Universal Design": eight colours told apart with every common colour-vision
#: deficiency. Series take them in this order — yellow is left out (too pale on white), and bluish green and
#: vermillion, the closest pair for some readers, are as far apart as seven series allow.
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
             "reddish purple": "#CC79A7", "black": "#000000", "vermillion": "#D55E00", "yellow": "#F0E442"}
SERIES_COLOURS = tuple(c for name, c in OKABE_ITO.items() if name != "yellow")
#: A second cue beside colour for line charts, in the same order as ``SERIES_COLOURS``.
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
#: Screen columns of a label (a Chinese character takes two) before it is cut (entry titles, questions) or wrapped
#: (the questions over scale charts): 22 Chinese characters or 44 Latin letters.
LABEL_COLUMNS = 44
MAX_X_LABELS = 14


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def short(text: str, limit: int = LABEL_COLUMNS) -> str:
    text = drawable(" ".join(text.split()))
    if columns(text) <= limit:
        return text
    while columns(text) > limit - 1:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap(text: str, limit: int = LABEL_COLUMNS, lines: int = 2) -> str:
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
        wrapped = wrapped[:lines - 1] + [short(" ".join(wrapped[lines - 1:]), limit)]
    return "\n".join(wrapped)


def new_figure(height: float, rows: int = 1, cols: int = 1, heights: Sequence[float] | None = None):
    """A figure ``height`` inches tall with ``rows`` × ``cols`` axes (rows as tall as ``heights`` say)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 - loaded only when drawing
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, cols, squeeze=False, height_ratios=heights)
    return figure, [ax for row in axes for ax in row]


def png_of(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def no_data(ax, w: Mapping[str, str]) -> None:
    ax.text(0.5, 0.5, w["no_data"], ha="center", va="center", fontsize=16, color="#777777",
            transform=ax.transAxes)
    ax.set_axis_off()


def legend_below(figure, ax, labels: list[str]) -> None:
    """The legend under the plot, never over the data: as many columns as fit across the image."""
    widest = max(columns(label) for label in labels)
    across = max(1, min(len(labels), 100 // (widest + 8)))
    figure.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=across, frameon=False,
                  fontsize=9)


def counts_on(ax, bars, *, zeros: bool = False, **style) -> None:
    """Each bar's count at its end, so a short bar is read as exactly as a tall one."""
    ax.bar_label(bars, labels=[f"{v:g}" if v or zeros else "" for v in bars.datavalues], padding=2, fontsize=8,
                 **style)


def integer_axis(axis) -> None:
    axis.get_major_locator().set_params(integer=True)


def chart_rc() -> dict:
    """matplotlib settings every chart is drawn under (``rc_context``)."""
    # Labels with "$" (prices residents type) must not turn into mathtext; "-" stays ASCII so no font lacks it.
    return {"font.family": families(), "text.parse_math": False, "axes.unicode_minus": False}
