"""Turning consultations, answers and submissions into replies. Every piece of YAML or resident text is escaped
here; wording comes from the i18n catalogues."""
from __future__ import annotations

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


def question_reply(consultation: Consultation, question: Question, data: Mapping[str, Any], t: Texts, lang: Lang,
                   *, note: str = "", replace: bool = False) -> Reply:
    """The current question with its answer buttons, back/skip and cancel; ``note`` (already HTML) goes first,
    e.g. why the last input was not accepted."""
    answers = data.get("a", {})
    path = data.get("path", [])
    text = t("fb.question", title=escape(text_of(consultation.title, lang)), number=len(path) + 1,
             total=max(planned_count(consultation, answers), len(path) + 1),
             prompt=escape(text_of(question.prompt, lang)))
    if not question.required:
        text += " " + t("fb.optional_mark")
    rows: list[tuple[Button, ...]] = []
    qid = question.id
    if question.type == "scale":
        text += "\n" + t("fb.scale_hint")
        for n in SCALE:
            words = question.label_of(n)
            rows.append((Button(label(f"{n} · {text_of(words, lang)}" if words else str(n)),
                                A.action(A.ANSWER, qid, n)),))
    elif question.type == "single":
        rows.extend((Button(label(text_of(o.label, lang)), A.action(A.ANSWER, qid, o.id)),) for o in question.options)
    elif question.type == "multiple":
        chosen = set(data.get("sel", []))
        text += "\n" + t("fb.multiple_hint", count=len(chosen))
        for o in question.options:
            mark = t("fb.selected_mark") if o.id in chosen else t("fb.unselected_mark")
            rows.append((Button(label(mark + text_of(o.label, lang)), A.action(A.TOGGLE, qid, o.id)),))
        rows.append((Button(t("fb.done"), A.action(A.DONE, qid)),))
    else:
        text += "\n" + t("fb.text_hint", limit=question.max_length)
    nav = []
    if path:
        nav.append(Button(t("fb.back"), A.action(A.BACK, qid)))
    if not question.required:
        nav.append(Button(t("fb.skip"), A.action(A.SKIP, qid)))
    if nav:
        rows.append(tuple(nav))
    rows.append((Button(t("fb.cancel"), A.CANCEL),))
    return Reply(html=(note + "\n\n" if note else "") + text, buttons=tuple(rows), replace=replace)


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
