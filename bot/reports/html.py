"""The report page of ``python -m bot report``: index.html, in ``Stats.lang`` like its charts, showing the headline
figures, the most asked unanswered questions, the community rooms' use (a table, its chart under it) and the chart
PNGs beside it, each with its caption. Self-contained (inline CSS, relative image paths), so the folder can be
zipped, mailed or put on an intranet share as it is. Every piece of data is HTML-escaped."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape

from bot.core.booking.model import APPLICANTS_ALL
from bot.core.booking.usage import RoomsUse
from bot.core.staff.digest import DISTRICT_TZ
from bot.core.staff.stats import Headline, Stats
from bot.reports.captions import duration, hours_number
from bot.reports.charts import Chart
from bot.reports.labels import NO_VALUE, words

#: The chart shown under the rooms' table instead of with the others.
ROOMS_CHART = "rooms"

#: Fonts of the page per language: Traditional and Simplified glyph shapes differ, so each script asks for its own.
FONTS = {"zh-Hant": '"Noto Sans CJK TC", "Microsoft JhengHei", "PingFang TC", "WenQuanYi Micro Hei", sans-serif',
         "zh-Hans": '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif',
         "en": 'system-ui, "Segoe UI", Roboto, sans-serif'}
STYLE = """
body { font-family: FONTS;
       max-width: 960px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.5; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
.meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.4em 1em; text-align: left; }
td.figure { font-weight: bold; font-size: 1.1em; }
figure { margin: 2em 0; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
footer { color: #666; font-size: 0.9em; margin: 3em 0 1em; }
"""


def period_text(stats: Stats, w: Mapping[str, str]) -> str:
    if stats.since is None:
        return w["period_all"]
    return w["period_since"].format(since=stats.since.astimezone(DISTRICT_TZ).date().isoformat())


def headline_rows(h: Headline, w: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, figure) pairs, in the order the page shows them."""
    total = h.submissions + h.cases
    rate = (w["unit.rate"].format(share=h.reply_rate * 100, answered=h.answered, total=total)
            if h.reply_rate is not None else NO_VALUE)
    rating = (w["unit.rating"].format(rating=h.mean_rating, count=h.ratings)
              if h.mean_rating is not None else NO_VALUE)
    helpful = (w["unit.share"].format(share=h.helpful_share * 100, count=h.helpful_up + h.helpful_down)
               if h.helpful_share is not None else NO_VALUE)
    median = NO_VALUE if h.median_reply_hours is None else duration(h.median_reply_hours, w)
    return [(w["headline.submissions"], w["unit.items"].format(count=h.submissions)),
            (w["headline.cases"], w["unit.cases"].format(count=h.cases)),
            (w["headline.reply_rate"], rate),
            (w["headline.median_reply"], median),
            (w["headline.mean_rating"], rating),
            (w["headline.helpful"], helpful)]


def render_page(stats: Stats, charts: Sequence[Chart], generated: datetime) -> str:
    """index.html for ``stats`` with ``charts`` saved beside it as ``NAME.png``; with ``stats.rooms``, the rooms'
    table and, right under it, their chart (``rooms``) rather than among the others."""
    w = words(stats.lang)
    at = generated.astimezone(DISTRICT_TZ).strftime("%Y-%m-%d %H:%M")
    style = STYLE.replace("FONTS", FONTS.get(stats.lang, FONTS["zh-Hant"]))
    parts = ['<!doctype html>', f'<html lang="{escape(stats.lang)}">', '<head>', '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f'<title>{escape(w["report.title"])}</title>', f'<style>{style}</style>', '</head>', '<body>',
             f'<h1>{escape(w["report.title"])}</h1>',
             f'<p class="meta">{escape(w["report.generated"].format(at=at, period=period_text(stats, w)))}</p>',
             f'<h2>{escape(w["report.headline"])}</h2>', '<table class="headline">']
    for label, figure in headline_rows(stats.headline, w):
        parts.append(f'<tr><th scope="row">{escape(label)}</th><td class="figure">{escape(figure)}</td></tr>')
    parts += ['</table>', f'<h2>{escape(w["report.unanswered"])}</h2>']
    if stats.unanswered:
        parts.append(f'<table class="unanswered"><tr><th>{escape(w["report.question"])}</th>'
                     f'<th>{escape(w["report.times"])}</th></tr>')
        parts += [f'<tr><td>{escape(question)}</td><td>{count}</td></tr>' for question, count in stats.unanswered]
        parts.append('</table>')
    else:
        parts.append(f'<p>{escape(w["report.unanswered_none"])}</p>')
    if stats.rooms is not None:
        parts += rooms_table(stats.rooms, w)
        parts += [figure_html(chart) for chart in charts if chart.name == ROOMS_CHART]
    parts.append(f'<h2>{escape(w["report.charts"])}</h2>')
    parts += [figure_html(chart) for chart in charts if chart.name != ROOMS_CHART or stats.rooms is None]
    parts += [f'<footer>{escape(w["report.footer"])}</footer>', '</body>', '</html>', '']
    return "\n".join(parts)


def figure_html(chart: Chart) -> str:
    """A chart's image with its caption under it."""
    name, title = escape(chart.name), escape(chart.title)
    return (f'<figure id="{name}"><img src="{name}.png" alt="{title}">'
            f'<figcaption>{escape(chart.caption)}</figcaption></figure>')


def rooms_table(rooms: RoomsUse, w: Mapping[str, str]) -> list[str]:
    """The district's resource-sharing figure: hours booked of hours open per room over the whole period, by kind of
    applicant, no-shows, free and paid hours."""
    parts = [f'<h2>{escape(w["report.rooms"].format(first=rooms.first, last=rooms.last))}</h2>']
    per_room = rooms.per_room()
    if not per_room:
        return parts + [f'<p>{escape(w["report.rooms_none"])}</p>']
    parts.append('<table class="rooms"><tr>' + "".join(
        f"<th>{escape(w[key])}</th>" for key in ("report.room", "report.room_hours", "report.room_use",
                                                  "report.room_kinds", "report.room_no_show",
                                                  "report.room_free_paid")) + "</tr>")
    for name, r in per_room:
        use = f"{r.utilisation * 100:.0f}%" if r.utilisation is not None else "–"
        no_show = f"{r.no_show_rate * 100:.0f}%" if r.no_show_rate is not None else "–"
        kinds = " / ".join(hours_number(r.by_applicant.get(kind, 0.0)) for kind in APPLICANTS_ALL)
        parts.append(f"<tr><td>{escape(name)}</td><td>{hours_number(r.hours_booked)} / "
                     f"{hours_number(r.hours_open)}</td><td>{use}</td><td>{kinds}</td><td>{no_show}</td>"
                     f"<td>{hours_number(r.free_hours)} / {hours_number(r.paid_hours)}</td></tr>")
    parts.append("</table>")
    return parts

