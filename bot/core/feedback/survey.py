"""Walking a consultation: which question comes next, whether an "ask only if" holds, and checking answers.

Pure functions shared by the dialog (one question at a time) and the service (which re-checks a whole
submission before writing it, because flow data could be stale after a knowledge-base reload).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.errors import CoreError, LimitExceeded
from bot.core.feedback.model import SCALE, Answer, Consultation, Question, Value


class InvalidAnswer(CoreError):
    """An answer that does not fit its question; ``text_key`` names the i18n message for the resident."""

    def __init__(self, text_key: str, **params: object):
        self.text_key = text_key
        self.params = params
        super().__init__(text_key)


def applies(question: Question, answers: Mapping[str, Any]) -> bool:
    """True when ``question`` should be asked given the answers so far (its ``ask_if`` holds, or it has none)."""
    condition = question.ask_if
    if condition is None:
        return True
    given = answers.get(condition.question)
    if given is None:
        return False  # skipped or never asked: the condition cannot hold
    if isinstance(given, (list, tuple)):
        return any(choice in condition.any_of for choice in given)
    return str(given) in condition.any_of


def next_question(consultation: Consultation, after: str | None, answers: Mapping[str, Any]) -> Question | None:
    """The first question after ``after`` (or the first of all) that applies; None when the survey is done."""
    ids = [q.id for q in consultation.questions]
    start = ids.index(after) + 1 if after in ids else 0
    return next((q for q in consultation.questions[start:] if applies(q, answers)), None)


def planned_count(consultation: Consultation, answers: Mapping[str, Any]) -> int:
    """How many questions this resident will probably be asked: those whose condition holds or is still open."""
    asked = set(answers)

    def maybe(q: Question) -> bool:
        return q.ask_if is None or q.ask_if.question not in asked or applies(q, answers)

    return sum(1 for q in consultation.questions if maybe(q))


def check_value(question: Question, raw: Any) -> Value:
    """The answer ``raw`` as the value stored for ``question``; raises ``InvalidAnswer`` or ``LimitExceeded``."""
    if question.type == "scale":
        number = int(raw) if isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit()) else None
        if number not in SCALE:
            raise InvalidAnswer("fb.invalid_scale")
        return number
    if question.type == "single":
        if not isinstance(raw, str) or question.option(raw) is None:
            raise InvalidAnswer("fb.invalid_choice")
        return raw
    if question.type == "multiple":
        chosen = tuple(raw) if isinstance(raw, (list, tuple)) else ()
        if not chosen:
            raise InvalidAnswer("fb.choose_one")
        if len(set(chosen)) != len(chosen) or any(not isinstance(c, str) or question.option(c) is None
                                                  for c in chosen):
            raise InvalidAnswer("fb.invalid_choice")
        order = [o.id for o in question.options]
        return tuple(sorted(chosen, key=order.index))
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise InvalidAnswer("fb.empty_answer")
    if len(text) > question.max_length:
        raise LimitExceeded("fb.too_long", length=len(text), limit=question.max_length)
    return text


def collect(consultation: Consultation, answers: Mapping[str, Any]) -> tuple[Answer, ...]:
    """The answers to store, in the order asked: every question that applies, checked; answers to questions
    that no longer apply (an earlier answer was changed) are dropped. A required question without an answer
    raises ``InvalidAnswer("fb.missing_answer")``."""
    out: list[Answer] = []
    kept: dict[str, Any] = {}
    for position, question in enumerate(consultation.questions):
        if not applies(question, kept):
            continue
        raw = answers.get(question.id)
        if raw is None:
            if question.required:
                raise InvalidAnswer("fb.missing_answer")
            continue
        value = check_value(question, raw)
        kept[question.id] = value
        out.append(Answer(question.id, value, position))
    return tuple(out)
