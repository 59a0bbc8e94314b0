"""SQLite implementation of ``AuditStore``: staff actions, append-only (no UPDATE or DELETE anywhere)."""
from __future__ import annotations

from datetime import datetime

from bot.core.staff.ports import AuditRecord
from bot.storage.database import Database


class SqliteAuditStore:
    def __init__(self, db: Database):
        self.db = db

    async def record(self, record: AuditRecord) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("INSERT INTO audit_log (at, staff_user, action, detail) VALUES (?, ?, ?, ?)",
                               (record.at.isoformat(), record.staff_user, record.action, record.detail))

    async def records(self, since: datetime | None = None, limit: int | None = None) -> list[AuditRecord]:
        # Newest ``limit`` first in SQL, then back to oldest-first for reading.
        rows = await self.db.fetchall(
            "SELECT * FROM audit_log WHERE at >= ? ORDER BY id DESC LIMIT ?",
            (since.isoformat() if since else "", limit if limit else -1),
        )
        return [AuditRecord(datetime.fromisoformat(r["at"]), r["staff_user"], r["action"], r["detail"])
                for r in reversed(rows)]
