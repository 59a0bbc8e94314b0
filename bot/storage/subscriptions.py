"""SQLite implementations of ``SubscriptionStore`` (residents who receive announcements) and ``DigestStore``
(staff who receive the weekly digest)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.core.staff.ports import ALL_COMMUNITIES
from bot.storage.database import Database


class SqliteSubscriptionStore:
    def __init__(self, db: Database):
        self.db = db

    async def subscribe(self, user: str, community: str, at: datetime) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE subscription SET active = 1 WHERE user = ?", (user,))
            await conn.execute(
                """INSERT INTO subscription (user, community, active, subscribed_at) VALUES (?, ?, 1, ?)
                   ON CONFLICT (user, community) DO NOTHING""",
                (user, community, at.isoformat()),
            )

    async def unsubscribe(self, user: str) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM subscription WHERE user = ?", (user,))
            return cursor.rowcount

    async def communities_of(self, user: str) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT community FROM subscription WHERE user = ? AND active = 1 ORDER BY community", (user,))
        return [r["community"] for r in rows]

    async def recipients(self, community: str | None = None) -> list[str]:
        if community is None:
            rows = await self.db.fetchall("SELECT DISTINCT user FROM subscription WHERE active = 1 ORDER BY user")
        else:
            rows = await self.db.fetchall(
                "SELECT DISTINCT user FROM subscription WHERE active = 1 AND community IN (?, ?) ORDER BY user",
                (community, ALL_COMMUNITIES))
        return [r["user"] for r in rows]

    async def mark_inactive(self, users: Iterable[str]) -> None:
        async with self.db.transaction() as conn:
            await conn.executemany("UPDATE subscription SET active = 0 WHERE user = ?", [(u,) for u in users])


class SqliteDigestStore:
    def __init__(self, db: Database):
        self.db = db

    async def set_digest(self, user: str, enabled: bool, at: datetime) -> None:
        async with self.db.transaction() as conn:
            if enabled:
                await conn.execute("INSERT INTO staff_digest (user, enabled_at) VALUES (?, ?) "
                                   "ON CONFLICT (user) DO NOTHING", (user, at.isoformat()))
            else:
                await conn.execute("DELETE FROM staff_digest WHERE user = ?", (user,))

    async def digest_enabled(self, user: str) -> bool:
        return await self.db.fetchone("SELECT 1 FROM staff_digest WHERE user = ?", (user,)) is not None

    async def digest_recipients(self) -> list[str]:
        return [r["user"] for r in await self.db.fetchall("SELECT user FROM staff_digest ORDER BY user")]
