"""The consultation dialog: /feedback → a consultation → one question at a time → summary → contact consent →
reference number.

Flow data (``ResidentState.data``, saved by the Assistant after every message, so a restart resumes here):
``c`` consultation id, ``cur`` current question id (None at the summary), ``path`` questions answered or skipped
so far in order, ``a`` their answers, ``sel`` the options ticked on the current multiple-choice question, ``rep``
the reference of the earlier submission this one will replace.
"""
from __future__ import annotations

from typing import Any

from bot.core.dialog import qa
from bot.core.dialog.context import Context
from bot.core.errors import LimitExceeded
from bot.core.feedback import actions as A
from bot.core.feedback import views
from bot.core.feedback.catalogue import OpenConsultations
from bot.core.feedback.model import Consultation, Question
from bot.core.feedback.service import CONTACT_MAX_CHARS
from bot.core.feedback.survey import InvalidAnswer, check_value, next_question
from bot.core.messages import Button, Reply

IDLE = "idle"
QUESTION = "fb.question"   # answering the current question
SUMMARY = "fb.summary"     # checking the answers before submitting
REPLACE = "fb.replace"     # already answered this consultation: answer again (and replace) or keep?
CONSENT = "fb.consent"     # may staff contact you?
CONTACT = "fb.contact"     # typing contact details


def _open_consultations(ctx: Context) -> OpenConsultations:
    return ctx.knowledge.derived(OpenConsultations)


def _consultation(ctx: Context, consultation_id: str | None) -> Consultation | None:
    return _open_consultations(ctx).get(consultation_id)


def _limit_text(ctx: Context, error: LimitExceeded | InvalidAnswer) -> str:
    return ctx.t(error.text_key, **error.params)


def _closed(ctx: Context) -> list[Reply]:
    """The consultation was closed or edited away under the resident (a knowledge-base reload)."""
    ctx.goto(IDLE, {})
    return [Reply(html=ctx.t("fb.closed"))]


def _current(ctx: Context) -> tuple[Consultation, Question] | None:
    consultation = _consultation(ctx, ctx.data.get("c"))
    question = consultation.question(ctx.data.get("cur") or "") if consultation else None
    return (consultation, question) if consultation and question else None


def _views(ctx: Context) -> views.ViewCache:
    return ctx.knowledge.derived(views.ViewCache)


def _ask(ctx: Context, consultation: Consultation, question: Question, *, note: str = "",
         replace: bool = False) -> list[Reply]:
    parts = _views(ctx).question(consultation, question, ctx.t, ctx.lang)
    return [views.question_reply(consultation, question, ctx.data, ctx.t, ctx.lang, note=note, replace=replace,
                                 parts=parts)]


def _begin(ctx: Context, consultation: Consultation, replaces: str | None) -> list[Reply]:
    first = next_question(consultation, None, {})
    assert first is not None  # the loader requires at least one question, and the first has no condition
    ctx.goto(QUESTION, {"c": consultation.id, "cur": first.id, "path": [], "a": {}, "sel": [], "rep": replaces})
    return [_views(ctx).intro(consultation, ctx.t, ctx.lang), *_ask(ctx, consultation, first)]


def _advance(ctx: Context, consultation: Consultation, question: Question, value: Any) -> list[Reply]:
    """Record ``value`` (None: skipped) and show the next question that applies, or the summary."""
    data = dict(ctx.data)
    data["a"] = {**data.get("a", {}), question.id: list(value) if isinstance(value, tuple) else value}
    data["path"] = [*data.get("path", []), question.id]
    following = next_question(consultation, question.id, data["a"])
    data["sel"] = []
    if following is None:
        data["cur"] = None
        ctx.goto(SUMMARY, data)
        return [views.summary_reply(consultation, data, ctx.t, ctx.lang, _views(ctx))]
    data["cur"] = following.id
    ctx.goto(QUESTION, data)
    return _ask(ctx, consultation, following)


