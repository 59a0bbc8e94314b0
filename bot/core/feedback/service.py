"""Policy-feedback use cases, called by the dialog (``flow.py``, ``tracking.py``, ``cases.py``) and by staff tools.

Every limit a resident can hit raises ``LimitExceeded`` with the i18n key of a clear message; the dialog shows it.
Writes go through the store, which commits before returning, so whatever this service returns (a reference
number) is already durable.
"""
from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from bot.core.errors import CoreError, LimitExceeded
from bot.core.feedback import views
from bot.core.feedback.model import STATUSES, Consultation, HelpfulVote, NewSubmission, Status, Submission
from bot.core.feedback.ports import AlreadyParticipated, AlreadySubmitted, DuplicateReference, FeedbackStore
from bot.core.feedback.privacy import participation_token
from bot.core.feedback.references import RandomBelow, draw_reference, is_bearer, normalize
from bot.core.feedback.survey import InvalidAnswer, collect
from bot.core.i18n import texts_for
from bot.core.language import LANGS
from bot.core.messages import Reply
from bot.core.ports import MAX_STORED_INT, ResidentStore
from bot.core.unit import Write

#: A resident may send one unanswered question to staff per this interval.
CASE_COOLDOWN = timedelta(minutes=10)
CASE_MAX_CHARS = 1000
CONTACT_MAX_CHARS = 100
REPLY_MAX_CHARS = 3000
#: Draws of a fresh reference number before giving up; 80 random bits make even one collision unheard of.
REFERENCE_ATTEMPTS = 8
#: ``/mystatus NUMBER`` of numbers that show nothing: at most this many per resident per ``LOOKUP_WINDOW``.
LOOKUP_MISSES = 10
LOOKUP_WINDOW = timedelta(hours=1)
#: Residents whose misses are remembered (least recently missing forgotten first); in memory, so a restart forgets.
LOOKUP_RESIDENTS = 10_000


class PendingSubmission:
    """A submission checked and prepared, not yet stored (``FeedbackService.prepare``): ``write`` is what a handler
    stages, ``reference`` its number (final once committed: a number already taken is drawn again, ``retry``)."""

    def __init__(self, service: FeedbackService, build: Callable[[str], NewSubmission]):
        self.service = service
        self.build = build
        self.attempts = 0
        self._draw()

    def _draw(self) -> None:
        self.attempts += 1
        self.reference = self.service.new_reference()
        self.submission = self.build(self.reference)
        self.write: Write = self.service.store.stage_add(self.submission)

    def retry(self, error: Exception) -> Write | None:
        """After the store refused the write with ``error``: the write to try instead (the number was taken: a new
        one), or None when there is none."""
        if isinstance(error, DuplicateReference) and self.attempts < REFERENCE_ATTEMPTS:
            self._draw()
            return self.write
        return None

    async def refusal(self, error: Exception) -> Exception:
        """What the store's refusal means to the resident: ``LimitExceeded`` with the words to show."""
        submission = self.submission
        if isinstance(error, AlreadyParticipated):
            return LimitExceeded("fb.anonymous_done")
        if isinstance(error, AlreadySubmitted) and submission.user is not None:
            earlier = await self.service.store.linked_to(submission.user, submission.consultation_id or "")
            return LimitExceeded("fb.already_submitted", reference=earlier.reference if earlier else "")
        if isinstance(error, DuplicateReference):
            return CoreError("could not draw an unused reference number")
        return error


