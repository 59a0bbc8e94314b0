"""Turning consultations, answers and submissions into replies. Every piece of YAML or resident text is escaped
here; wording comes from the i18n catalogues."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any, Mapping, Sequence

from bot.core.dialog.render import label, text_of
from bot.core.feedback import actions as A
from bot.core.feedback.model import SCALE, Consultation, Question, Submission
from bot.core.feedback.survey import planned_count
from bot.core.i18n import Texts
from bot.core.knowledge.model import KnowledgeBase
from bot.core.language import Lang
from bot.core.messages import Button, Reply

Rows = tuple[tuple[Button, ...], ...]
#: Staff replies can be long; /mystatus shows the start of each (the full text came as its own message).
STATUS_REPLY_CHARS = 300
STATUS_ITEMS = 10


def rating_rows(reply_id: int) -> Rows:
    """1 … 5 under a staff reply."""
    return (tuple(Button(str(n), A.action(A.RATE, reply_id, n)) for n in SCALE),)


def consultation_list(consultations: Sequence[Consultation], done: set[str], t: Texts, lang: Lang) -> Reply:
    if not consultations:
        return Reply(html=t("fb.list_empty"))
    rows = tuple((Button(label((t("fb.list_done_mark") if c.id in done else "") + text_of(c.title, lang)),
                         A.action(A.CHOOSE, c.id)),) for c in consultations)
    return Reply(html=t("fb.list_title"), buttons=rows)


def intro(consultation: Consultation, t: Texts, lang: Lang) -> Reply:
    text = t("fb.intro", title=escape(text_of(consultation.title, lang)),
             description=escape(text_of(consultation.description, lang)))
    if consultation.anonymous:
        text += "\n\n" + t("fb.anonymous_note")
    return Reply(html=text.strip())


@dataclass(frozen=True, slots=True)
class QuestionParts:
    """Everything a question's message shows that depends only on the question and the reader's language: the
    escaped title and prompt, the hint and every button (the ticked and unticked one of each multiple-choice
    option). Every message of a consultation shows a question, and building these was most of its work."""

    title: str
    prompt: str
    after_prompt: str  # the "optional" mark and, except for multiple choice (its count changes), the hint
    answers: Rows  # scale and single choice: one row per value or option
    options: tuple[tuple[str, tuple[Button, ...], tuple[Button, ...]], ...]  # multiple: (id, unticked, ticked)
    done: tuple[Button, ...]  # multiple choice only
    nav_first: Rows  # below the answers on the first question: Skip when optional
    nav_later: Rows  # on later ones: Back (and Skip)
    cancel: tuple[Button, ...]

    @classmethod
    def build(cls, consultation: Consultation, question: Question, t: Texts, lang: Lang) -> "QuestionParts":
        qid = question.id
        after_prompt = "" if question.required else " " + t("fb.optional_mark")
        answers: list[tuple[Button, ...]] = []
        options = []
        done: tuple[Button, ...] = ()
        if question.type == "scale":
            after_prompt += "\n" + t("fb.scale_hint")
            for n in SCALE:
                words = question.label_of(n)
                answers.append((Button(label(f"{n} · {text_of(words, lang)}" if words else str(n)),
                                       A.action(A.ANSWER, qid, n)),))
        elif question.type == "single":
            answers.extend((Button(label(text_of(o.label, lang)), A.action(A.ANSWER, qid, o.id)),)
                           for o in question.options)
        elif question.type == "multiple":
            options = [(o.id, *((Button(label(mark + text_of(o.label, lang)), A.action(A.TOGGLE, qid, o.id)),)
                                for mark in (t("fb.unselected_mark"), t("fb.selected_mark"))))
                       for o in question.options]
            done = (Button(t("fb.done"), A.action(A.DONE, qid)),)
        else:
            after_prompt += "\n" + t("fb.text_hint", limit=question.max_length)
        skip = () if question.required else (Button(t("fb.skip"), A.action(A.SKIP, qid)),)
        back = (Button(t("fb.back"), A.action(A.BACK, qid)),)
        return cls(title=escape(text_of(consultation.title, lang)), prompt=escape(text_of(question.prompt, lang)),
                   after_prompt=after_prompt, answers=tuple(answers), options=tuple(options), done=done,
                   nav_first=(skip,) if skip else (), nav_later=(back + skip,),
                   cancel=(Button(t("fb.cancel"), A.CANCEL),))


class QuestionPartsCache:
    """``QuestionParts`` per consultation, question and language, built on first use; one per knowledge snapshot
    (``KnowledgeSnapshot.derived``), so a reload starts afresh. Ids are unique within a knowledge base."""

    def __init__(self, kb: KnowledgeBase | None = None):
        self._parts: dict[tuple[str, str, str], QuestionParts] = {}

    def get(self, consultation: Consultation, question: Question, t: Texts, lang: Lang) -> QuestionParts:
        key = (consultation.id, question.id, lang)
        parts = self._parts.get(key)
        if parts is None:
            parts = self._parts[key] = QuestionParts.build(consultation, question, t, lang)
        return parts


def question_reply(consultation: Consultation, question: Question, data: Mapping[str, Any], t: Texts, lang: Lang,
                   *, note: str = "", replace: bool = False, parts: QuestionParts | None = None) -> Reply:
    """The current question with its answer buttons, back/skip and cancel; ``note`` (already HTML) goes first,
    e.g. why the last input was not accepted. ``parts``: this question's, from a ``QuestionPartsCache``."""
    if parts is None:
        parts = QuestionParts.build(consultation, question, t, lang)
    answers = data.get("a", {})
    path = data.get("path", [])
    text = t("fb.question", title=parts.title, number=len(path) + 1,
             total=max(planned_count(consultation, answers), len(path) + 1), prompt=parts.prompt)
    text += parts.after_prompt
    if question.type == "multiple":
        chosen = set(data.get("sel", []))
        text += "\n" + t("fb.multiple_hint", count=len(chosen))
        rows = (*(ticked if option_id in chosen else unticked for option_id, unticked, ticked in parts.options),
                parts.done)
    else:
        rows = parts.answers
    rows += (parts.nav_later if path else parts.nav_first) + (parts.cancel,)
    return Reply(html=(note + "\n\n" if note else "") + text, buttons=rows, replace=replace)


