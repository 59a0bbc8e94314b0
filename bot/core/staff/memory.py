"""In-memory implementations of the staff stores: for tests and for a console chat without a database."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from bot.core.staff.ports import ALL_COMMUNITIES, AuditRecord


class MemoryAuditStore:
    def __init__(self) -> None:
        self._records: list[AuditRecord] = []

    async def record(self, record: AuditRecord) -> None:
        self._records.append(record)

    async def records(self, since: datetime | None = None, limit: int | None = None) -> list[AuditRecord]:
        found = [r for r in self._records if since is None or r.at >= since]
        return found[-limit:] if limit else found


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
