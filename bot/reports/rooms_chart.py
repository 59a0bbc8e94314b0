"""The community rooms chart: how much of each room's open hours were booked, and by whom (``Stats.rooms``, the
``usage.weekly_usage`` rows the report's table and the /stats line show too — nothing is figured again here).

Why this shape. A district has a dozen rooms (eleven in the sample knowledge base): one line per room per week
would be eleven tangled lines, and with one week of data eleven dots; a room × week heat map needs a colour scale
outside the Okabe-Ito palette and cannot show who booked. So the chart answers the district plan's two questions
in two panels sharing one legend (shares of the hours open):

- **each room over the period**: one horizontal bar per room (names on the axis, where long Chinese names fit), in
  the knowledge base's order, split into residents / resident groups / units (the plan asks that both residents and
  units use the rooms), with "62% (31 of 50 h)" at its end — a room at 0 % still carries its label, a room closed
  the whole period says so;
- **all rooms week by week**: the same split and colours, the share above each bar, the axis scaled to the busiest
  week so a trend shows. With one week of data this panel is left out: it would only repeat the total above.

Nothing booked at all, or no room in the knowledge base: one "no data" panel (the caption still gives the open
hours when there were rooms).
"""
from __future__ import annotations

import math
from collections.abc import Mapping

from bot.core.booking.model import APPLICANTS_ALL
from bot.core.booking.usage import WeekUsage
from bot.core.staff.stats import Stats
from bot.reports.captions import hours_number, percent, week_day
from bot.reports.drawing import MAX_X_LABELS, OKABE_ITO, legend_below, new_figure, no_data, wrap
from bot.reports.labels import NO_VALUE

#: One colour per kind of applicant, the palette's first three: residents blue, groups orange, units sky blue.
KIND_COLOURS = {"resident": OKABE_ITO["blue"], "group": OKABE_ITO["orange"], "unit": OKABE_ITO["sky blue"]}
#: Screen columns of a line of a room's name on the axis (15 Chinese characters); names take up to two lines.
ROOM_COLUMNS = 30
#: Up to this many weeks each weekly bar carries its share; beyond, the axis alone (the labels would touch).
LABELLED_WEEKS = 26
#: Room above the longest bar for its "100% (50 of 50 h)" label, as a share of the axis.
LABEL_ROOM = 1.35


def _shares(row: WeekUsage) -> dict[str, float]:
    """Per kind of applicant, its booked hours as a percentage of the row's open hours (0 when never open)."""
    return {kind: 100 * row.by_applicant.get(kind, 0.0) / row.hours_open if row.hours_open else 0.0
            for kind in APPLICANTS_ALL}


def _stacked(ax, positions: list[int], rows: list[WeekUsage], w: Mapping[str, str], *, across: bool) -> list[float]:
    """Bars split by kind of applicant, white edges between the parts; returns each bar's total."""
    ends = [0.0] * len(rows)
    for kind in APPLICANTS_ALL:
        parts = [_shares(r)[kind] for r in rows]
        style = dict(color=KIND_COLOURS[kind], edgecolor="white", label=w[f"rooms.{kind}"])
        if across:
            ax.barh(positions, parts, 0.62, left=ends, **style)
        else:
            ax.bar(positions, parts, 0.6, bottom=ends, **style)
        ends = [e + p for e, p in zip(ends, parts, strict=True)]
    return ends


def _percent_axis(axis, top: float) -> None:
    """Ticks as whole percentages from 0 to ``top``, six at most (0-100 % by quarters)."""
    step = next((s for s in (1, 2, 5, 10, 25) if top / s <= 6), 25)
    axis.set_ticks(range(0, int(top) + 1, step), [f"{v}%" for v in range(0, int(top) + 1, step)])


def rooms(stats: Stats, w: Mapping[str, str]):
    use = stats.rooms
    per_room = use.per_room() if use else []
    if use is None or not any(r.hours_booked for _, r in per_room):
        figure, (ax,) = new_figure(3.6)
        figure.suptitle(w["rooms.title"])
        no_data(ax, w)
        return figure
    weeks = use.per_week()
    room_height = 0.42 * len(per_room) + 1.0
    if len(weeks) > 1:
        week_height = 2.8
        figure, (by_room, by_week) = new_figure(room_height + week_height + 1.2, 2, 1, (room_height, week_height))
    else:  # one week: the all-rooms bar would only repeat the total of the bars above
        figure, (by_room,) = new_figure(room_height + 1.0)
    figure.suptitle(w["rooms.title"])

    ends = _stacked(by_room, list(range(len(per_room))), [r for _, r in per_room], w, across=True)
    for i, (_, r) in enumerate(per_room):
        label = (w["rooms.bar"].format(share=percent(r.hours_booked / r.hours_open), booked=hours_number(
            r.hours_booked), open=hours_number(r.hours_open)) if r.hours_open else w["rooms.not_open"])
        by_room.annotate(label, (ends[i], i), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    by_room.set_yticks(range(len(per_room)), [wrap(name, ROOM_COLUMNS) or "?" for name, _ in per_room], fontsize=9)
    by_room.invert_yaxis()  # the knowledge base's first room on top
    # Always 0-100 %: how far each room is from full; the room on the right is for the labels.
    by_room.set_xlim(0, max(100.0, *ends) * LABEL_ROOM)
    _percent_axis(by_room.xaxis, 100)
    by_room.set_xlabel(w["rooms.share"])
    by_room.set_title(w["rooms.per_room"].format(first=use.first, last=use.last), fontsize=10)
    by_room.grid(axis="x", alpha=0.3)
    by_room.set_axisbelow(True)
    legend_below(figure, by_room, [w[f"rooms.{kind}"] for kind in APPLICANTS_ALL])
    if len(weeks) > 1:
        _weeks(by_week, weeks, stats, w)
    return figure


def _weeks(ax, weeks: list[WeekUsage], stats: Stats, w: Mapping[str, str]) -> None:
    """All rooms week by week; the axis reaches a little over the busiest week (the shares are small beside 100 %,
    and a trend should show), its share above each bar."""
    positions = list(range(len(weeks)))
    tops = _stacked(ax, positions, weeks, w, across=False)
    if len(weeks) <= LABELLED_WEEKS:
        for i, week in enumerate(weeks):
            share = percent(week.hours_booked / week.hours_open) if week.hours_open else NO_VALUE
            ax.annotate(share, (i, tops[i]), xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                        fontsize=8 if len(weeks) <= MAX_X_LABELS else 7)
    slots = max(len(weeks), 4)  # two or three weeks: narrow bars in the middle, not bars across the image
    centre = (len(weeks) - 1) / 2
    ax.set_xlim(centre - slots / 2, centre + slots / 2)
    step = max(1, math.ceil(len(weeks) / MAX_X_LABELS))
    ax.set_xticks(positions[::step], [week_day(r.week, stats.lang) for r in weeks[::step]])
    top = min(100.0, max(5.0, *tops) * 1.25) if max(tops) <= 100 else max(tops) * 1.15
    ax.set_ylim(0, top)
    _percent_axis(ax.yaxis, top)
    ax.set_xlabel(w["week_of"])
    ax.set_ylabel(w["rooms.share"])
    ax.set_title(w["rooms.per_week"], fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
