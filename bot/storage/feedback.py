"""SQLite implementation of ``FeedbackStore`` (tables of migration 2, see ``migrations.py``).

Every write is one all-or-nothing block through ``Database.transaction`` (``add``: ``Database.run_block``), group
committed with ``BEGIN IMMEDIATE … COMMIT``; ``add`` returns only after the commit, so the service acknowledges a
submission only once it is on disk (``synchronous=FULL``). ``stage_add`` prepares the same block without running
it, for the unit of work of a message (``bot.storage.unit``), which sends it with the resident's dialog state: the
acknowledgement of a submission then waits for one COMMIT, not for the submission's and then the state's. All SQL
is parameterised.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.core.feedback.model import (
    Answer,
    Delivery,
    HelpfulVote,
    NewSubmission,
    StaffReply,
    Status,
    Submission,
)
from bot.core.feedback.ports import AlreadyParticipated, AlreadySubmitted, DuplicateReference
from bot.core.feedback.privacy import typed_by_resident
from bot.core.ports import ERASED, MAX_STORED_INT, clean_text
from bot.storage.answered import UNKNOWN, AnsweredCache, Unknown
from bot.storage.database import Database, Statement
from bot.storage.unit import SqliteWrite

_SUBMISSION_COLUMNS = """s.id, s.reference, s.kind, s.consultation_id, s.language, s.status, s.text,
    s.created_at, s.updated_at,
    EXISTS (SELECT 1 FROM feedback_link l WHERE l.submission_id = s.id) AS linked,
    EXISTS (SELECT 1 FROM feedback_contact c WHERE c.submission_id = s.id) AS has_contact"""


#: ``json.dumps(value, ensure_ascii=False)`` builds an encoder on every call; a submission encodes every answer.
_ENCODE_JSON = json.JSONEncoder(ensure_ascii=False).encode


def _encode(value: Any) -> str:
    """An answer's value as stored: JSON, lone surrogates replaced (``clean_text``)."""
    return clean_text(_ENCODE_JSON(value))


def _clean(text: str | None) -> str | None:
    return None if text is None else clean_text(text)


def _ts(value: datetime) -> str:
    return value.isoformat()


def _value_out(raw: str) -> Any:
    value = json.loads(raw)
    return tuple(value) if isinstance(value, list) else value


