"""Policy feedback, as the core sees it: consultation definitions (from YAML) and what residents send.

Consultations are immutable and validated by ``consultations.py``; submissions, cases, staff replies and votes are
the records the stores keep. No record here carries a resident's user key except ``NewSubmission.user`` on its
way into the store, which keeps it in a table of its own (see ``docs/feedback.md``, "Privacy").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.core.knowledge.model import Text

QuestionType = Literal["scale", "single", "multiple", "text"]
QUESTION_TYPES: tuple[QuestionType, ...] = ("scale", "single", "multiple", "text")
SCALE = (1, 2, 3, 4, 5)

Status = Literal["received", "in_review", "answered", "closed"]
STATUSES: tuple[Status, ...] = ("received", "in_review", "answered", "closed")

Kind = Literal["survey", "case"]

#: One answer: a scale value, an option id, option ids (multiple choice) or typed text.
Value = int | str | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: Text


@dataclass(frozen=True, slots=True)
class Condition:
    """Ask a question only if the earlier question ``question`` was answered with one of ``any_of``
    (option ids, or scale values written as text)."""

    question: str
    any_of: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    type: QuestionType
    prompt: Text
    required: bool = True
    options: tuple[Option, ...] = ()
    labels: tuple[tuple[int, Text], ...] = ()  # scale value → label, for the values that have one
    max_length: int = 0  # text questions only
    ask_if: Condition | None = None

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)

    def label_of(self, value: int) -> Text | None:
        return next((text for number, text in self.labels if number == value), None)


@dataclass(frozen=True, slots=True)
class Consultation:
    id: str
    title: Text
    description: Text | None
    questions: tuple[Question, ...]
    open: bool = True
    anonymous: bool = False
    file: str = ""
    line: int = 0
    short: Text | None = None  # a shorter title for buttons (see ``render.label``)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True, slots=True)
class Answer:
    question_id: str
    value: Value
    position: int  # order the question was asked in


@dataclass(frozen=True, slots=True)
class NewSubmission:
    """What the service hands to the store to write in one transaction.

    ``user`` is None for anonymous consultations; ``participation`` is then the keyed token that stops the same
    resident answering twice without saying who they are. ``contact`` is only set with the resident's consent.
    """

    reference: str
    kind: Kind
    language: str
    created_at: datetime
    consultation_id: str | None = None
    answers: tuple[Answer, ...] = ()
    text: str | None = None  # the question of a case
    user: str | None = None
    contact: str | None = None
    participation: str | None = None
    replaces: str | None = None  # reference of the resident's earlier submission to the same consultation


@dataclass(frozen=True, slots=True)
class StaffReply:
    id: int
    reference: str
    text: str
    created_at: datetime
    rating: int | None = None


@dataclass(frozen=True, slots=True)
class Submission:
    """A stored submission or case as residents and staff see it (never with the resident's user key)."""

    reference: str
    kind: Kind
    consultation_id: str | None
    language: str
    status: Status
    created_at: datetime
    updated_at: datetime
    answers: tuple[Answer, ...] = ()
    text: str | None = None
    replies: tuple[StaffReply, ...] = ()
    linked: bool = False  # a resident can be told about replies
    has_contact: bool = False


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where a staff reply goes: the resident's user key (None when the submission is anonymous or forgotten)
    and the language they wrote in."""

    reply: StaffReply
    user: str | None
    language: str


@dataclass(frozen=True, slots=True)
class HelpfulVote:
    """A 👍/👎 on an answer. No resident key: votes only count."""

    entry_id: str
    helpful: bool
    language: str
    voted_at: datetime