def _at(ctx: Context, trigger_question: str) -> tuple[Consultation, Question] | list[Reply]:
    """The current consultation and question when a button names it; otherwise the replies to send (the
    consultation is gone, or the button is from another question: ask the current one again)."""
    current = _current(ctx)
    if current is None:
        return _closed(ctx)
    if trigger_question != current[1].id:
        return _ask(ctx, *current, note=ctx.t("fb.old_button"))
    return current


async def list_consultations(ctx: Context) -> list[Reply]:
    """``/feedback`` or the feedback button: leave any flow and list the open consultations (✅ on those already
    answered); next: a consultation button."""
    service = ctx.deps.feedback
    ctx.goto(IDLE, {})
    consultations = _open_consultations(ctx).all
    done = await service.answered_ids(ctx.incoming.user, consultations)
    return [_views(ctx).consultation_list(consultations, done, ctx.t, ctx.lang)]


async def choose(ctx: Context) -> list[Reply]:
    """``fc:ID``: start a consultation (intro + first question); when the resident already answered it, ask
    first whether to answer again and replace the earlier submission. Next: the question's buttons or text."""
    service = ctx.deps.feedback
    consultation = _consultation(ctx, ctx.arg)
    if consultation is None:
        return [Reply(html=ctx.t("fb.closed"))]
    try:
        await service.check_can_start(ctx.incoming.user, consultation)
    except LimitExceeded as limit:
        return [Reply(html=_limit_text(ctx, limit))]
    earlier = await service.earlier(ctx.incoming.user, consultation)
    if earlier is not None:
        ctx.goto(REPLACE, {"c": consultation.id, "rep": earlier.reference})
        return [Reply(html=ctx.t("fb.already", date=earlier.created_at.date().isoformat(),
                                 reference=earlier.reference),
                      buttons=views.yes_no(ctx.t, A.REPLACE, "fb.replace_yes", "fb.replace_no"))]
    return _begin(ctx, consultation, None)


async def decide_replace(ctx: Context) -> list[Reply]:
    """``frp:y`` starts the consultation again (the new submission will replace the earlier one); ``frp:n`` keeps
    the earlier answers and returns to idle."""
    consultation = _consultation(ctx, ctx.data.get("c"))
    if consultation is None:
        return _closed(ctx)
    if ctx.arg == A.YES:
        return _begin(ctx, consultation, ctx.data.get("rep"))
    if ctx.arg == A.NO:
        ctx.goto(IDLE, {})
        return [Reply(html=ctx.t("fb.replace_kept"), replace=True)]
    return qa.stale(ctx)


async def answer(ctx: Context) -> list[Reply]:
    """``fa:QUESTION:VALUE``: a scale value or single-choice option; next: the following question or the
    summary. Forged or out-of-range values are refused and the question is asked again."""
    qid, _, raw = ctx.arg.partition(":")
    at = _at(ctx, qid)
    if isinstance(at, list):
        return at
    consultation, question = at
    if question.type not in ("scale", "single"):
        return _ask(ctx, consultation, question, note=ctx.t("fb.use_buttons"))
    try:
        value = check_value(question, raw)
    except InvalidAnswer as invalid:
        return _ask(ctx, consultation, question, note=_limit_text(ctx, invalid))
    return _advance(ctx, consultation, question, value)


async def toggle(ctx: Context) -> list[Reply]:
    """``ft:QUESTION:OPTION``: tick or untick a multiple-choice option (the message is edited in place); next:
    more ticks or Done."""
    qid, _, option = ctx.arg.partition(":")
    at = _at(ctx, qid)
    if isinstance(at, list):
        return at
    consultation, question = at
    if question.type != "multiple" or question.option(option) is None:
        return _ask(ctx, consultation, question, note=ctx.t("fb.invalid_choice"))
    chosen = list(ctx.data.get("sel", []))
    if option in chosen:
        chosen.remove(option)
    else:
        chosen.append(option)
    ctx.goto(QUESTION, {**ctx.data, "sel": chosen})
    return _ask(ctx, consultation, question, replace=True)


