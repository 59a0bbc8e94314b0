"""The report page of ``python -m bot report``: index.html, in Chinese, showing the headline figures, the most asked
unanswered questions and the chart PNGs beside it. Self-contained (inline CSS, relative image paths), so the
folder can be zipped, mailed or put on an intranet share as it is. Every piece of data is HTML-escaped."""
from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Sequence

from bot.core.staff.digest import DISTRICT_TZ
from bot.core.staff.stats import Headline, Stats
from bot.reports import labels as L
from bot.reports.charts import Chart

STYLE = """
body { font-family: "Noto Sans CJK TC", "Microsoft JhengHei", "PingFang TC", "WenQuanYi Micro Hei", sans-serif;
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


def period_text(stats: Stats) -> str:
    if stats.since is None:
        return L.PERIOD_ALL
    return L.PERIOD_SINCE.format(since=stats.since.astimezone(DISTRICT_TZ).date().isoformat())


def duration_text(hours: float | None) -> str:
    if hours is None:
        return L.NO_VALUE
    return L.UNIT_HOURS.format(hours=hours) if hours < 48 else L.UNIT_DAYS.format(days=hours / 24)


def headline_rows(h: Headline) -> list[tuple[str, str]]:
    """(label, figure) pairs, in the order the page shows them."""
    total = h.submissions + h.cases
    rate = (L.UNIT_RATE.format(share=h.reply_rate * 100, answered=h.answered, total=total)
            if h.reply_rate is not None else L.NO_VALUE)
    rating = (L.UNIT_RATING.format(rating=h.mean_rating, count=h.ratings)
              if h.mean_rating is not None else L.NO_VALUE)
    helpful = (L.UNIT_SHARE.format(share=h.helpful_share * 100, count=h.helpful_up + h.helpful_down)
               if h.helpful_share is not None else L.NO_VALUE)
    return [(L.HEADLINE_SUBMISSIONS, L.UNIT_ITEMS.format(count=h.submissions)),
            (L.HEADLINE_CASES, L.UNIT_CASES.format(count=h.cases)),
            (L.HEADLINE_REPLY_RATE, rate),
            (L.HEADLINE_MEDIAN_REPLY, duration_text(h.median_reply_hours)),
            (L.HEADLINE_MEAN_RATING, rating),
            (L.HEADLINE_HELPFUL, helpful)]


def render_page(stats: Stats, charts: Sequence[Chart], generated: datetime) -> str:
    """index.html for ``stats`` with ``charts`` saved beside it as ``NAME.png``."""
    at = generated.astimezone(DISTRICT_TZ).strftime("%Y-%m-%d %H:%M")
    parts = ['<!doctype html>', '<html lang="zh-Hant">', '<head>', '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f'<title>{escape(L.REPORT_TITLE)}</title>', f'<style>{STYLE}</style>', '</head>', '<body>',
             f'<h1>{escape(L.REPORT_TITLE)}</h1>',
             f'<p class="meta">{escape(L.REPORT_GENERATED.format(at=at, period=period_text(stats)))}</p>',
             f'<h2>{escape(L.HEADLINE_TITLE)}</h2>', '<table class="headline">']
    for label, figure in headline_rows(stats.headline):
        parts.append(f'<tr><th scope="row">{escape(label)}</th><td class="figure">{escape(figure)}</td></tr>')
    parts += ['</table>', f'<h2>{escape(L.UNANSWERED_TITLE)}</h2>']
    if stats.unanswered:
        parts.append(f'<table class="unanswered"><tr><th>{escape(L.UNANSWERED_QUESTION)}</th>'
                     f'<th>{escape(L.UNANSWERED_TIMES)}</th></tr>')
        parts += [f'<tr><td>{escape(question)}</td><td>{count}</td></tr>' for question, count in stats.unanswered]
        parts.append('</table>')
    else:
        parts.append(f'<p>{escape(L.UNANSWERED_NONE)}</p>')
    parts.append(f'<h2>{escape(L.CHARTS_TITLE)}</h2>')
    for chart in charts:
        name, title = escape(chart.name), escape(chart.title)
        parts.append(f'<figure id="{name}"><img src="{name}.png" alt="{title}">'
                     f'<figcaption>{title}</figcaption></figure>')
    parts += [f'<footer>{escape(L.REPORT_FOOTER)}</footer>', '</body>', '</html>', '']
    return "\n".join(parts)
