"""Staff review of what residents sent: the queue of new submissions and cases, and one item shown as a card.

The queue is every submission and case still ``received`` or ``in_review``, oldest first; staff walk through it one
item at a time (``bot.core.dialog.review``). A card shows what staff need to act — the consultation's title or the
case's question, every answer with its question text and option labels, the date, the reference number, the
replies so far, contact details the resident consented to leave — and never the resident's user key: replies go
through the bot (``FeedbackService.reply``).
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from bot.core.dialog.render import text_of
from bot.core.feedback import views
from bot.core.feedback.model import Status, Submission
from bot.core.feedback.ports import FeedbackStore
from bot.core.i18n import Texts
from bot.core.knowledge.model import KnowledgeBase
from bot.core.language import Lang
from bot.core.messages import Button
from bot.core.staff.digest import DISTRICT_TZ

#: What "new" means for /review: not yet answered or closed.
WAITING: tuple[Status, ...] = ("received", "in_review")
#: Button actions: ``rv:VERB:REFERENCE`` (references are at most 23 ASCII characters: every action fits in 64 bytes).
PREFIX = "rv"
IN_REVIEW, REPLY, CLOSE, NEXT, CANCEL_REPLY = "ir", "re", "cl", "nx", "cx"
#: Closing without a reply is confirmed (``cy``) or abandoned (``bk``: the card again).
CLOSE_CONFIRMED, BACK = "cy", "bk"
#: Characters of a staff reply quoted on the card (the whole reply went to the resident).
REPLY_QUOTE = 200

Rows = tuple[tuple[Button, ...], ...]


def action(verb: str, reference: str) -> str:
    return f"{PREFIX}:{verb}:{reference}"


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One item of the review queue and how many items wait in all (this one included)."""

    submission: Submission
    waiting: int


async def first_waiting(store: FeedbackStore) -> QueueItem | None:
    """The oldest item still waiting for staff."""
    found = await store.in_status(WAITING, limit=1)
    return QueueItem(found[0], await store.count_in_status(WAITING)) if found else None


async def waiting_after(store: FeedbackStore, current: Submission) -> QueueItem | None:
    """The next waiting item after ``current`` in queue order (None at the end of the queue)."""
    found = await store.in_status(WAITING, after=(current.created_at, current.reference), limit=1)
    return QueueItem(found[0], await store.count_in_status(WAITING)) if found else None


def local_time(kb: KnowledgeBase, submission: Submission) -> str:
    """When it arrived, in district time (anonymous consultations are stored to the hour: ``HH:00``)."""
    return submission.created_at.astimezone(DISTRICT_TZ).strftime("%Y-%m-%d %H:%M")


def card_html(kb: KnowledgeBase, item: QueueItem, contact: str | None, t: Texts, lang: Lang) -> str:
    """The card of one submission or case (escaped HTML)."""
    s = item.submission
    lines = [t("review.header", title=escape(views.submission_title(kb, s, t, lang)),
               reference=escape(s.reference), date=local_time(kb, s), status=t(f"fb.status.{s.status}"))]
    if s.status in WAITING:
        lines[0] += " " + t("review.waiting", count=item.waiting)
    body: list[str] = []
    if s.kind == "case":
        body.append(t("review.case_text", text=escape(s.text or "")))
    else:
        body.extend(_answer_lines(kb, s, t, lang))
    blocks = ["\n".join(lines), "\n".join(body) if body else t("review.no_answers")]
    extras = []
    if contact:
        extras.append(t("review.contact", contact=escape(contact)))
    if not s.linked:
        extras.append(t("review.unlinked"))
    for reply in s.replies:
        text = reply.text if len(reply.text) <= REPLY_QUOTE else reply.text[:REPLY_QUOTE] + "…"
        line = t("review.reply_line", date=reply.created_at.astimezone(DISTRICT_TZ).date().isoformat(),
                 text=escape(text))
        if reply.rating is not None:
            line += " " + t("review.rated", score=reply.rating)
        extras.append(line)
    if extras:
        blocks.append("\n".join(extras))
    return "\n\n".join(blocks)


def _answer_lines(kb: KnowledgeBase, s: Submission, t: Texts, lang: Lang) -> list[str]:
    consultation = next((c for c in kb.consultations if c.id == s.consultation_id), None)
    lines = []
    for answer in sorted(s.answers, key=lambda a: a.position):
        question = consultation.question(answer.question_id) if consultation else None
        if question is None:
            # The question was removed from the YAML since: show the stored value as it is.
            shown = " / ".join(answer.value) if isinstance(answer.value, tuple) else str(answer.value)
            lines.append(t("review.answer_line", prompt=escape(answer.question_id), answer=escape(shown)))
            continue
        lines.append(t("review.answer_line", prompt=escape(text_of(question.prompt, lang)),
                       answer=views.answer_text(question, answer.value, t, lang)))
    return lines


def card_buttons(submission: Submission, t: Texts) -> Rows:
    """Mark in review, reply, close, next — always all four, in the same places, so a button pressed by its
    position (the console's numbers, a thumb on a phone) does what it did on the previous card. A step already
    taken keeps its place with a ✓ label and only shows the card again."""
    ref = submission.reference
    in_review = "review.button_in_review" if submission.status == "received" else "review.button_in_review_done"
    close = "review.button_closed" if submission.status == "closed" else "review.button_close"
    return ((Button(t(in_review), action(IN_REVIEW, ref)), Button(t("review.button_reply"), action(REPLY, ref))),
            (Button(t(close), action(CLOSE, ref)), Button(t("review.button_next"), action(NEXT, ref))))


def close_confirm_buttons(submission: Submission, t: Texts) -> Rows:
    """Back to the card first, closing second: a habitual press of the first button loses nothing."""
    ref = submission.reference
    return ((Button(t("review.button_back"), action(BACK, ref)),
             Button(t("review.button_close_anyway"), action(CLOSE_CONFIRMED, ref))),)
