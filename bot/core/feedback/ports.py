"""The store interface of policy feedback. ``bot.core.feedback.memory_store`` and ``bot.storage.feedback``
implement it and pass the same contract tests (``tests/contracts/``)."""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from bot.core.errors import CoreError
from bot.core.feedback.model import Delivery, HelpfulVote, NewSubmission, Status, Submission
from bot.core.unit import Write


class DuplicateReference(CoreError):
    """The reference number is taken; the service draws another one."""


class AlreadyParticipated(CoreError):
    """This resident already answered this anonymous consultation (its participation token is stored)."""


class AlreadySubmitted(CoreError):
    """This resident already has a linked submission to this consultation, and the new one does not replace it."""


class FeedbackStore(Protocol):
    async def add(self, submission: NewSubmission) -> None:
        """Write a submission or case with all its answers, its link, contact and participation token in one
        transaction, deleting ``submission.replaces`` (when it is linked to the same resident) in the same one.
        Returns only after the commit. Raises ``DuplicateReference``, ``AlreadyParticipated`` or
        ``AlreadySubmitted`` (one linked submission per resident per consultation) and then writes nothing."""
        ...

    def stage_add(self, submission: NewSubmission) -> Write:
        """``add`` prepared, not made: a write for the unit of work of a message (``bot.core.unit``), which makes
        it with the resident's state in one transaction and raises ``Refused`` carrying what ``add`` would raise."""
        ...

    async def get(self, reference: str) -> Submission | None: ...

    async def linked_to(self, user: str, consultation_id: str) -> Submission | None:
        """The resident's submission to a consultation, if they have one."""
        ...

    async def for_user(self, user: str, limit: int = 10) -> list[Submission]:
        """The resident's linked submissions and cases, newest first."""
        ...

    async def participated(self, token: str) -> bool: ...

    async def answered(self, user: str, tokens: Iterable[str] = ()) -> set[str]:
        """Ids of the consultations ``user`` has a linked submission to, plus those of the participation
        ``tokens`` that are stored (anonymous ones): the ✅ marks of the consultation list, in one query."""
        ...

    async def respondents(self, consultation_id: str) -> list[str]:
        """User keys of residents with a linked submission to a consultation (sorted): the audience of a "you
        said, we did" announcement. Anonymous and forgotten submissions have none."""
        ...

    async def last_case_at(self, user: str) -> datetime | None: ...

    async def add_reply(self, reference: str, text: str, at: datetime) -> Delivery | None:
        """Store a staff reply and mark the submission answered; None when there is no such reference."""
        ...

    async def set_status(self, reference: str, status: Status, at: datetime) -> bool: ...

    async def rate(self, user: str, reply_id: int, score: int, at: datetime) -> bool:
        """Rate (or re-rate) a reply to one of ``user``'s own submissions; False when it is not theirs."""
        ...

    async def record_vote(self, vote: HelpfulVote) -> None: ...

    async def votes(self, since: datetime | None = None) -> list[HelpfulVote]: ...

    async def forget(self, user: str, tokens: Iterable[str] = (),
                     typed_questions: Mapping[str, Collection[str]] | None = None) -> int:
        """Delete the resident's contact details and participation ``tokens``, replace the text they typed in their
        linked submissions (a case's text; answers ``privacy.typed_by_resident`` calls typed, given
        ``typed_questions``) with ``ERASED``, and unlink their submissions (which stay, anonymous, for statistics);
        returns how many were unlinked."""
        ...

    async def submissions(self, since: datetime | None = None, consultation_id: str | None = None, *,
                          after: str | None = None, limit: int | None = None) -> list[Submission]:
        """Submissions and cases, oldest first (those created at the same moment in the order they were stored),
        for staff review and exports. Exports read them a page at a time: ``limit`` of them, starting after the one
        whose reference is ``after`` (the last of the previous page)."""
        ...

    async def answered_questions(self, since: datetime | None = None,
                                 consultation_id: str | None = None) -> dict[str, list[str]]:
        """Consultation id → the ids of the questions answered in its submissions among ``submissions(since,
        consultation_id)``, sorted: an export's columns, known before its rows are read."""
        ...

    async def contact(self, reference: str) -> str | None:
        """The contact details a resident consented to leave with a submission."""
        ...

    async def in_status(self, statuses: Sequence[Status], after: tuple[datetime, str] | None = None,
                        limit: int | None = None) -> list[Submission]:
        """Submissions and cases in one of ``statuses``, oldest first (``created_at``, then reference), only those
        after the position ``after`` = (created_at, reference): staff review walks through them one at a time."""
        ...

    async def count_in_status(self, statuses: Sequence[Status]) -> int: ...

    async def linked_users(self, since: datetime | None = None,
                           consultation_id: str | None = None) -> dict[str, str]:
        """Reference → user key of the linked submissions and cases among ``submissions(since, consultation_id)``.
        For pseudonymous exports only: the caller turns each key into ``resident_hash`` and never shows it."""
        ...