class SqliteFeedbackStore:
    def __init__(self, db: Database):
        self.db = db
        # What residents have answered, for the dialog's look-ups (see ``bot.storage.answered``).
        self._answered = AnsweredCache()

    async def add(self, submission: NewSubmission) -> None:
        """The submission in a block of its own (a unit of work of one write and no state)."""
        write = self.stage_add(submission)
        try:
            await write.run()
        finally:
            write.finished()

    def stage_add(self, submission: NewSubmission) -> SqliteWrite:
        """The submission's block, prepared for a unit of work (``bot.storage.unit``): its statements, what each
        one's IntegrityError means, and the answered cache to invalidate once it has been tried."""
        s = submission
        # One block sent in one go (``Database.run_block``): every statement finds the new submission by its
        # reference (UNIQUE) rather than by ``lastrowid``, so none waits for another's result. The UNIQUE and
        # PRIMARY KEY constraints do the duplicate checks; any failure rolls the whole block back.
        write = SqliteWrite(self.db, finished=lambda: self._answered.changed(
            s.user, [s.participation] if s.participation is not None else []))
        add = write.add
        if s.participation is not None:
            add(Statement("INSERT INTO feedback_participation (token, consultation_id) VALUES (?, ?)",
                          (s.participation, s.consultation_id)), AlreadyParticipated(s.consultation_id))
        if s.replaces is not None and s.user is not None:
            # Only the resident's own earlier submission can be replaced; the cascade takes its answers, link,
            # contact, replies and ratings with it.
            add(Statement("""DELETE FROM feedback_submission WHERE id IN (
                                 SELECT s.id FROM feedback_submission s JOIN feedback_link l ON l.submission_id = s.id
                                 WHERE s.reference = ? AND l.user = ?)""", (s.replaces, s.user)))
        add(Statement("""INSERT INTO feedback_submission (reference, kind, consultation_id, language, status, text,
                             answer_count, created_at, updated_at) VALUES (?, ?, ?, ?, 'received', ?, ?, ?, ?)""",
                      (s.reference, s.kind, s.consultation_id, s.language, _clean(s.text), len(s.answers),
                       _ts(s.created_at), _ts(s.created_at))), DuplicateReference(s.reference))
        if s.answers:
            # All answers in one statement, not ``executemany`` (one GIL hand-over per row, see
            # ``database.multirow``): a VALUES list joined to the new submission.
            rows = ", ".join(["(?, ?, ?)"] * len(s.answers))
            add(Statement(f"""INSERT INTO feedback_answer (submission_id, question_id, position, value)
                              SELECT s.id, a.column1, a.column2, a.column3
                              FROM feedback_submission s, (VALUES {rows}) a WHERE s.reference = ?""",
                          (*(value for a in s.answers
                             for value in (a.question_id, a.position, _encode(a.value))),
                           s.reference)))
        if s.user is not None:
            add(Statement("""INSERT INTO feedback_link (submission_id, user, consultation_id)
                             SELECT id, ?, ? FROM feedback_submission WHERE reference = ?""",
                          (s.user, s.consultation_id, s.reference)), AlreadySubmitted(s.consultation_id))
        if s.contact is not None:
            add(Statement("""INSERT INTO feedback_contact (submission_id, contact, consented_at)
                             SELECT id, ?, ? FROM feedback_submission WHERE reference = ?""",
                          (_clean(s.contact), _ts(s.created_at), s.reference)))
        return write

    async def get(self, reference: str) -> Submission | None:
        rows = await self.db.fetchall(
            f"SELECT {_SUBMISSION_COLUMNS} FROM feedback_submission s WHERE s.reference = ?", (reference,))
        built = await self._build(rows)
        return built[0] if built else None

    async def linked_to(self, user: str, consultation_id: str) -> Submission | None:
        linked = self._answered.linked(user)
        if not isinstance(linked, Unknown) and consultation_id not in linked:
            return None
        rows = await self.db.fetchall(
            f"""SELECT {_SUBMISSION_COLUMNS} FROM feedback_submission s
                JOIN feedback_link l ON l.submission_id = s.id
                WHERE l.user = ? AND s.consultation_id = ? ORDER BY s.id DESC LIMIT 1""",
            (user, consultation_id))
        built = await self._build(rows)
        return built[0] if built else None

    async def for_user(self, user: str, limit: int = 10) -> list[Submission]:
        rows = await self.db.fetchall(
            f"""SELECT {_SUBMISSION_COLUMNS} FROM feedback_submission s
                JOIN feedback_link l ON l.submission_id = s.id
                WHERE l.user = ? ORDER BY s.created_at DESC, s.id DESC LIMIT ?""", (user, limit))
        return await self._build(rows)

    async def participated(self, token: str) -> bool:
        known = self._answered.token(token)
        if known is UNKNOWN:
            return bool(await self._look_up(None, (token,)))
        return known is not None

    async def answered(self, user: str, tokens: Iterable[str] = ()) -> set[str]:
        tokens = tuple(tokens)
        linked = self._answered.linked(user)
        known = [self._answered.token(token) for token in tokens]
        if isinstance(linked, Unknown) or UNKNOWN in known:
            return await self._look_up(user, tokens)
        return {*linked, *(c for c in known if isinstance(c, str))}  # neither UNKNOWN nor None (not stored)

    async def _look_up(self, user: str | None, tokens: tuple[str, ...]) -> set[str]:
        """``answered`` from the file (``user`` None: only the tokens), filling the cache."""
        marks = ",".join("?" * len(tokens))
        with self._answered.look_up(user, tokens) as unchanged:
            # A link's row has no token.
            rows = await self.db.fetchall(
                f"""SELECT NULL, consultation_id FROM feedback_link WHERE user = ? AND consultation_id IS NOT NULL
                    UNION ALL SELECT token, consultation_id FROM feedback_participation WHERE token IN ({marks})""",
                (user, *tokens))
            linked = {r[1] for r in rows if r[0] is None}
            stored = {r[0]: r[1] for r in rows if r[0] is not None}
            if unchanged():
                self._answered.fill(user, linked, {token: stored.get(token) for token in tokens})
        return linked | set(stored.values())

    async def respondents(self, consultation_id: str) -> list[str]:
        rows = await self.db.fetchall(
            """SELECT DISTINCT l.user FROM feedback_link l JOIN feedback_submission s ON s.id = l.submission_id
               WHERE s.consultation_id = ? ORDER BY l.user""", (consultation_id,))
        return [r["user"] for r in rows]

    async def last_case_at(self, user: str) -> datetime | None:
        row = await self.db.fetchone(
            """SELECT MAX(s.created_at) FROM feedback_submission s JOIN feedback_link l ON l.submission_id = s.id
               WHERE l.user = ? AND s.kind = 'case'""", (user,))
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def add_reply(self, reference: str, text: str, at: datetime) -> Delivery | None:
        async with self.db.transaction() as conn:
            rows = await conn.execute_fetchall(
                """SELECT s.id, s.language, l.user FROM feedback_submission s
                   LEFT JOIN feedback_link l ON l.submission_id = s.id WHERE s.reference = ?""", (reference,))
            if not rows:
                return None
            row = rows[0]
            cursor = await conn.execute(
                "INSERT INTO feedback_reply (submission_id, text, created_at) VALUES (?, ?, ?)",
                (row["id"], clean_text(text), _ts(at)))
            reply_id = cursor.lastrowid
            await conn.execute("UPDATE feedback_submission SET status = 'answered', updated_at = ? WHERE id = ?",
                               (_ts(at), row["id"]))
        return Delivery(StaffReply(reply_id, reference, text, at), row["user"], row["language"])

    async def set_status(self, reference: str, status: Status, at: datetime) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE feedback_submission SET status = ?, updated_at = ? WHERE reference = ?",
                (status, _ts(at), reference))
        return cursor.rowcount > 0

    async def rate(self, user: str, reply_id: int, score: int, at: datetime) -> bool:
        if not 0 < reply_id <= MAX_STORED_INT:  # no such reply (and SQLite could not even look it up)
            return False
        async with self.db.transaction() as conn:
            if not await conn.execute_fetchall(
                    """SELECT 1 FROM feedback_reply r JOIN feedback_link l ON l.submission_id = r.submission_id
                       WHERE r.id = ? AND l.user = ?""", (reply_id, user)):
                return False
            await conn.execute(
                """INSERT INTO feedback_rating (reply_id, score, rated_at) VALUES (?, ?, ?)
                   ON CONFLICT (reply_id) DO UPDATE SET score = excluded.score, rated_at = excluded.rated_at""",
                (reply_id, score, _ts(at)))
        return True

    async def record_vote(self, vote: HelpfulVote) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO helpful_vote (entry_id, helpful, language, voted_at) VALUES (?, ?, ?, ?)",
                (vote.entry_id, int(vote.helpful), vote.language, _ts(vote.voted_at)))

    async def votes(self, since: datetime | None = None) -> list[HelpfulVote]:
        rows = await self.db.fetchall(
            "SELECT entry_id, helpful, language, voted_at FROM helpful_vote WHERE voted_at >= ? ORDER BY id",
            (_ts(since) if since else "",))
        return [HelpfulVote(r["entry_id"], bool(r["helpful"]), r["language"], datetime.fromisoformat(r["voted_at"]))
                for r in rows]

    async def forget(self, user: str, tokens: Iterable[str] = (),
                     typed_questions: Mapping[str, Collection[str]] | None = None) -> int:
        tokens = tuple(tokens)
        try:
            async with self.db.transaction() as conn:
                # What the resident typed goes before the link that says which submissions are theirs.
                await conn.execute(
                    """UPDATE feedback_submission SET text = ? WHERE text IS NOT NULL AND id IN (
                           SELECT submission_id FROM feedback_link WHERE user = ?)""", (ERASED, user))
                answers = await conn.execute_fetchall(
                    """SELECT a.submission_id, a.question_id, s.consultation_id, a.value FROM feedback_answer a
                       JOIN feedback_link l ON l.submission_id = a.submission_id
                       JOIN feedback_submission s ON s.id = a.submission_id WHERE l.user = ?""", (user,))
                erase = [(_encode(ERASED), r[0], r[1]) for r in answers
                         if typed_by_resident(r[2], r[1], _value_out(r[3]), typed_questions)]
                if erase:
                    await conn.executemany(
                        "UPDATE feedback_answer SET value = ? WHERE submission_id = ? AND question_id = ?", erase)
                await conn.execute(
                    """DELETE FROM feedback_contact WHERE submission_id IN (
                           SELECT submission_id FROM feedback_link WHERE user = ?)""", (user,))
                await conn.executemany("DELETE FROM feedback_participation WHERE token = ?",
                                       [(token,) for token in tokens])
                cursor = await conn.execute("DELETE FROM feedback_link WHERE user = ?", (user,))
        finally:
            self._answered.changed(user, tokens)
        return cursor.rowcount

    async def submissions(self, since: datetime | None = None, consultation_id: str | None = None, *,
                          after: str | None = None, limit: int | None = None) -> list[Submission]:
        start, start_id = (_ts(since) if since else ""), 0
        if after is not None:
            row = await self.db.fetchone("SELECT created_at, id FROM feedback_submission WHERE reference = ?",
                                         (after,))
            if row is None:
                return []
            start, start_id = max(start, row["created_at"]), row["id"]
        # Keyset paging on (created_at, id): the created_at index holds the rowid too, so each page is one index
        # range from where the last one ended, with no sort, however far into the table it is.
        rows = await self.db.fetchall(
            f"""SELECT {_SUBMISSION_COLUMNS} FROM feedback_submission s
                WHERE s.created_at >= ? AND (s.created_at > ? OR s.id > ?)
                  AND (? IS NULL OR s.consultation_id = ?)
                ORDER BY s.created_at, s.id LIMIT ?""",
            (start, start, start_id, consultation_id, consultation_id, limit if limit is not None else -1))
        return await self._build(rows)

    async def answered_questions(self, since: datetime | None = None,
                                 consultation_id: str | None = None) -> dict[str, list[str]]:
        rows = await self.db.fetchall(
            """SELECT DISTINCT s.consultation_id, a.question_id
               FROM feedback_submission s JOIN feedback_answer a ON a.submission_id = s.id
               WHERE s.created_at >= ? AND s.consultation_id IS NOT NULL AND (? IS NULL OR s.consultation_id = ?)
               ORDER BY s.consultation_id, a.question_id""",
            (_ts(since) if since else "", consultation_id, consultation_id))
        answered: dict[str, list[str]] = {}
        for r in rows:
            answered.setdefault(r["consultation_id"], []).append(r["question_id"])
        return answered

    async def contact(self, reference: str) -> str | None:
        row = await self.db.fetchone(
            """SELECT c.contact FROM feedback_contact c JOIN feedback_submission s ON s.id = c.submission_id
               WHERE s.reference = ?""", (reference,))
        return row["contact"] if row else None

    async def in_status(self, statuses: Sequence[Status], after: tuple[datetime, str] | None = None,
                        limit: int | None = None) -> list[Submission]:
        marks = ",".join("?" * len(statuses))
        position = (_ts(after[0]), after[1]) if after else ("", "")
        rows = await self.db.fetchall(
            f"""SELECT {_SUBMISSION_COLUMNS} FROM feedback_submission s
                WHERE s.status IN ({marks}) AND (s.created_at, s.reference) > (?, ?)
                ORDER BY s.created_at, s.reference LIMIT ?""",
            (*statuses, *position, limit if limit is not None else -1))
        return await self._build(rows)

    async def count_in_status(self, statuses: Sequence[Status]) -> int:
        marks = ",".join("?" * len(statuses))
        row = await self.db.fetchone(f"SELECT COUNT(*) FROM feedback_submission WHERE status IN ({marks})",
                                     tuple(statuses))
        return int(row[0]) if row else 0

    async def linked_users(self, since: datetime | None = None,
                           consultation_id: str | None = None) -> dict[str, str]:
        rows = await self.db.fetchall(
            """SELECT s.reference, l.user FROM feedback_submission s JOIN feedback_link l ON l.submission_id = s.id
               WHERE s.created_at >= ? AND (? IS NULL OR s.consultation_id = ?)""",
            (_ts(since) if since else "", consultation_id, consultation_id))
        return {r["reference"]: r["user"] for r in rows}

    async def _build(self, rows: list) -> list[Submission]:
        """Submissions with their answers and replies; two extra queries whatever the number of rows."""
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        answers: dict[int, list[Answer]] = defaultdict(list)
        replies: dict[int, list[StaffReply]] = defaultdict(list)
        by_id = {r["id"]: r["reference"] for r in rows}
        # SQLite limits bound parameters (32766 by default); chunk the id list for big exports.
        for start in range(0, len(ids), 10000):
            chunk = ids[start:start + 10000]
            marks = ",".join("?" * len(chunk))
            for a in await self.db.fetchall(
                    f"SELECT submission_id, question_id, position, value FROM feedback_answer "
                    f"WHERE submission_id IN ({marks}) ORDER BY submission_id, position", tuple(chunk)):
                answers[a["submission_id"]].append(Answer(a["question_id"], _value_out(a["value"]), a["position"]))
            for r in await self.db.fetchall(
                    f"""SELECT r.id, r.submission_id, r.text, r.created_at, g.score FROM feedback_reply r
                        LEFT JOIN feedback_rating g ON g.reply_id = r.id
                        WHERE r.submission_id IN ({marks}) ORDER BY r.id""", tuple(chunk)):
                replies[r["submission_id"]].append(StaffReply(
                    r["id"], by_id[r["submission_id"]], r["text"], datetime.fromisoformat(r["created_at"]),
                    r["score"]))
        return [Submission(
            reference=r["reference"], kind=r["kind"], consultation_id=r["consultation_id"], language=r["language"],
            status=r["status"], created_at=datetime.fromisoformat(r["created_at"]),
            updated_at=datetime.fromisoformat(r["updated_at"]), answers=tuple(answers[r["id"]]), text=r["text"],
            replies=tuple(replies[r["id"]]), linked=bool(r["linked"]), has_contact=bool(r["has_contact"]),
        ) for r in rows]
