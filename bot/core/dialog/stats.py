"""``/stats``: the headline figures as text, then the charts as images (submissions per consultation over time,
each scale question, reply times and ratings, 👍/👎 per entry, top unanswered questions, the community rooms' use
over the last 4 weeks). Staff rows only."""
from __future__ import annotations

import asyncio
import dataclasses
import threading
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Literal

from bot.core.booking import views as booking_views
from bot.core.dialog.context import Context
from bot.core.dialog.router import Router
from bot.core.i18n import Texts
from bot.core.messages import Image, Reply
from bot.core.staff.digest import DISTRICT_TZ
from bot.core.staff.stats import ChartRenderer, Headline, Stats, gather

#: ``/stats N``: at most this many days back (a mistyped year would otherwise read the whole table anyway).
MAX_DAYS = 3660
#: One drawing at a time: matplotlib's font cache and text layout are not safe across threads.
_DRAWING = threading.Lock()


def parse_since(arg: str, now: datetime) -> datetime | Literal[False] | None:
    """``""`` → None (all time); ``N`` → N days back; ``YYYY-MM-DD`` → that day, 00:00 district time; anything
    else → False."""
    arg = arg.strip()
    if not arg:
        return None
    if arg.isdigit() and 0 < int(arg) <= MAX_DAYS:
        return now - timedelta(days=int(arg))
    try:
        return datetime.combine(date.fromisoformat(arg), time.min, DISTRICT_TZ)
    except ValueError:
        return False


async def show(ctx: Context) -> list[Reply]:
    """``/stats [DAYS | YYYY-MM-DD]``: the headline figures of the period (all time by default) and one image
    per chart; text only when no chart renderer is installed. Next: any staff command (``/review`` to act)."""
    service, tools = ctx.deps.feedback, ctx.deps.staff
    now = ctx.deps.clock()
    since = parse_since(ctx.arg, now)
    if since is False:
        return [Reply(html=ctx.t("stats.usage"))]
    # Names, charts and captions all in the staff member's language, like the figures above them.
    stats = await gather(service.store, ctx.deps.residents, ctx.knowledge, since=since or None, until=now,
                         lang=ctx.lang)
    # The rooms' last 4 weeks, figured once: the line below the figures and the rooms chart show the same rows.
    rooms = await booking_views.recent_use(ctx.deps.bookings, ctx.knowledge.kb, ctx.lang)
    stats = dataclasses.replace(stats, rooms=rooms)
    replies = [Reply(html=summary_html(stats, ctx.t) + "\n\n"
                     + await booking_views.usage_line(ctx.deps.bookings, rooms, ctx.t))]
    if tools.charts is None:
        replies[0] = Reply(html=replies[0].html + "\n\n" + ctx.t("stats.charts_unavailable"))
        return replies
    images = await asyncio.to_thread(_draw, tools.charts, stats)
    replies.extend(Reply(image=image) for image in images)
    return replies


def _draw(charts: ChartRenderer, stats: Stats) -> list[Image]:
    with _DRAWING:
        return charts.render(stats)


def summary_html(stats: Stats, t: Texts) -> str:
    """The headline figures, in the staff member's language."""
    h: Headline = stats.headline
    period = (t("stats.period_since", since=stats.since.astimezone(DISTRICT_TZ).date().isoformat())
              if stats.since else t("stats.period_all"))
    text = t("stats.summary", period=period, submissions=h.submissions, cases=h.cases,
             reply_rate=percent(h.reply_rate, t), median=duration(h.median_reply_hours, t),
             rating=t("stats.rating", rating=f"{h.mean_rating:.1f}") if h.mean_rating is not None
             else t("stats.no_value"),
             ratings=h.ratings, helpful=percent(h.helpful_share, t), votes=h.helpful_up + h.helpful_down)
    if stats.unanswered:
        lines = [t("stats.unanswered_item", count=n, question=escape(q[:60])) for q, n in stats.unanswered[:5]]
        text += "\n\n" + t("stats.unanswered_title") + "\n" + "\n".join(lines)
    return text


def percent(share: float | None, t: Texts) -> str:
    return f"{share * 100:.0f}%" if share is not None else t("stats.no_value")


def duration(hours: float | None, t: Texts) -> str:
    """Hours under two days, days beyond."""
    if hours is None:
        return t("stats.no_value")
    return t("stats.hours", hours=f"{hours:.1f}") if hours < 48 else t("stats.days", days=f"{hours / 24:.1f}")


router = Router("stats")
router.command("stats", show, staff=True, doc="figures and charts (images)")
