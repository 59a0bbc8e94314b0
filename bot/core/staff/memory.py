"""In-memory implementations of the staff stores: for tests and for a console chat without a database."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.staff.ports import ALL_COMMUNITIES, AnnouncementTally, AuditRecord, StoredAnnouncement, TaughtRecord
from bot.core.unit import MemoryWrite


class MemoryAuditStore:
    def __init__(self) -> None:
        self._records: list[AuditRecord] = []

    async def record(self, record: AuditRecord) -> None:
        self._records.append(record)

    def stage_record(self, record: AuditRecord) -> MemoryWrite:
        return MemoryWrite(lambda: None, lambda: self._records.append(record))

    async def records(self, since: datetime | None = None, limit: int | None = None) -> list[AuditRecord]:
        found = [r for r in self._records if since is None or r.at >= since]
        return found[-limit:] if limit else found


class MemoryTaughtStore:
    def __init__(self) -> None:
        self._records: list[TaughtRecord] = []

    async def record_taught(self, records: Sequence[TaughtRecord]) -> None:
        self._records.extend(records)

    async def taught(self, since: datetime | None = None) -> list[TaughtRecord]:
        return [r for r in self._records if since is None or r.at >= since]


class MemorySubscriptionStore:
    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], bool] = {}  # (user, community) → active

    async def subscribe(self, user: str, community: str, at: datetime) -> None:
        for key in [k for k in self._rows if k[0] == user]:
            self._rows[key] = True
        self._rows[(user, community)] = True

    async def unsubscribe(self, user: str) -> int:
        keys = [k for k in self._rows if k[0] == user]
        for key in keys:
            del self._rows[key]
        return len(keys)

    async def communities_of(self, user: str) -> list[str]:
        return sorted(c for (u, c), active in self._rows.items() if u == user and active)

    async def recipients(self, community: str | None = None) -> list[str]:
        wanted = None if community is None else {community, ALL_COMMUNITIES}
        return sorted({u for (u, c), active in self._rows.items() if active and (wanted is None or c in wanted)})

    async def mark_inactive(self, users: Iterable[str]) -> None:
        gone = set(users)
        for key in self._rows:
            if key[0] in gone:
                self._rows[key] = False


class MemoryDigestStore:
    def __init__(self) -> None:
        self._users: set[str] = set()

    async def set_digest(self, user: str, enabled: bool, at: datetime) -> None:
        (self._users.add if enabled else self._users.discard)(user)

    async def digest_enabled(self, user: str) -> bool:
        return user in self._users

    async def digest_recipients(self) -> list[str]:
        return sorted(self._users)


@dataclass
class _Announcement:
    staff_user: str
    language: str
    html: str
    created_at: datetime
    outcomes: dict[str, str | None] = field(default_factory=dict)  # user → None while waiting, else the outcome
    tally: AnnouncementTally | None = None  # set when finished (and the outcomes forgotten)


class MemoryAnnouncementStore:
    def __init__(self) -> None:
        self._announcements: dict[int, _Announcement] = {}

    async def create(self, staff_user: str, language: str, html: str, recipients: Sequence[str],
                     at: datetime) -> int:
        number = len(self._announcements) + 1
        self._announcements[number] = _Announcement(staff_user, language, html, at, dict.fromkeys(recipients))
        return number

    async def record(self, announcement_id: int, outcomes: Sequence[tuple[str, str]]) -> None:
        announcement = self._announcements[announcement_id]
        for user, status in outcomes:
            if user in announcement.outcomes:
                announcement.outcomes[user] = status

    async def unfinished(self) -> list[StoredAnnouncement]:
        return [StoredAnnouncement(number, a.staff_user, a.language, a.html, a.created_at,
                                   tuple(sorted(u for u, status in a.outcomes.items() if status is None)))
                for number, a in sorted(self._announcements.items()) if a.tally is None]

    async def finish(self, announcement_id: int, at: datetime) -> AnnouncementTally:
        announcement = self._announcements[announcement_id]
        if announcement.tally is None:
            statuses = list(announcement.outcomes.values())
            announcement.tally = AnnouncementTally(statuses.count("sent"), statuses.count("blocked"),
                                                   statuses.count("failed"), statuses.count(None))
            announcement.outcomes = {}
        return announcement.tally

    async def forget(self, user: str) -> int:
        found = [a for a in self._announcements.values() if a.tally is None and user in a.outcomes]
        for announcement in found:
            del announcement.outcomes[user]
        return len(found)
