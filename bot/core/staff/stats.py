"""The figures behind ``/stats`` and ``python -m bot report``: pure functions from submissions, 👍/👎 votes and
unanswered questions to the numbers the charts draw, plus ``gather`` that reads them from the stores.

Drawing is elsewhere (``bot.reports.charts``, behind the ``ChartRenderer`` port), so these stay plain data,
unit-tested without matplotlib. Weeks start on Monday in district time (UTC+8). Reply time is from a submission's
arrival to its first staff reply; anonymous submissions are stored to the hour, so theirs reads long by less than
an hour.
"""
from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.core.booking.usage import RoomsUse
from bot.core.dialog.render import text_of
from bot.core.feedback.model import SCALE, HelpfulVote, Submission
from bot.core.feedback.ports import FeedbackStore
from bot.core.knowledge.model import KnowledgeBase
from bot.core.knowledge.service import KnowledgeSnapshot
from bot.core.language import Lang, to_simplified, to_traditional
from bot.core.messages import Image
from bot.core.ports import ResidentStore
from bot.core.staff.digest import DISTRICT_TZ
from bot.core.staff.text import quote
from bot.core.staff.unanswered import UnansweredGroup, group_unanswered

#: Upper edges (hours) of the reply-time buckets: ≤1 h, ≤4 h, ≤1 day, ≤3 days, ≤7 days, and longer.
REPLY_BUCKET_HOURS = (1.0, 4.0, 24.0, 72.0, 168.0)
TOP_ENTRIES = 12
TOP_UNANSWERED = 10


@dataclass(frozen=True, slots=True)
class Series:
    """Submissions to one consultation (``key`` its id; ``""`` for cases) per week of ``Stats.weeks``."""

    key: str
    name: str
    counts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ScaleDistribution:
    """How often each of 1-5 was chosen for one scale question; ``low``/``high`` are the words for 1 and 5."""

    consultation: str
    question: str
    counts: tuple[int, ...]
    low: str = ""
    high: str = ""

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        return sum(n * c for n, c in zip(SCALE, self.counts, strict=True)) / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class EntryVotes:
    entry_id: str
    title: str
    up: int
    down: int


@dataclass(frozen=True, slots=True)
class Headline:
    submissions: int  # consultation answers
    cases: int  # questions residents sent to staff
    answered: int  # submissions and cases with at least one staff reply
    median_reply_hours: float | None
    mean_rating: float | None
    ratings: int
    helpful_up: int
    helpful_down: int

    @property
    def reply_rate(self) -> float | None:
        total = self.submissions + self.cases
        return self.answered / total if total else None

    @property
    def helpful_share(self) -> float | None:
        votes = self.helpful_up + self.helpful_down
        return self.helpful_up / votes if votes else None


@dataclass(frozen=True, slots=True)
class Stats:
    since: datetime | None
    until: datetime
    weeks: tuple[date, ...]  # Mondays, consecutive
    weekly: tuple[Series, ...]
    scales: tuple[ScaleDistribution, ...]
    reply_hours: tuple[float, ...]
    ratings: tuple[int, ...]  # how many replies were rated 1, 2, 3, 4, 5
    votes: tuple[EntryVotes, ...]  # most voted first
    unanswered: tuple[tuple[str, int], ...]  # (most asked wording, times asked), most asked first
    headline: Headline
    #: The staff language the names above were taken in; the charts and captions use it too, so they never mix.
    lang: Lang = "zh-Hant"
    #: How much the community rooms were used (``bookings.usage``), for the rooms chart; its own period (the last
    #: weeks), set by ``/stats`` and the report; None: the chart says "no data".
    rooms: RoomsUse | None = None


class ChartRenderer(Protocol):
    """Draws ``Stats`` as PNG images, in a fixed order; blocking (the caller runs it in a worker thread)."""

    def render(self, stats: Stats) -> list[Image]: ...


def week_start(moment: datetime) -> date:
    """The Monday (district time) of the week ``moment`` falls in."""
    day = moment.astimezone(DISTRICT_TZ).date()
    return day - timedelta(days=day.weekday())


def weekly_series(submissions: Sequence[Submission], kb: KnowledgeBase, lang: Lang
                  ) -> tuple[tuple[date, ...], tuple[Series, ...]]:
    """Consecutive weeks from the first submission to the last, and per consultation (in the knowledge base's
    order, then any no longer in it, then cases) the submissions of each week."""
    if not submissions:
        return (), ()
    per_week: dict[str, Counter[date]] = {}
    for s in submissions:
        key = "" if s.kind == "case" else (s.consultation_id or "")
        per_week.setdefault(key, Counter())[week_start(s.created_at)] += 1
    first = min(min(c) for c in per_week.values())
    last = max(max(c) for c in per_week.values())
    weeks = tuple(first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1))
    titles = {c.id: text_of(c.title, lang) for c in kb.consultations}
    order = [c.id for c in kb.consultations if c.id in per_week]
    order += sorted(k for k in per_week if k and k not in titles)
    order += [""] if "" in per_week else []
    series = tuple(Series(key, titles.get(key, key), tuple(per_week[key][w] for w in weeks)) for key in order)
    return weeks, series