def answer_text(question: Question, value: Any, t: Texts, lang: Lang) -> str:
    """An answer as residents read it (escaped HTML)."""
    if value is None:
        return t("fb.skipped")
    if question.type == "scale":
        words = question.label_of(int(value))
        return escape(f"{value} · {text_of(words, lang)}" if words else str(value))
    if question.type == "single":
        option = question.option(value)
        return escape(text_of(option.label, lang) if option else str(value))
    if question.type == "multiple":
        names = [text_of(o.label, lang) for o in (question.option(v) for v in value) if o]
        return escape(t("fb.list_separator").join(names))
    return escape(str(value))


def summary_reply(consultation: Consultation, data: Mapping[str, Any], t: Texts, lang: Lang) -> Reply:
    """Every question asked, with its answer, and submit / change the last answer / cancel."""
    answers = data.get("a", {})
    lines = []
    for qid in data.get("path", []):
        question = consultation.question(qid)
        if question is not None:
            lines.append(t("fb.summary_line", prompt=escape(text_of(question.prompt, lang)),
                           answer=answer_text(question, answers.get(qid), t, lang)))
    rows = ((Button(t("fb.submit"), A.SUBMIT),),
            (Button(t("fb.edit_last"), A.action(A.BACK, "")), Button(t("fb.cancel"), A.CANCEL)))
    return Reply(html=t("fb.summary", title=escape(text_of(consultation.title, lang)), lines="\n".join(lines)),
                 buttons=rows)


def yes_no(t: Texts, prefix: str, yes_key: str, no_key: str) -> Rows:
    return ((Button(t(yes_key), A.action(prefix, A.YES)),), (Button(t(no_key), A.action(prefix, A.NO)),))


def submission_title(kb: KnowledgeBase, submission: Submission, t: Texts, lang: Lang) -> str:
    if submission.kind == "case":
        return t("fb.case_title")
    consultation = next((c for c in kb.consultations if c.id == submission.consultation_id), None)
    return text_of(consultation.title, lang) if consultation else (submission.consultation_id or "")


def submission_lines(kb: KnowledgeBase, submission: Submission, t: Texts, lang: Lang, *, full: bool) -> str:
    """One submission in /mystatus: reference, title, date, state, and the staff replies with ratings."""
    lines = [t("fb.status_item", reference=escape(submission.reference),
               title=escape(submission_title(kb, submission, t, lang)),
               date=submission.created_at.date().isoformat(), status=t(f"fb.status.{submission.status}"))]
    for reply in submission.replies:
        body = reply.text if full or len(reply.text) <= STATUS_REPLY_CHARS else reply.text[:STATUS_REPLY_CHARS] + "…"
        line = t("fb.status_reply", date=reply.created_at.date().isoformat(), text=escape(body))
        if reply.rating is not None:
            line += " " + t("fb.status_rated", score=reply.rating)
        lines.append(line)
    return "\n".join(lines)


def status_reply(kb: KnowledgeBase, submissions: Sequence[Submission], t: Texts, lang: Lang) -> Reply:
    if not submissions:
        return Reply(html=t("fb.status_empty") + "\n\n" + t("fb.status_anonymous_hint"))
    blocks = [t("fb.status_title")]
    blocks += [submission_lines(kb, s, t, lang, full=False) for s in submissions[:STATUS_ITEMS]]
    blocks.append(t("fb.status_anonymous_hint"))
    return Reply(html="\n\n".join(blocks))
