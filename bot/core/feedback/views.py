"""Turning consultations, answers and submissions into replies. Every piece of YAML or resident text is escaped
here; wording comes from the i18n catalogues."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from bot.core.dialog.render import button_title, label, text_of
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
    rows = tuple((Button(label((t("fb.list_done_mark") if c.id in done else "") + button_title(c, lang)),
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
    option, what each answer reads as). Every message of a consultation shows a question, and building these was
    most of its work."""

    title: str
    prompt: str
    after_prompt: str  # the "optional" mark and, except for multiple choice (its count changes), the hint
    answers: Rows  # scale and single choice: one row per value or option
    options: tuple[tuple[str, tuple[Button, ...], tuple[Button, ...]], ...]  # multiple: (id, unticked, ticked)
    done: tuple[Button, ...]  # multiple choice only
    nav_first: Rows  # below the answers on the first question: Skip when optional
    nav_later: Rows  # on later ones: Back (and Skip)
    cancel: tuple[Button, ...]
    labels: Mapping[object, str]  # an answer as residents read it (not escaped): scale value or option id → text

    @classmethod
    def build(cls, consultation: Consultation, question: Question, t: Texts, lang: Lang) -> QuestionParts:
        qid = question.id
        after_prompt = "" if question.required else " " + t("fb.optional_mark")
        answers: list[tuple[Button, ...]] = []
        options: list[tuple[str, tuple[Button, ...], tuple[Button, ...]]] = []
        done: tuple[Button, ...] = ()
        labels = _labels(question, lang)
        if question.type == "scale":
            after_prompt += "\n" + t("fb.scale_hint")
            answers.extend((Button(label(labels[n]), A.action(A.ANSWER, qid, n)),) for n in SCALE)
        elif question.type == "single":
            answers.extend((Button(label(labels[o.id]), A.action(A.ANSWER, qid, o.id)),) for o in question.options)
        elif question.type == "multiple":
            unticked, ticked = t("fb.unselected_mark"), t("fb.selected_mark")

            def toggle(option_id: str, mark: str) -> tuple[Button, ...]:
                return (Button(label(mark + labels[option_id]), A.action(A.TOGGLE, qid, option_id)),)

            options = [(o.id, toggle(o.id, unticked), toggle(o.id, ticked)) for o in question.options]
            done = (Button(t("fb.done"), A.action(A.DONE, qid)),)
        else:
            after_prompt += "\n" + t("fb.text_hint", limit=question.max_length)
        skip = () if question.required else (Button(t("fb.skip"), A.action(A.SKIP, qid)),)
        back = (Button(t("fb.back"), A.action(A.BACK, qid)),)
        return cls(title=escape(text_of(consultation.title, lang)), prompt=escape(text_of(question.prompt, lang)),
                   after_prompt=after_prompt, answers=tuple(answers), options=tuple(options), done=done,
                   nav_first=(skip,) if skip else (), nav_later=(back + skip,),
                   cancel=(Button(t("fb.cancel"), A.CANCEL),), labels=labels)


def _labels(question: Question, lang: Lang) -> dict[object, str]:
    """Scale value or option id → the words residents see for it (not escaped)."""
    if question.type == "scale":
        return {n: f"{n} · {text_of(words, lang)}" if (words := question.label_of(n)) else str(n) for n in SCALE}
    return {o.id: text_of(o.label, lang) for o in question.options}


class ViewCache:
    """What consultation replies show that depends only on the knowledge base and the reader's language — each
    question's ``QuestionParts``, each consultation's introduction, the list of consultations — built on first
    use. One per knowledge snapshot (``KnowledgeSnapshot.derived``), so a reload starts afresh; ids are unique
    within a knowledge base. Replies and buttons are immutable, so they are shared."""

    #: Lists kept (by language and which consultations carry the ✅ mark); starts afresh beyond that.
    LISTS_MAX = 256

    def __init__(self, kb: KnowledgeBase | None = None):
        self._parts: dict[tuple[str, str, str], QuestionParts] = {}
        self._intros: dict[tuple[str, str], Reply] = {}
        self._lists: dict[tuple[str, tuple[str, ...], frozenset[str]], Reply] = {}

    def question(self, consultation: Consultation, question: Question, t: Texts, lang: Lang) -> QuestionParts:
        key = (consultation.id, question.id, lang)
        parts = self._parts.get(key)
        if parts is None:
            parts = self._parts[key] = QuestionParts.build(consultation, question, t, lang)
        return parts

    def intro(self, consultation: Consultation, t: Texts, lang: Lang) -> Reply:
        key = (consultation.id, lang)
        reply = self._intros.get(key)
        if reply is None:
            reply = self._intros[key] = intro(consultation, t, lang)
        return reply

    def consultation_list(self, consultations: Sequence[Consultation], done: set[str], t: Texts,
                          lang: Lang) -> Reply:
        ids = tuple(c.id for c in consultations)
        key = (lang, ids, frozenset(done.intersection(ids)))
        reply = self._lists.get(key)
        if reply is None:
            if len(self._lists) >= self.LISTS_MAX:
                self._lists.clear()
            reply = self._lists[key] = consultation_list(consultations, done, t, lang)
        return reply


def question_reply(consultation: Consultation, question: Question, data: Mapping[str, Any], t: Texts, lang: Lang,
                   *, note: str = "", replace: bool = False, parts: QuestionParts | None = None) -> Reply:
    """The current question with its answer buttons, back/skip and cancel; ``note`` (already HTML) goes first,
    e.g. why the last input was not accepted. ``parts``: this question's, from a ``ViewCache``."""
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
    # A text answer may be a bare number ("how many years have you lived here?"): typed, not a button.
    return Reply(html=(note + "\n\n" if note else "") + text, buttons=rows, replace=replace,
                 typed_number=question.type == "text")


def answer_text(question: Question, value: Any, t: Texts, lang: Lang, parts: QuestionParts | None = None) -> str:
    """An answer as residents read it (escaped HTML); ``parts``: the question's, from a ``ViewCache``."""
    if value is None:
        return t("fb.skipped")
    if question.type == "text":
        return escape(str(value))
    labels = parts.labels if parts is not None else _labels(question, lang)
    if question.type == "multiple":
        return escape(t("fb.list_separator").join(labels[v] for v in value if isinstance(v, str) and v in labels))
    key = int(value) if question.type == "scale" else value
    words = labels.get(key) if isinstance(key, (str, int)) else None
    return escape(words if words is not None else str(value))


def summary_reply(consultation: Consultation, data: Mapping[str, Any], t: Texts, lang: Lang,
                  cache: ViewCache | None = None) -> Reply:
    """Every question asked, with its answer, and submit / change the last answer / cancel."""
    answers = data.get("a", {})
    lines = []
    for qid in data.get("path", []):
        question = consultation.question(qid)
        if question is not None:
            parts = cache.question(consultation, question, t, lang) if cache is not None else None
            lines.append(t("fb.summary_line",
                           prompt=parts.prompt if parts is not None else escape(text_of(question.prompt, lang)),
                           answer=answer_text(question, answers.get(qid), t, lang, parts)))
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
