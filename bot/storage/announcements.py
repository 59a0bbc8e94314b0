"""SQLite implementation of ``AnnouncementStore``: announcements being delivered and who still waits for them."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.staff.ports import AnnouncementTally, StoredAnnouncement
from bot.storage.database import Database

_STATUSES = ("sent", "blocked", "failed")


class SqliteAnnouncementStore:
    def __init__(self, db: Database):
        self.db = db

    async def create(self, staff_user: str, language: str, html: str, recipients: Sequence[str],
                     at: datetime) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO announcement (staff_user, language, html, created_at) VALUES (?, ?, ?, ?)",
                (staff_user, language, html, at.isoformat()))
            number = cursor.lastrowid
            await conn.executemany(
                "INSERT OR IGNORE INTO announcement_recipient (announcement_id, user) VALUES (?, ?)",
                [(number, user) for user in recipients])
        return number

    async def record(self, announcement_id: int, outcomes: Sequence[tuple[str, str]]) -> None:
        rows = [(status, announcement_id, user) for user, status in outcomes if status in _STATUSES]
        if not rows:
            return
        async with self.db.transaction() as conn:
            await conn.executemany(
                "UPDATE announcement_recipient SET status = ? WHERE announcement_id = ? AND user = ?", rows)

    async def unfinished(self) -> list[StoredAnnouncement]:
        announcements = await self.db.fetchall(
            "SELECT id, staff_user, language, html, created_at FROM announcement WHERE finished_at IS NULL "
            "ORDER BY id")
        found = []
        for a in announcements:
            waiting = await self.db.fetchall(
                "SELECT user FROM announcement_recipient WHERE announcement_id = ? AND status IS NULL "
                "ORDER BY user", (a["id"],))
            found.append(StoredAnnouncement(a["id"], a["staff_user"], a["language"], a["html"],
                                            datetime.fromisoformat(a["created_at"]),
                                            tuple(r["user"] for r in waiting)))
        return found

    async def finish(self, announcement_id: int, at: datetime) -> AnnouncementTally:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT finished_at, sent, blocked, failed, not_sent FROM announcement WHERE id = ?",
                (announcement_id,))
            row = await cursor.fetchone()
            if row["finished_at"] is not None:  # finished before: the tally it kept
                return AnnouncementTally(row["sent"], row["blocked"], row["failed"], row["not_sent"])
            cursor = await conn.execute(
                "SELECT status, count(*) AS n FROM announcement_recipient WHERE announcement_id = ? "
                "GROUP BY status", (announcement_id,))
            counts = {r["status"]: r["n"] for r in await cursor.fetchall()}
            tally = AnnouncementTally(counts.get("sent", 0), counts.get("blocked", 0), counts.get("failed", 0),
                                      counts.get(None, 0))
            await conn.execute(
                "UPDATE announcement SET finished_at = ?, sent = ?, blocked = ?, failed = ?, not_sent = ? "
                "WHERE id = ?", (at.isoformat(), tally.sent, tally.blocked, tally.failed, tally.not_sent,
                                 announcement_id))
            await conn.execute("DELETE FROM announcement_recipient WHERE announcement_id = ?", (announcement_id,))
        return tally

    async def forget(self, user: str) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM announcement_recipient WHERE user = ?", (user,))
            return cursor.rowcount
