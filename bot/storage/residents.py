"""SQLite implementation of ``ResidentStore``: dialog state per person, and unanswered questions."""
from __future__ import annotations

import json
from datetime import datetime

from bot.core.ports import ResidentState, UnansweredQuestion
from bot.storage.database import Database


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _state_from_row(row) -> ResidentState:
    return ResidentState(user=row["user"], language=row["language"], last_language=row["last_language"],
                         state=row["state"], data=json.loads(row["data"]), updated_at=_dt(row["updated_at"]),
                         reminded=bool(row["reminded"]))


class SqliteResidentStore:
    def __init__(self, db: Database):
        self.db = db

    async def load_state(self, user: str) -> ResidentState:
        row = await self.db.fetchone("SELECT * FROM resident_state WHERE user = ?", (user,))
        return _state_from_row(row) if row else ResidentState(user=user)

    async def save_state(self, state: ResidentState) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                """INSERT INTO resident_state (user, language, last_language, state, data, updated_at, reminded)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (user) DO UPDATE SET language = excluded.language,
                       last_language = excluded.last_language, state = excluded.state, data = excluded.data,
                       updated_at = excluded.updated_at, reminded = excluded.reminded""",
                (state.user, state.language, state.last_language, state.state,
                 json.dumps(state.data, ensure_ascii=False), _ts(state.updated_at), int(state.reminded)),
            )

    async def stale_flows(self, older_than: datetime) -> list[ResidentState]:
        rows = await self.db.fetchall(
            "SELECT * FROM resident_state WHERE state != 'idle' AND reminded = 0 AND updated_at < ?",
            (_ts(older_than),),
        )
        return [_state_from_row(r) for r in rows]

    async def forget(self, user: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM resident_state WHERE user = ?", (user,))

    async def record_unanswered(self, question: UnansweredQuestion) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO unanswered_question (question, reason, language, nearest_id, asked_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (question.question, question.reason, question.language, question.nearest_id,
                 _ts(question.asked_at)),
            )

    async def unanswered(self, since: datetime | None = None) -> list[UnansweredQuestion]:
        rows = await self.db.fetchall(
            "SELECT * FROM unanswered_question WHERE asked_at >= ? ORDER BY id",
            (_ts(since) or "",),
        )
        return [UnansweredQuestion(question=r["question"], reason=r["reason"], language=r["language"],
                                   nearest_id=r["nearest_id"], asked_at=_dt(r["asked_at"])) for r in rows]
