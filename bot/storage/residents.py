"""SQLite implementation of ``ResidentStore``: dialog state per person, and unanswered questions.

Dialog state is read before and written after every message a resident sends, so this store keeps a write-through
cache of it in memory: ``load_state`` answers from the cache without a round trip to the database thread, and
``save_state`` updates the cache and still writes the row durably (returning only after the group COMMIT that
holds it), so a restart resumes every flow from the file.

Assumption: this process is the only writer of ``resident_state``. The bot runs as one process (Telegram polling
or webhook, or the console chat) and is the only program that changes dialog state; the CLI tools only read the
database (reports, exports, unanswered questions). Running two bot processes on one ``BOT_DB`` would let each
serve stale state from its cache — it was never supported (two pollers of one token conflict anyway).

A state can also be saved inside another store's write block (``in_block``, used by the unit of work of a message,
``bot.storage.unit``: a feedback submission and the end of its flow, one transaction and one COMMIT instead of two).
"""
from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime

from bot.core.ports import ERASED, ResidentState, UnansweredQuestion, clean_text, encode_data
from bot.storage.database import Database, Statement


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


_COLUMNS = ("user", "language", "last_language", "state", "data", "updated_at", "reminded")
_SAVE = """INSERT INTO resident_state (user, language, last_language, state, data, updated_at, reminded)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (user) DO UPDATE SET language = excluded.language, last_language = excluded.last_language,
               state = excluded.state, data = excluded.data, updated_at = excluded.updated_at,
               reminded = excluded.reminded"""
#: Residents whose state the cache keeps (least recently active dropped first); ~1 KB each.
CACHE_SIZE = 20_000

# A row as stored: the ``_COLUMNS`` values, ``data`` as JSON text and times as ISO text.
Row = tuple


def _row(state: ResidentState, data_json: str | None = None) -> Row:
    return (state.user, state.language, state.last_language, state.state,
            encode_data(state.data) if data_json is None else data_json, _ts(state.updated_at), int(state.reminded))


def _state_from_row(row: Row) -> ResidentState:
    """A fresh object each time (``data`` parsed anew): handlers change the state they get in place, and a
    message that fails half-way must not leave those changes in the cache."""
    user, language, last_language, state, data, updated_at, reminded = row
    return ResidentState(user=user, language=language, last_language=last_language, state=state,
                         data=json.loads(data), updated_at=_dt(updated_at), reminded=bool(reminded),
                         loaded_data=data)