async def done(ctx: Context) -> list[Reply]:
    """``fd:QUESTION``: the ticked options are the answer (at least one); next question or the summary."""
    at = _at(ctx, ctx.arg)
    if isinstance(at, list):
        return at
    consultation, question = at
    if question.type != "multiple":
        return _ask(ctx, consultation, question, note=ctx.t("fb.use_buttons"))
    try:
        value = check_value(question, ctx.data.get("sel", []))
    except InvalidAnswer as invalid:
        return _ask(ctx, consultation, question, note=_limit_text(ctx, invalid))
    return _advance(ctx, consultation, question, value)


async def skip(ctx: Context) -> list[Reply]:
    """``fs:QUESTION``: leave an optional question unanswered; next question or the summary. Required
    questions cannot be skipped (a forged button gets the question again)."""
    at = _at(ctx, ctx.arg)
    if isinstance(at, list):
        return at
    consultation, question = at
    if question.required:
        return _ask(ctx, consultation, question, note=ctx.t("fb.not_optional"))
    return _advance(ctx, consultation, question, None)


async def typed(ctx: Context) -> list[Reply]:
    """Typed text while a question is open: the answer to a text question (within its length limit), a number
    1-5 for a scale; anything else is refused and the question asked again."""
    current = _current(ctx)
    if current is None:
        return _closed(ctx)
    consultation, question = current
    if question.type == "text" or (question.type == "scale" and ctx.arg.strip().isdigit()):
        try:
            value = check_value(question, ctx.arg)
        except (InvalidAnswer, LimitExceeded) as refused:
            return _ask(ctx, consultation, question, note=_limit_text(ctx, refused))
        return _advance(ctx, consultation, question, value)
    return _ask(ctx, consultation, question, note=ctx.t("fb.use_buttons"))


async def back(ctx: Context) -> list[Reply]:
    """``fbk``: go back to the previous question (from a question or the summary) to change its answer; the
    earlier answer is forgotten and, for multiple choice, its ticks are restored."""
    consultation = _consultation(ctx, ctx.data.get("c"))
    if consultation is None:
        return _closed(ctx)
    if ctx.state.state == QUESTION and ctx.arg != ctx.data.get("cur"):
        current = _current(ctx)
        return _ask(ctx, *current, note=ctx.t("fb.old_button")) if current else _closed(ctx)
    path = list(ctx.data.get("path", []))
    if not path:
        current = _current(ctx)
        return _ask(ctx, *current) if current else _closed(ctx)
    previous_id = path.pop()
    answers = dict(ctx.data.get("a", {}))
    previous_value = answers.pop(previous_id, None)
    question = consultation.question(previous_id)
    if question is None:
        return _closed(ctx)
    sel = list(previous_value) if question.type == "multiple" and previous_value else []
    ctx.goto(QUESTION, {**ctx.data, "cur": previous_id, "path": path, "a": answers, "sel": sel})
    return _ask(ctx, consultation, question)


async def confirm(ctx: Context) -> list[Reply]:
    """``fok`` on the summary: anonymous consultations are submitted at once; others ask first whether staff may
    contact the resident (next: ``fct:y``/``fct:n``)."""
    consultation = _consultation(ctx, ctx.data.get("c"))
    if consultation is None:
        return _closed(ctx)
    if consultation.anonymous:
        return await _finish(ctx, consultation, None)
    ctx.goto(CONSENT, dict(ctx.data))
    return [Reply(html=ctx.t("fb.consent"),
                  buttons=views.yes_no(ctx.t, A.CONSENT, "fb.consent_yes", "fb.consent_no"))]


async def consent(ctx: Context) -> list[Reply]:
    """``fct:y``: ask for contact details (next: typed text); ``fct:n`` (also while typing them): submit
    without any."""
    consultation = _consultation(ctx, ctx.data.get("c"))
    if consultation is None:
        return _closed(ctx)
    if ctx.arg == A.NO:
        return await _finish(ctx, consultation, None)
    if ctx.arg == A.YES and ctx.state.state == CONSENT:
        ctx.goto(CONTACT, dict(ctx.data))
        return [_contact_prompt(ctx)]
    return qa.stale(ctx)


