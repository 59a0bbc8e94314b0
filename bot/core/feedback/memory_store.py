"""In-memory ``FeedbackStore``: for tests and a console chat without a database.

Kept the same way as the SQLite tables (link and contact apart from the submission) so that both stores pass one
contract suite (``tests/contracts/``) and behave alike for ``/forget_me``.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime

from bot.core.feedback.model import Delivery, HelpfulVote, NewSubmission, StaffReply, Status, Submission
from bot.core.feedback.ports import AlreadyParticipated, AlreadySubmitted, DuplicateReference
from bot.core.feedback.privacy import typed_by_resident
from bot.core.ports import ERASED
from bot.core.unit import MemoryWrite


@dataclasses.dataclass
class _Row:
    submission: Submission
    seq: int


class MemoryFeedbackStore:
    def __init__(self) -> None:
        self._rows: dict[str, _Row] = {}
        self._links: dict[str, str] = {}  # reference → user
        self._contacts: dict[str, str] = {}  # reference → contact
        self._tokens: dict[str, str | None] = {}  # participation token → consultation id
        self._ratings: dict[int, int] = {}  # reply id → score
        self._votes: list[HelpfulVote] = []
        self._seq = 0
        self._reply_seq = 0

    async def add(self, submission: NewSubmission) -> None:
        write = self.stage_add(submission)
        write.check()
        write.apply()

    def stage_add(self, submission: NewSubmission) -> MemoryWrite:
        return MemoryWrite(lambda: self._check(submission), lambda: self._store(submission))

    def _replaced(self, s: NewSubmission) -> str | None:
        return s.replaces if s.replaces is not None and self._links.get(s.replaces) == s.user else None

    def _check(self, s: NewSubmission) -> None:
        """Everything checked before anything changes: the SQLite store rolls back, this one must not half-write."""
        if s.reference in self._rows:
            raise DuplicateReference(s.reference)
        if s.participation is not None and s.participation in self._tokens:
            raise AlreadyParticipated(s.consultation_id)
        replaced = self._replaced(s)
        if s.user is not None and s.consultation_id is not None and any(
                u == s.user and ref != replaced and self._rows[ref].submission.consultation_id == s.consultation_id
                for ref, u in self._links.items()):
            raise AlreadySubmitted(s.consultation_id)

    def _store(self, s: NewSubmission) -> None:
        replaced = self._replaced(s)
        if s.participation is not None:
            self._tokens[s.participation] = s.consultation_id
        if replaced is not None:
            self._delete(replaced)
        self._seq += 1
        self._rows[s.reference] = _Row(Submission(
            reference=s.reference, kind=s.kind, consultation_id=s.consultation_id, language=s.language,
            status="received", created_at=s.created_at, updated_at=s.created_at,
            answers=tuple(s.answers), text=s.text), self._seq)
        if s.user is not None:
            self._links[s.reference] = s.user
        if s.contact is not None:
            self._contacts[s.reference] = s.contact

    def _delete(self, reference: str) -> None:
        row = self._rows.pop(reference)
        self._links.pop(reference, None)
        self._contacts.pop(reference, None)
        for reply in row.submission.replies:
            self._ratings.pop(reply.id, None)

    def _view(self, reference: str) -> Submission:
        sub = self._rows[reference].submission
        replies = tuple(dataclasses.replace(r, rating=self._ratings.get(r.id)) for r in sub.replies)
        return dataclasses.replace(sub, replies=replies, linked=reference in self._links,
                                   has_contact=reference in self._contacts)

    async def get(self, reference: str) -> Submission | None:
        return self._view(reference) if reference in self._rows else None

    async def linked_to(self, user: str, consultation_id: str) -> Submission | None:
        mine = [ref for ref, u in self._links.items()
                if u == user and self._rows[ref].submission.consultation_id == consultation_id]
        return self._view(max(mine, key=lambda ref: self._rows[ref].seq)) if mine else None

    async def for_user(self, user: str, limit: int = 10) -> list[Submission]:
        mine = [ref for ref, u in self._links.items() if u == user]
        mine.sort(key=lambda ref: (self._rows[ref].submission.created_at, self._rows[ref].seq), reverse=True)
        return [self._view(ref) for ref in mine[:limit]]

    async def participated(self, token: str) -> bool:
        return token in self._tokens

    async def answered(self, user: str, tokens: Iterable[str] = ()) -> set[str]:
        linked = {self._rows[ref].submission.consultation_id for ref, u in self._links.items() if u == user}
        anonymous = {self._tokens[t] for t in tokens if t in self._tokens}
        return {c for c in linked | anonymous if c}

    async def respondents(self, consultation_id: str) -> list[str]:
        return sorted({u for ref, u in self._links.items()
                       if self._rows[ref].submission.consultation_id == consultation_id})

    async def last_case_at(self, user: str) -> datetime | None:
        times = [self._rows[ref].submission.created_at for ref, u in self._links.items()
                 if u == user and self._rows[ref].submission.kind == "case"]
        return max(times, default=None)

    async def add_reply(self, reference: str, text: str, at: datetime) -> Delivery | None:
        row = self._rows.get(reference)
        if row is None:
            return None
        self._reply_seq += 1
        reply = StaffReply(self._reply_seq, reference, text, at)
        row.submission = dataclasses.replace(row.submission, status="answered", updated_at=at,
                                             replies=row.submission.replies + (reply,))
        return Delivery(reply, self._links.get(reference), row.submission.language)

    async def set_status(self, reference: str, status: Status, at: datetime) -> bool:
        row = self._rows.get(reference)
        if row is None:
            return False
        row.submission = dataclasses.replace(row.submission, status=status, updated_at=at)
        return True

    async def rate(self, user: str, reply_id: int, score: int, at: datetime) -> bool:
        for ref, owner in self._links.items():
            if owner == user and any(r.id == reply_id for r in self._rows[ref].submission.replies):
                self._ratings[reply_id] = score
                return True
        return False

    async def record_vote(self, vote: HelpfulVote) -> None:
        self._votes.append(vote)

    async def votes(self, since: datetime | None = None) -> list[HelpfulVote]:
        return [v for v in self._votes if since is None or v.voted_at >= since]

    async def forget(self, user: str, tokens: Iterable[str] = (),
                     typed_questions: Mapping[str, Collection[str]] | None = None) -> int:
        mine = [ref for ref, u in self._links.items() if u == user]
        for ref in mine:
            del self._links[ref]
            self._contacts.pop(ref, None)
            row = self._rows[ref]
            s = row.submission
            answers = tuple(dataclasses.replace(a, value=ERASED)
                            if typed_by_resident(s.consultation_id, a.question_id, a.value, typed_questions) else a
                            for a in s.answers)
            row.submission = dataclasses.replace(s, answers=answers, text=ERASED if s.text is not None else None)
        for token in tokens:
            self._tokens.pop(token, None)
        return len(mine)

    async def submissions(self, since: datetime | None = None, consultation_id: str | None = None, *,
                          after: str | None = None, limit: int | None = None) -> list[Submission]:
        rows = sorted(self._rows.values(), key=lambda r: (r.submission.created_at, r.seq))
        if after is not None:
            start = next((i for i, r in enumerate(rows) if r.submission.reference == after), len(rows))
            rows = rows[start + 1:]
        found = [self._view(r.submission.reference) for r in rows
                 if (since is None or r.submission.created_at >= since)
                 and (consultation_id is None or r.submission.consultation_id == consultation_id)]
        return found[:limit] if limit is not None else found

    async def answered_questions(self, since: datetime | None = None,
                                 consultation_id: str | None = None) -> dict[str, list[str]]:
        answered: dict[str, set[str]] = {}
        for s in await self.submissions(since, consultation_id):
            if s.consultation_id is not None:
                answered.setdefault(s.consultation_id, set()).update(a.question_id for a in s.answers)
        return {cid: sorted(ids) for cid, ids in answered.items()}

    async def contact(self, reference: str) -> str | None:
        return self._contacts.get(reference)

    async def in_status(self, statuses: Sequence[Status], after: tuple[datetime, str] | None = None,
                        limit: int | None = None) -> list[Submission]:
        found = sorted((r.submission.created_at, ref) for ref, r in self._rows.items()
                       if r.submission.status in statuses)
        found = [position for position in found if after is None or position > after]
        return [self._view(ref) for _, ref in found[:limit]]

    async def count_in_status(self, statuses: Sequence[Status]) -> int:
        return sum(1 for r in self._rows.values() if r.submission.status in statuses)

    async def linked_users(self, since: datetime | None = None,
                           consultation_id: str | None = None) -> dict[str, str]:
        wanted = {s.reference for s in await self.submissions(since, consultation_id)}
        return {ref: user for ref, user in self._links.items() if ref in wanted}