class SqliteResidentStore:
    def __init__(self, db: Database, cache_size: int = CACHE_SIZE):
        self.db = db
        self._cache_size = cache_size
        # user → stored row, or None for "no row in the database"; see the module docstring.
        self._cache: OrderedDict[str, Row | None] = OrderedDict()
        # user → how many of their writes ``Database.write`` holds, not yet committed (see ``in_block``).
        self._queued: dict[str, int] = {}

    def _remember(self, user: str, row: Row | None) -> None:
        self._cache[user] = row
        self._cache.move_to_end(user)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def load_state(self, user: str) -> ResidentState:
        if user in self._cache:
            self._cache.move_to_end(user)
            row = self._cache[user]
        else:
            found = await self.db.fetchone(f"SELECT {', '.join(_COLUMNS)} FROM resident_state WHERE user = ?",
                                           (user,))
            row = tuple(found) if found else None
            if user not in self._cache:  # a save_state during the read is newer than what was read
                self._remember(user, row)
            else:
                row = self._cache[user]
        return _state_from_row(row) if row else ResidentState(user=user)

    async def save_state(self, state: ResidentState, data_json: str | None = None) -> None:
        row = _row(state, data_json)
        # The cache changes first, so a message handled while the write waits for its COMMIT sees it too. Every
        # write of this table goes through ``Database.write`` (queued, in order: see its conditions) or is one
        # resident's last in a block (``in_block``).
        self._remember(state.user, row)
        await self._queue(state.user, _SAVE, row)

    async def _queue(self, user: str, sql: str, params: tuple) -> None:
        queued = self._queued  # a plain dict: a ``Counter`` costs a microsecond a message more
        queued[user] = queued.get(user, 0) + 1
        try:
            await self.db.write(sql, params)
        except BaseException:
            self._cache.pop(user, None)  # not known to be stored: read it from the file next time
            raise
        finally:
            left = queued[user] - 1
            if left:
                queued[user] = left
            else:
                del queued[user]

    def in_block(self, state: ResidentState, data_json: str | None = None) -> Statement | None:
        """The statement that saves ``state`` inside another store's write block on this database (stored only if
        the block is), the cache changed as ``save_state`` changes it; the caller reports a failed block with
        ``not_saved``. None while a write of this resident queued by ``Database.write`` waits for its COMMIT:
        queued statements run after the blocks of their batch, so it would overwrite this newer state — save it
        with ``save_state`` then (a resident's messages are handled one at a time, so only the reminder job's save
        can be waiting)."""
        if state.user in self._queued:
            return None
        row = _row(state, data_json)
        self._remember(state.user, row)
        return Statement(_SAVE, row)

    def not_saved(self, user: str) -> None:
        """The block that carried ``in_block``'s statement failed: the file has the resident's older state."""
        self._cache.pop(user, None)

    async def stale_flows(self, older_than: datetime) -> list[ResidentState]:
        limit = _ts(older_than)
        rows = await self.db.fetchall(
            f"SELECT {', '.join(_COLUMNS)} FROM resident_state"
            " WHERE state != 'idle' AND reminded = 0 AND updated_at < ?",
            (limit,),
        )
        stale = []
        for found in rows:
            row = tuple(found)
            if row[0] in self._cache:
                # A save still waiting for its COMMIT is newer than the file: judge (and return) that one, so the
                # reminder job never writes an old state over it.
                row = self._cache[row[0]]
                if row is None or row[3] == "idle" or row[6] or not (row[5] or "") < limit:
                    continue
            stale.append(_state_from_row(row))
        return stale

    async def forget(self, user: str) -> None:
        self._remember(user, None)
        # The questions stay counted (when, language, nearest entry); their text and asker go.
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE unanswered_question SET question = ?, user = NULL WHERE user = ?",
                               (ERASED, user))
        # Queued like the saves (``Database.write``), so it lands after a save queued before it, never before.
        await self._queue(user, "DELETE FROM resident_state WHERE user = ?", (user,))

    async def record_unanswered(self, question: UnansweredQuestion) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO unanswered_question (question, reason, language, nearest_id, asked_at, user)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (clean_text(question.question), question.reason, question.language, question.nearest_id,
                 _ts(question.asked_at), question.user),
            )

    async def unanswered(self, since: datetime | None = None) -> list[UnansweredQuestion]:
        rows = await self.db.fetchall(
            "SELECT * FROM unanswered_question WHERE asked_at >= ? AND resolved IS NULL ORDER BY id",
            (_ts(since) or "",),
        )
        # Without the asker: staff tools never need it (it is kept only for /forget_me).
        return [UnansweredQuestion(question=r["question"], reason=r["reason"], language=r["language"],
                                   nearest_id=r["nearest_id"], asked_at=_dt(r["asked_at"])) for r in rows]

    async def want_notice(self, user: str, question: str) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE unanswered_question SET notify = 1 WHERE id = (SELECT max(id) FROM unanswered_question"
                " WHERE user = ? AND question = ? AND resolved IS NULL)", (user, clean_text(question)))
            return cursor.rowcount > 0

    async def resolve_unanswered(self, questions: Iterable[str], resolution: str,
                                 at: datetime) -> list[tuple[str, str]]:
        texts = sorted({clean_text(q) for q in questions})
        if not texts:
            return []
        marks = ", ".join("?" * len(texts))
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"SELECT user, question FROM unanswered_question WHERE resolved IS NULL AND notify = 1"
                f" AND user IS NOT NULL AND question IN ({marks}) ORDER BY id", texts)
            notices = [(r[0], r[1]) for r in await cursor.fetchall()]
            await conn.execute(
                f"UPDATE unanswered_question SET resolved = ?, resolved_at = ?, notify = 0"
                f" WHERE resolved IS NULL AND question IN ({marks})", (resolution, _ts(at), *texts))
        return list(dict.fromkeys(notices))
