"""SQLite implementations of ``AuditStore`` (staff actions) and ``TaughtStore`` (phrasings staff taught), both
append-only (no UPDATE or DELETE anywhere)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.staff.ports import AuditRecord, TaughtRecord
from bot.storage.database import Database, Statement
from bot.storage.unit import SqliteWrite


class SqliteAuditStore:
    def __init__(self, db: Database):
        self.db = db

    async def record(self, record: AuditRecord) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("INSERT INTO audit_log (at, staff_user, action, detail) VALUES (?, ?, ?, ?)",
                               (record.at.isoformat(), record.staff_user, record.action, record.detail))

    def stage_record(self, record: AuditRecord) -> SqliteWrite:
        write = SqliteWrite(self.db)
        write.add(Statement("INSERT INTO audit_log (at, staff_user, action, detail) VALUES (?, ?, ?, ?)",
                            (record.at.isoformat(), record.staff_user, record.action, record.detail)))
        return write

    async def records(self, since: datetime | None = None, limit: int | None = None) -> list[AuditRecord]:
        # Newest ``limit`` first in SQL, then back to oldest-first for reading.
        rows = await self.db.fetchall(
            "SELECT * FROM audit_log WHERE at >= ? ORDER BY id DESC LIMIT ?",
            (since.isoformat() if since else "", limit if limit else -1),
        )
        return [AuditRecord(datetime.fromisoformat(r["at"]), r["staff_user"], r["action"], r["detail"])
                for r in reversed(rows)]


class SqliteTaughtStore:
    def __init__(self, db: Database):
        self.db = db

    async def record_taught(self, records: Sequence[TaughtRecord]) -> None:
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO taught_phrasing (at, staff_user, entry_id, phrasing, kind, file) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(r.at.isoformat(), r.staff_user, r.entry_id, r.phrasing, r.kind, r.file) for r in records])

    async def taught(self, since: datetime | None = None) -> list[TaughtRecord]:
        rows = await self.db.fetchall("SELECT * FROM taught_phrasing WHERE at >= ? ORDER BY id",
                                      (since.isoformat() if since else "",))
        return [TaughtRecord(datetime.fromisoformat(r["at"]), r["staff_user"], r["entry_id"], r["phrasing"],
                             r["kind"], r["file"]) for r in rows]
