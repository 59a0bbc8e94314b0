"""Stores the staff tools depend on. ``bot.core.staff.memory`` and ``bot.storage`` implement them; both pass the
same contract tests (``tests/test_staff_stores.py``)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.core.unit import Write

#: The ``community`` of a subscription to the whole district (every announcement).
ALL_COMMUNITIES = "*"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One staff action: who (``staff_user``, a user key such as ``tg:42``, or ``system:watcher`` for automatic
    reloads), what (``action``, a dotted name such as ``reload`` or ``announce.delivered``; see ``AuditAction``),
    when (``at``, UTC) and the particulars (``detail``, one line for people reading the log)."""

    at: datetime
    staff_user: str
    action: str
    detail: str = ""


class AuditAction:
    """Action names written to the audit log. Features add their own (``feedback.reply``, ``feedback.status``,
    ``export``, …); a name is a plain string, so this class only documents the ones the staff tools write."""

    RELOAD = "reload"
    ANNOUNCE = "announce"
    ANNOUNCE_DELIVERED = "announce.delivered"
    DIGEST = "digest"
    TEACH = "teach"  # teach.attach, teach.new, teach.ignore, teach.undo


class AuditStore(Protocol):
    async def record(self, record: AuditRecord) -> None:
        """Append one record; records are never changed or removed."""
        ...

    def stage_record(self, record: AuditRecord) -> Write:
        """``record`` prepared for the unit of work of a staff member's message (``bot.core.unit``), so an action
        and its record are stored together — or neither, when the unit is refused. Never refused itself."""
        ...

    async def records(self, since: datetime | None = None, limit: int | None = None) -> list[AuditRecord]:
        """Records at or after ``since``, oldest first (the newest ``limit`` of them when a limit is given)."""
        ...


class SubscriptionStore(Protocol):
    """Residents who receive announcements: one row per (resident, community); ``ALL_COMMUNITIES`` is the whole
    district. A resident who blocked the bot stays subscribed but inactive until they subscribe again."""

    async def subscribe(self, user: str, community: str, at: datetime) -> None:
        """Add (or re-activate) a subscription; subscribing also re-activates the resident's other ones."""
        ...

    async def unsubscribe(self, user: str) -> int:
        """Remove every subscription of ``user``; returns how many there were."""
        ...

    async def communities_of(self, user: str) -> list[str]:
        """The communities ``user`` is actively subscribed to, sorted."""
        ...

    async def recipients(self, community: str | None = None) -> list[str]:
        """Active subscribers, distinct and sorted: everyone for ``None``; for a community, those subscribed to
        it or to the whole district."""
        ...

    async def mark_inactive(self, users: Iterable[str]) -> None:
        """Stop sending to ``users`` (they blocked the bot)."""
        ...


class DigestStore(Protocol):
    """Staff members who asked for the weekly digest (``/digest on``)."""

    async def set_digest(self, user: str, enabled: bool, at: datetime) -> None: ...

    async def digest_enabled(self, user: str) -> bool: ...

    async def digest_recipients(self) -> list[str]:
        """User keys that opted in, sorted."""
        ...


@dataclass(frozen=True, slots=True)
class StoredAnnouncement:
    """An announcement whose delivery has not finished (the bot stopped during it): what is sent, by whom, when it
    was confirmed, and who is still waiting for it."""

    id: int
    staff_user: str
    language: str
    html: str
    created_at: datetime
    pending: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AnnouncementTally:
    """How delivery of one announcement ended, over every run of it (a resumed one counts both)."""

    sent: int
    blocked: int
    failed: int
    not_sent: int  # still waiting when it was closed (an interrupted announcement too old to resume)


class AnnouncementStore(Protocol):
    """Announcements being delivered, so that one interrupted by a restart resumes with the people still waiting.
    Recipients' user keys are kept only until the announcement is finished; afterwards only the tally remains."""

    async def create(self, staff_user: str, language: str, html: str, recipients: Sequence[str],
                     at: datetime) -> int:
        """Store a confirmed announcement with every recipient waiting; returns its id."""
        ...

    async def record(self, announcement_id: int, outcomes: Sequence[tuple[str, str]]) -> None:
        """Outcomes of sends: (user, ``sent`` | ``blocked`` | ``failed``); those users no longer wait."""
        ...

    async def unfinished(self) -> list[StoredAnnouncement]:
        """Announcements not finished yet, oldest first, each with the recipients still waiting."""
        ...

    async def finish(self, announcement_id: int, at: datetime) -> AnnouncementTally:
        """Close the announcement: keep its tally, forget its recipients (anyone still waiting is not sent)."""
        ...

    async def forget(self, user: str) -> int:
        """``/forget_me``: drop ``user`` from every unfinished announcement; returns how many they were in."""
        ...


@dataclass(frozen=True, slots=True)
class TaughtRecord:
    """A phrasing staff taught (``/teach``, ``python -m bot teach``): who, when, which entry, what, in which file;
    ``kind`` is ``phrasing``, ``entry`` (a new entry's question) or ``undo`` (a phrasing taken back)."""

    at: datetime
    staff_user: str
    entry_id: str
    phrasing: str
    kind: str = "phrasing"
    file: str = ""


class TaughtStore(Protocol):
    async def record_taught(self, records: Sequence[TaughtRecord]) -> None:
        """Append records (never changed)."""
        ...

    async def taught(self, since: datetime | None = None) -> list[TaughtRecord]:
        """Records at or after ``since``, oldest first."""
        ...


@runtime_checkable
class UnansweredResolver(Protocol):
    """Unanswered questions staff dealt with leave the list (the resident stores implement this)."""

    async def want_notice(self, user: str, question: str) -> bool:
        """The asker of ``question`` (their latest such unanswered one) wants to hear once it is taught."""
        ...

    async def resolve_unanswered(self, questions: Iterable[str], resolution: str,
                                 at: datetime) -> list[tuple[str, str]]:
        """Mark every open unanswered question with exactly one of these texts resolved (``taught:ENTRY`` or
        ``ignored``); returns (user, question) of those whose asker asked to be told, each once."""
        ...