def scale_distributions(submissions: Sequence[Submission], kb: KnowledgeBase, lang: Lang
                        ) -> tuple[ScaleDistribution, ...]:
    """Every scale question of the knowledge base's consultations that was answered at least once."""
    counts: dict[tuple[str, str], Counter[int]] = {}
    for s in submissions:
        for a in s.answers:
            if isinstance(a.value, int) and not isinstance(a.value, bool) and a.value in SCALE:
                counts.setdefault((s.consultation_id or "", a.question_id), Counter())[a.value] += 1
    found = []
    for c in kb.consultations:
        for q in c.questions:
            tally = counts.get((c.id, q.id))
            if q.type != "scale" or not tally:
                continue
            found.append(ScaleDistribution(text_of(c.title, lang), text_of(q.prompt, lang),
                                           tuple(tally[n] for n in SCALE),
                                           text_of(q.label_of(1), lang), text_of(q.label_of(5), lang)))
    return tuple(found)


def first_reply_hours(submissions: Iterable[Submission]) -> tuple[float, ...]:
    """Hours from arrival to the first staff reply, for every submission or case that has one."""
    hours = []
    for s in submissions:
        if s.replies:
            first = min(r.created_at for r in s.replies)
            hours.append(max(0.0, (first - s.created_at).total_seconds() / 3600))
    return tuple(hours)


def bucket_reply_hours(hours: Iterable[float]) -> tuple[int, ...]:
    """Counts per ``REPLY_BUCKET_HOURS`` bucket, plus one for anything longer (len = edges + 1)."""
    counts = [0] * (len(REPLY_BUCKET_HOURS) + 1)
    for h in hours:
        counts[next((i for i, edge in enumerate(REPLY_BUCKET_HOURS) if h <= edge), len(REPLY_BUCKET_HOURS))] += 1
    return tuple(counts)


def rating_counts(submissions: Iterable[Submission]) -> tuple[int, ...]:
    """How many staff replies residents rated 1, 2, 3, 4 and 5."""
    tally = Counter(r.rating for s in submissions for r in s.replies if r.rating is not None)
    return tuple(tally[n] for n in SCALE)


def entry_votes(votes: Iterable[HelpfulVote], kb: KnowledgeBase, lang: Lang, limit: int = TOP_ENTRIES
                ) -> tuple[EntryVotes, ...]:
    """👍/👎 per entry, most voted first (ties: by entry id); entries since removed keep their id as title."""
    up: Counter[str] = Counter()
    down: Counter[str] = Counter()
    for v in votes:
        (up if v.helpful else down)[v.entry_id] += 1
    ids = sorted(up.keys() | down.keys(), key=lambda i: (-(up[i] + down[i]), i))[:limit]
    result = []
    for entry_id in ids:
        entry = kb.get(entry_id)
        result.append(EntryVotes(entry_id, text_of(entry.title, lang) if entry else entry_id, up[entry_id],
                                 down[entry_id]))
    return tuple(result)


def top_unanswered(groups: Sequence[UnansweredGroup], lang: Lang = "zh-Hant", limit: int = TOP_UNANSWERED
                   ) -> tuple[tuple[str, int], ...]:
    """The most asked questions, each quoted on one line (cut with "…") in the staff member's script (a group
    mixes both scripts anyway, so the figures never show two), with how often they were asked."""
    return tuple((quote(staff_script(g.representative, lang)), g.count) for g in groups[:limit])


def staff_script(text: str, lang: Lang) -> str:
    """Chinese text in the reader's script; English readers see it as written."""
    if lang == "zh-Hans":
        return to_simplified(text)
    return to_traditional(text) if lang == "zh-Hant" else text


def aggregate(submissions: Sequence[Submission], votes: Sequence[HelpfulVote], groups: Sequence[UnansweredGroup],
              kb: KnowledgeBase, *, since: datetime | None, until: datetime, lang: Lang = "zh-Hant") -> Stats:
    """Everything the charts and the report show, from already-loaded records."""
    weeks, weekly = weekly_series(submissions, kb, lang)
    hours = first_reply_hours(submissions)
    ratings = rating_counts(submissions)
    rated = sum(ratings)
    up = sum(1 for v in votes if v.helpful)
    headline = Headline(
        submissions=sum(1 for s in submissions if s.kind == "survey"),
        cases=sum(1 for s in submissions if s.kind == "case"),
        answered=sum(1 for s in submissions if s.replies),
        median_reply_hours=statistics.median(hours) if hours else None,
        mean_rating=sum(n * c for n, c in zip(SCALE, ratings, strict=True)) / rated if rated else None,
        ratings=rated, helpful_up=up, helpful_down=len(votes) - up)
    return Stats(since=since, until=until, weeks=weeks, weekly=weekly,
                 scales=scale_distributions(submissions, kb, lang), reply_hours=hours, ratings=ratings,
                 votes=entry_votes(votes, kb, lang), unanswered=top_unanswered(groups, lang), headline=headline,
                 lang=lang)


async def gather(store: FeedbackStore, residents: ResidentStore, snapshot: KnowledgeSnapshot, *,
                 since: datetime | None, until: datetime, lang: Lang = "zh-Hant") -> Stats:
    """Read submissions, votes and unanswered questions since ``since`` and aggregate them; unanswered questions
    are grouped with the serving matcher, as ``python -m bot unanswered`` does."""
    submissions = await store.submissions(since)
    votes = await store.votes(since)
    groups = group_unanswered(await residents.unanswered(since), snapshot.matcher)
    return aggregate(submissions, votes, groups, snapshot.kb, since=since, until=until, lang=lang)
