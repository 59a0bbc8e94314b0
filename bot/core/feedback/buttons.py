"""The feedback buttons the Q&A side shows: "helpful? 👍/👎" under every answer, the consultation an entry names
(``consultation:``) under its answer, and "send to staff" under a question the bot could not answer."""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.dialog.render import button_title, label
from bot.core.feedback import actions as A
from bot.core.feedback.catalogue import OpenConsultations
from bot.core.feedback.service import CASE_MAX_CHARS
from bot.core.knowledge.model import Entry
from bot.core.messages import Button

if TYPE_CHECKING:
    from bot.core.dialog.context import Context

Rows = tuple[tuple[Button, ...], ...]


def helpful_rows(ctx: Context, entry_id: str) -> Rows:
    return ((Button(ctx.t("fb.helpful_up"), A.helpful(entry_id, True)),
             Button(ctx.t("fb.helpful_down"), A.helpful(entry_id, False))),)


def consultation_rows(ctx: Context, entry: Entry) -> Rows:
    """A "📝 Survey: …" button under an answer about a policy: opens the consultation the entry names (its intro and
    first question, or the "answer again?" step for a resident who already answered it). Nothing while that
    consultation is closed."""
    if entry.consultation is None:
        return ()
    consultation = ctx.knowledge.derived(OpenConsultations).get(entry.consultation)
    if consultation is None:
        return ()
    return ((Button(label(ctx.t("fb.entry_consultation", title=button_title(consultation, ctx.lang))),
                    A.action(A.CHOOSE, consultation.id)),),)


def case_rows(ctx: Context) -> Rows:
    return ((Button(ctx.t("fb.case_button"), A.CASE),),)


def case_draft(question: str) -> dict[str, object]:
    """Flow data that lets the "send to staff" button find the question. Only what a case may hold is kept, with
    the real length, so an over-long question is refused with a clear message rather than cut unnoticed."""
    return {"case_question": question[:CASE_MAX_CHARS], "case_length": len(question)}