def _contact_prompt(ctx: Context, head: str = "") -> Reply:
    """Type your contact details (``head``, HTML, above), or press "no contact". A phone number is a bare number:
    typed, not a button (``Reply.typed_number``)."""
    return Reply(html=head + ctx.t("fb.contact_prompt", limit=CONTACT_MAX_CHARS),
                 buttons=((Button(ctx.t("fb.consent_no"), A.action(A.CONSENT, A.NO)),),), typed_number=True)


async def contact(ctx: Context) -> list[Reply]:
    """Typed contact details (with consent given): submit with them; too long or empty asks again."""
    consultation = _consultation(ctx, ctx.data.get("c"))
    service = ctx.deps.feedback
    if consultation is None:
        return _closed(ctx)
    try:
        details = service.check_contact(ctx.arg)
    except (InvalidAnswer, LimitExceeded) as refused:
        return [_contact_prompt(ctx, _limit_text(ctx, refused) + "\n\n")]
    return await _finish(ctx, consultation, details)


async def _finish(ctx: Context, consultation: Consultation, details: str | None) -> list[Reply]:
    """Submit and acknowledge with the reference number. The flow ends (idle) whether the submission is stored or
    refused. The submission is staged (``Context.stage``): the Assistant commits it with the end of the flow in one
    transaction — one COMMIT for the acknowledgement to wait for, not two — and only then acknowledges it."""
    service = ctx.deps.feedback
    replaces, answers = ctx.data.get("rep"), ctx.data.get("a", {})
    ctx.goto(IDLE, {})
    try:
        pending = service.prepare(consultation, answers, user=ctx.incoming.user, language=ctx.lang,
                                  contact=details, replaces=replaces)
    except (InvalidAnswer, LimitExceeded) as invalid:
        return [Reply(html=_limit_text(ctx, invalid))]

    def acknowledged() -> list[Reply]:
        reference = pending.reference
        if consultation.anonymous:
            return [Reply(html=ctx.t("fb.submitted_anonymous", reference=reference))]
        notes = [ctx.t("fb.submitted", reference=reference)]
        if replaces:
            notes.append(ctx.t("fb.replaced_note", reference=replaces))
        if details:
            notes.append(ctx.t("fb.contact_note"))
        return [Reply(html="\n\n".join(notes))]

    async def refused(error: Exception) -> list[Reply]:
        problem = await pending.refusal(error)
        if isinstance(problem, (InvalidAnswer, LimitExceeded)):
            return [Reply(html=_limit_text(ctx, problem))]
        raise problem

    ctx.stage(pending.write, then=acknowledged, refused=refused, retry=pending.retry)
    return []


async def cancel(ctx: Context) -> list[Reply]:
    """``fx``: leave the consultation; nothing is saved."""
    ctx.goto(IDLE, {})
    return [Reply(html=ctx.t("fb.cancelled"))]


async def use_buttons(ctx: Context) -> list[Reply]:
    """Typed text at a step that only has buttons (summary, consent, replace): say so and show the step again."""
    return step_again(ctx, ctx.t("fb.use_buttons"))


def step_again(ctx: Context, note: str = "") -> list[Reply]:
    """The step the resident is at, shown again (after ``note``): the question, summary, consent, contact prompt
    or the replace question."""
    consultation = _consultation(ctx, ctx.data.get("c"))
    if consultation is None:
        return _closed(ctx)
    note = note + "\n\n" if note else ""
    if ctx.state.state == QUESTION:
        current = _current(ctx)
        return _ask(ctx, *current, note=note.strip()) if current else _closed(ctx)
    if ctx.state.state == CONTACT:
        return [_contact_prompt(ctx, note)]
    if ctx.state.state == SUMMARY:
        summary = views.summary_reply(consultation, ctx.data, ctx.t, ctx.lang, _views(ctx))
        return [Reply(html=note + summary.html, buttons=summary.buttons)]
    if ctx.state.state == CONSENT:
        return [Reply(html=note + ctx.t("fb.consent"),
                      buttons=views.yes_no(ctx.t, A.CONSENT, "fb.consent_yes", "fb.consent_no"))]
    return [Reply(html=note.strip() or ctx.t("fb.use_buttons"),
                  buttons=views.yes_no(ctx.t, A.REPLACE, "fb.replace_yes", "fb.replace_no"))]
