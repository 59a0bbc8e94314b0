"""One sentence under each chart saying what to look at — the biggest share, the worst score, the slow replies,
the least used room — in the staff member's language (``Stats.lang``), never a repeat of the title the image
already shows.

Pure functions of ``Stats``: plain text here; the chat escapes it for HTML, the report page too.
"""
from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping

from bot.core.staff.stats import REPLY_BUCKET_HOURS, Stats
from bot.reports.labels import words

#: Replies slower than this many hours are counted as slow in the caption ("over 3 days").
SLOW_HOURS = REPLY_BUCKET_HOURS[3]
#: Ratings and scale answers counted as unhappy in captions: 1 or 2 of 5.
UNHAPPY = (0, 1)
#: Up to this many weeks the weekly chart draws bars and the caption names the busiest week only.
FEW_WEEKS = 4


def week_day(day, lang) -> str:
    """A Monday as the charts write it: 11-02 in Chinese, Nov 2 in English."""
    return f"{day:%b} {day.day}" if lang == "en" else f"{day:%m-%d}"


def duration(hours: float, w: Mapping[str, str]) -> str:
    return w["hours"].format(hours=hours) if hours < 48 else w["days"].format(days=hours / 24)


def series_name(series, w: Mapping[str, str]) -> str:
    return series.name if series.key else w["cases"]


def weekly(stats: Stats, w: Mapping[str, str]) -> str:
    if not stats.weekly:
        return w["caption.no_data"]
    totals = [sum(s.counts) for s in stats.weekly]
    top = max(range(len(totals)), key=lambda i: totals[i])  # first of equals: the knowledge base's order
    per_week = [sum(column) for column in zip(*(s.counts for s in stats.weekly), strict=True)]
    peak = max(range(len(per_week)), key=lambda i: per_week[i])
    fields = dict(total=sum(totals), name=series_name(stats.weekly[top], w), count=totals[top],
                  weeks=len(stats.weeks), day=week_day(stats.weeks[peak], stats.lang), peak=per_week[peak],
                  last=per_week[-1])
    key = ("weekly.caption_one" if len(stats.weeks) == 1
           else "weekly.caption_few" if len(stats.weeks) < FEW_WEEKS else "weekly.caption_many")
    return w[key].format(**fields)


def scales(stats: Stats, w: Mapping[str, str]) -> str:
    if not stats.scales:
        return w["caption.no_data"]
    worst = min(stats.scales, key=lambda s: s.mean or 0)  # first of equals: the knowledge base's order
    key = "scales.caption_one" if len(stats.scales) == 1 else "scales.caption_lowest"
    return w[key].format(question=worst.question, consultation=worst.consultation, mean=worst.mean or 0,
                         total=worst.total, low=sum(worst.counts[i] for i in UNHAPPY))


def replies(stats: Stats, w: Mapping[str, str]) -> str:
    parts = []
    if stats.reply_hours:
        parts.append(w["replies.caption_times"].format(
            median=duration(statistics.median(stats.reply_hours), w), total=len(stats.reply_hours),
            slow=sum(1 for h in stats.reply_hours if h > SLOW_HOURS)))
    rated = sum(stats.ratings)
    if rated:
        mean = sum(n * c for n, c in enumerate(stats.ratings, start=1)) / rated
        parts.append(w["replies.caption_ratings"].format(mean=mean, count=rated,
                                                         low=sum(stats.ratings[i] for i in UNHAPPY)))
    # Chinese sentences follow each other without a space; English ones need one.
    return (" " if stats.lang == "en" else "").join(parts) or w["caption.no_data"]


def votes(stats: Stats, w: Mapping[str, str]) -> str:
    if not stats.votes:
        return w["caption.no_data"]
    worst = max(stats.votes, key=lambda v: (v.down, v.down / (v.up + v.down)))
    if not worst.down:
        return w["votes.caption_all_up"].format(total=sum(v.up for v in stats.votes))
    return w["votes.caption_down"].format(title=worst.title, down=worst.down, up=worst.up)


def unanswered(stats: Stats, w: Mapping[str, str]) -> str:
    if not stats.unanswered:
        return w["caption.no_data"]
    question, count = stats.unanswered[0]
    return w["unanswered.caption"].format(question=question, count=count)


def rooms(stats: Stats, w: Mapping[str, str]) -> str:
    """The share of open hours booked over the rooms' period and the least and most used room (first of equals:
    the knowledge base's order) — a room nobody books is the one to promote or open to other groups."""
    use = stats.rooms
    per_room = [(name, r) for name, r in use.per_room() if r.hours_open] if use else []
    if not use or not per_room:
        return w["caption.no_data"]
    booked, open_ = sum(r.hours_booked for _, r in per_room), sum(r.hours_open for _, r in per_room)
    fields = dict(first=use.first, last=use.last, booked=hours_number(booked), open=hours_number(open_),
                  share=percent(booked / open_), rooms=len(per_room))
    if not booked:
        return w["rooms.caption_unused"].format(**fields)
    if len(per_room) == 1:
        return w["rooms.caption_one"].format(name=per_room[0][0], **fields)
    shares = [r.hours_booked / r.hours_open for _, r in per_room]
    low = min(range(len(shares)), key=lambda i: shares[i])
    high = max(range(len(shares)), key=lambda i: shares[i])
    return w["rooms.caption"].format(low=per_room[low][0], low_share=percent(shares[low]), high=per_room[high][0],
                                     high_share=percent(shares[high]), **fields)


def percent(share: float) -> str:
    """A share as a whole percentage; "<1%" rather than "0%" when something was booked."""
    return "<1%" if 0 < share < 0.005 else f"{share * 100:.0f}%"


def hours_number(value: float) -> str:
    """Hours to the half hour most slots are made of: 0.5, 12, 330."""
    return f"{value:.1f}".removesuffix(".0")


CAPTIONS: Mapping[str, Callable[[Stats, Mapping[str, str]], str]] = {
    "weekly": weekly, "scales": scales, "replies": replies, "votes": votes, "unanswered": unanswered,
    "rooms": rooms}


def caption(name: str, stats: Stats) -> str:
    """The caption of chart ``name`` (a key of ``CAPTIONS``) in ``stats.lang``."""
    return CAPTIONS[name](stats, words(stats.lang))