class UnknownReference(CoreError):
    """No submission or case has this reference number."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class FeedbackService:
    def __init__(self, store: FeedbackStore, residents: ResidentStore, *, salt: str = "",
                 clock: Callable[[], datetime] = utc_now, random_digits: Callable[[int], int] | None = None):
        self.store = store
        self.residents = residents
        self.salt = salt
        self.clock = clock
        self._random = random_digits or RandomBelow()  # ``secrets.randbelow``'s randomness, see ``references``
        self._misses: OrderedDict[str, deque[datetime]] = OrderedDict()  # user → times of look-ups that missed

    # --- references -----------------------------------------------------------------------------------------
    def new_reference(self) -> str:
        """``FB-XXXX-XXXX-XXXX-XXXX``: 80 random bits in Crockford base32 (``references``), readable on a phone and
        as hard to guess as a password, because for an unlinked submission the number alone shows it."""
        return draw_reference(self._random)

    async def _add(self, pending: PendingSubmission) -> str:
        """Store ``pending`` alone (its own transaction), drawing its number again while it is taken."""
        while True:
            try:
                await self.store.add(pending.submission)
            except CoreError as error:
                if pending.retry(error) is not None:
                    continue
                raise await pending.refusal(error) from None
            return pending.reference

    # --- consultations --------------------------------------------------------------------------------------
    async def earlier(self, user: str, consultation: Consultation) -> Submission | None:
        """The resident's submission to ``consultation`` (never for anonymous ones: those are not linked)."""
        if consultation.anonymous:
            return None
        return await self.store.linked_to(user, consultation.id)

    async def answered_ids(self, user: str, consultations: Iterable[Consultation]) -> set[str]:
        """Ids of the consultations this resident has a submission to (linked or, for anonymous, by token)."""
        tokens = [participation_token(user, c.id, self.salt) for c in consultations if c.anonymous]
        return await self.store.answered(user, tokens)

    async def check_can_start(self, user: str, consultation: Consultation) -> None:
        """Raise ``LimitExceeded`` when the resident may not answer (closed, or anonymous and already done)."""
        if not consultation.open:
            raise LimitExceeded("fb.closed")
        if consultation.anonymous and await self.store.participated(
                participation_token(user, consultation.id, self.salt)):
            raise LimitExceeded("fb.anonymous_done")

    def check_contact(self, contact: str) -> str:
        text = " ".join(contact.split())
        if not text:
            raise InvalidAnswer("fb.empty_answer")
        if len(text) > CONTACT_MAX_CHARS:
            raise LimitExceeded("fb.too_long", length=len(text), limit=CONTACT_MAX_CHARS)
        return text

    async def submit(self, consultation: Consultation, answers: Mapping[str, Any], *, user: str, language: str,
                     contact: str | None = None, replaces: str | None = None) -> str:
        """Check and store a whole submission in one transaction; returns its reference number once committed
        (``prepare``, then ``FeedbackStore.add``; the dialog stages ``prepare``'s write instead, see ``flow``)."""
        return await self._add(self.prepare(consultation, answers, user=user, language=language, contact=contact,
                                            replaces=replaces))

    def prepare(self, consultation: Consultation, answers: Mapping[str, Any], *, user: str, language: str,
                contact: str | None = None, replaces: str | None = None) -> PendingSubmission:
        """Check a whole submission and prepare its write, with a fresh reference number, for the unit of work of
        the message (``Context.stage``): nothing is stored yet. Raises ``InvalidAnswer`` or ``LimitExceeded`` when
        it cannot be submitted at all; what only the store can tell (a second submission) comes back from the
        commit, and ``PendingSubmission.refusal`` turns it into a ``LimitExceeded``.

        Anonymous consultations store neither the user key nor contact details (only a keyed participation
        token, in a table of its own) and the time of submission only to the hour, so it cannot be matched to
        the minute with the resident's other activity, while reply times stay honest to within the hour. A
        resident's second submission to a consultation is refused unless it ``replaces`` the first, which is then
        deleted in the same transaction.
        """
        if not consultation.open:
            raise LimitExceeded("fb.closed")
        # No "already participated?" read first: the store refuses a second participation token (and a second
        # linked submission) inside the write itself, which also closes the race between two devices.
        collected = collect(consultation, answers)
        now = self.clock()
        if consultation.anonymous:
            hour = now.replace(minute=0, second=0, microsecond=0)

            def build(reference: str) -> NewSubmission:
                return NewSubmission(reference=reference, kind="survey", language=language, created_at=hour,
                                     consultation_id=consultation.id, answers=collected,
                                     participation=participation_token(user, consultation.id, self.salt))
            return PendingSubmission(self, build)
        if contact is not None:
            contact = self.check_contact(contact)

        def build_linked(reference: str) -> NewSubmission:
            return NewSubmission(reference=reference, kind="survey", language=language, created_at=now,
                                 consultation_id=consultation.id, answers=collected, user=user, contact=contact,
                                 replaces=replaces)
        return PendingSubmission(self, build_linked)

    # --- cases ------------------------------------------------------------------------------------------------
    async def open_case(self, user: str, question: str, language: str) -> str:
        """Send a question the bot could not answer to staff; one per ``CASE_COOLDOWN`` per resident."""
        text = question.strip()
        if not text:
            raise InvalidAnswer("fb.case_nothing")
        if len(text) > CASE_MAX_CHARS:
            raise LimitExceeded("fb.too_long", length=len(text), limit=CASE_MAX_CHARS)
        now = self.clock()
        last = await self.store.last_case_at(user)
        if last is not None and now - last < CASE_COOLDOWN:
            minutes = math.ceil((CASE_COOLDOWN - (now - last)).total_seconds() / 60)
            raise LimitExceeded("fb.case_cooldown", minutes=minutes)
        return await self._add(PendingSubmission(self, lambda reference: NewSubmission(
            reference=reference, kind="case", language=language, created_at=now, text=text, user=user)))

    # --- staff side -------------------------------------------------------------------------------------------
    async def reply(self, reference: str, text: str) -> list[Reply]:
        """Store a staff reply (the submission becomes "answered") and return the message for the resident, in
        the language they wrote in, with buttons to rate the reply; nothing to send for anonymous or forgotten
        submissions (the reply is still shown by ``/mystatus REFERENCE``)."""
        body = text.strip()
        if not body:
            raise InvalidAnswer("fb.empty_answer")
        if len(body) > REPLY_MAX_CHARS:
            raise LimitExceeded("fb.too_long", length=len(body), limit=REPLY_MAX_CHARS)
        delivery = await self.store.add_reply(reference, body, self.clock())
        if delivery is None:
            raise UnknownReference(reference)
        if delivery.user is None:
            return []
        lang = delivery.language if delivery.language in LANGS else "zh-Hant"
        t = texts_for(lang)
        return [Reply(html=t("fb.staff_reply", reference=escape(reference), text=escape(body)),
                      buttons=views.rating_rows(delivery.reply.id), to=delivery.user)]

    async def set_status(self, reference: str, status: Status) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
        if not await self.store.set_status(reference, status, self.clock()):
            raise UnknownReference(reference)

    # --- residents' follow-up ---------------------------------------------------------------------------------
    async def rate(self, user: str, reply_id: int, score: int) -> bool:
        """Rate a staff reply 1-5 (again to change it); False when the reply is not on the resident's own
        submission (an old or forged button)."""
        if score not in range(1, 6):
            raise InvalidAnswer("fb.invalid_scale")
        if not 0 < reply_id <= MAX_STORED_INT:  # a forged button: no reply has that id
            return False
        return await self.store.rate(user, reply_id, score, self.clock())

    async def mine(self, user: str, limit: int = 10) -> list[Submission]:
        return await self.store.for_user(user, limit)

    async def lookup(self, reference: str) -> Submission | None:
        """Staff's look-up: any stored number, however typed."""
        return await self.store.get(normalize(reference) or reference.strip().upper())

    async def look_up_for(self, user: str, typed: str) -> Submission | None:
        """``/mystatus NUMBER``: the submission the resident may see under that number — a linked one only by its
        own resident; an unlinked one (anonymous, forgotten) only by a full-strength number, never a legacy short
        one. A resident whose look-ups missed ``LOOKUP_MISSES`` times in ``LOOKUP_WINDOW`` gets
        ``LimitExceeded("fb.lookup_limit")`` until the oldest miss is that old."""
        now = self.clock()
        misses = self._misses.get(user)
        if misses is not None:
            while misses and now - misses[0] >= LOOKUP_WINDOW:
                misses.popleft()
            if len(misses) >= LOOKUP_MISSES:
                wait = misses[0] + LOOKUP_WINDOW - now
                raise LimitExceeded("fb.lookup_limit", minutes=max(1, math.ceil(wait.total_seconds() / 60)))
        reference = normalize(typed)
        submission = await self.store.get(reference) if reference is not None else None
        if submission is not None and (
                not (submission.linked or is_bearer(submission.reference))
                or submission.linked and submission.reference not in
                {s.reference for s in await self.store.for_user(user, limit=1000)}):
            submission = None  # to anyone else the number does not exist
        if submission is None:
            self._misses.setdefault(user, deque()).append(now)
            self._misses.move_to_end(user)
            while len(self._misses) > LOOKUP_RESIDENTS:
                self._misses.popitem(last=False)
        return submission

    async def vote(self, entry_id: str, helpful: bool, language: str) -> None:
        await self.store.record_vote(HelpfulVote(entry_id, helpful, language, self.clock()))

    async def forget_me(self, user: str, consultation_ids: Iterable[str],
                        typed_questions: Mapping[str, Sequence[str]] | None = None, *,
                        also: Sequence[Callable[[str], Awaitable[object]]] = ()) -> int:
        """``/forget_me``: delete the resident's contact details and participation tokens, erase the text they
        typed (case text, typed answers of their linked submissions — ``typed_questions``: consultation id → ids
        of its text questions, see ``privacy.typed_by_resident`` — and, through the resident store, their
        unanswered questions), unlink their submissions, delete what other features keep (``also``: the erasers
        they registered,
        ``Dependencies.erasers``) and
        their dialog state; returns how many submissions were unlinked."""
        tokens = [participation_token(user, cid, self.salt) for cid in consultation_ids]
        unlinked = await self.store.forget(user, tokens, typed_questions)
        for forget in also:
            await forget(user)
        await self.residents.forget(user)
        return unlinked
