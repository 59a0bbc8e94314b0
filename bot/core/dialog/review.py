"""``/review``: staff walk through new submissions and cases one at a time and act on each — mark it in review,
reply (the next message goes to the resident under the reference number, who is asked to rate it), close, or go
to the next one.

Staff rows only (see ``staff.py``): the Assistant lets only STAFF_IDS through, on every message. Buttons carry the
reference number (``rv:VERB:REFERENCE``), so a card keeps working after a restart; only "reply" keeps state (the
reference waiting for the reply text). Status changes and replies are written to the audit log.
"""
from __future__ import annotations

from html import escape

from bot.core.dialog import qa
from bot.core.dialog.context import Context
from bot.core.dialog.router import IDLE, Router
from bot.core.errors import LimitExceeded
from bot.core.feedback.model import Status, Submission
from bot.core.feedback.references import ANY_REFERENCE as REFERENCE
from bot.core.feedback.references import normalize
from bot.core.feedback.service import REPLY_MAX_CHARS, FeedbackService, UnknownReference
from bot.core.feedback.survey import InvalidAnswer
from bot.core.messages import Button, Reply
from bot.core.staff import review as R
from bot.core.staff.tools import StaffTools

#: The staff member's next message is the reply to ``data["ref"]``.
REPLY_STATE = "review_reply"
STATUS_ACTION = "feedback.status"
REPLY_ACTION = "feedback.reply"
VERBS = (R.IN_REVIEW, R.REPLY, R.CLOSE, R.NEXT, R.CANCEL_REPLY, R.CLOSE_CONFIRMED, R.BACK)


async def begin(ctx: Context) -> list[Reply]:
    """``/review``: the oldest new submission or case as a card with its buttons (or "nothing waiting");
    ``/review FB-…`` opens that one whatever its state. Leaves a reply being written. Next: a card button."""
    service = ctx.deps.feedback
    if ctx.state.state == REPLY_STATE:
        ctx.goto(IDLE, {})
    typed = ctx.arg.strip()
    wanted = (normalize(typed) or typed.upper()) if typed else ""  # fb2026…, full-width digits: the same number
    if wanted:
        if not REFERENCE.fullmatch(wanted):
            return [Reply(html=ctx.t("review.usage"))]
        submission = await service.lookup(wanted)
        if submission is None:
            return [Reply(html=ctx.t("review.not_found", reference=escape(wanted)))]
        item = R.QueueItem(submission, await service.store.count_in_status(R.WAITING))
    else:
        waiting = await R.first_waiting(service.store)
        if waiting is None:
            return [Reply(html=ctx.t("review.empty"))]
        item = waiting
    return [await _card(ctx, service, item)]


async def button(ctx: Context) -> list[Reply]:
    """``rv:ir|re|cl|nx|cx|cy|bk:REFERENCE``: mark in review (the card is updated in place), reply (asks for the
    text: the next message), close (with no reply yet: asks first, ``cy`` confirms and ``bk`` shows the card
    again; then the next waiting item follows), next (the card is replaced by the next waiting item), cancel a
    reply being written. Forged or malformed data is a stale button. Next: another button, or the reply text."""
    service, tools = ctx.deps.feedback, ctx.deps.staff
    verb, _, reference = ctx.arg.partition(":")
    if verb not in VERBS or not REFERENCE.fullmatch(reference):
        return qa.stale(ctx)
    submission = await service.lookup(reference)
    if submission is None:
        return [Reply(html=ctx.t("review.not_found", reference=escape(reference)))]
    if verb == R.CANCEL_REPLY:
        if ctx.state.state != REPLY_STATE:
            return qa.stale(ctx)
        ctx.goto(IDLE, {})
        return [Reply(html=ctx.t("review.reply_cancelled", reference=escape(reference)), replace=True)]
    if ctx.state.state == REPLY_STATE:
        ctx.goto(IDLE, {})  # any other button on a card abandons the reply being written
    if verb == R.REPLY:
        ctx.goto(REPLY_STATE, {"ref": reference})
        text = ctx.t("review.reply_prompt", reference=escape(reference), max=REPLY_MAX_CHARS)
        if not submission.linked:
            text += "\n\n" + ctx.t("review.unlinked")
        cancel = ((Button(ctx.t("review.button_cancel_reply"), R.action(R.CANCEL_REPLY, reference)),),)
        return [Reply(html=text, buttons=cancel)]
    if verb == R.BACK or (verb == R.CLOSE and submission.status == "closed"):
        waiting = await service.store.count_in_status(R.WAITING)
        return [await _card(ctx, service, R.QueueItem(submission, waiting), replace=True)]
    if verb == R.CLOSE and not submission.replies:
        # Closing unanswered leaves the resident with nothing: make it a decision, not a slip of the finger.
        return [Reply(html=ctx.t("review.close_confirm", reference=escape(reference)),
                      buttons=R.close_confirm_buttons(submission, ctx.t), replace=True)]
    if verb == R.IN_REVIEW:
        if submission.status == "received":
            submission = await _set_status(ctx, service, tools, submission, "in_review")
        waiting = await service.store.count_in_status(R.WAITING)
        return [await _card(ctx, service, R.QueueItem(submission, waiting), replace=True)]
    if verb in (R.CLOSE, R.CLOSE_CONFIRMED):
        if submission.status != "closed":
            submission = await _set_status(ctx, service, tools, submission, "closed")
        done = Reply(html=ctx.t("review.closed", reference=escape(reference)), replace=True)
        return [done, await _next_or_end(ctx, service, submission)]
    return [await _next_or_end(ctx, service, submission, replace=True)]


async def reply_text(ctx: Context) -> list[Reply]:
    """The reply (the message after pressing "reply"): stored under the reference, sent to the resident in their
    language with 1-5 rating buttons (anonymous or unlinked: only stored, visible with ``/mystatus FB-…``), and
    audited; then the next waiting item. Too long or empty: say so and keep waiting. Next: a card button."""
    service, tools = ctx.deps.feedback, ctx.deps.staff
    reference = str(ctx.data.get("ref") or "")
    if not reference:
        ctx.goto(IDLE, {})
        return qa.stale(ctx)
    try:
        to_resident = await service.reply(reference, ctx.arg)
    except (LimitExceeded, InvalidAnswer) as refused:
        return [Reply(html=ctx.t(refused.text_key, **refused.params))]
    except UnknownReference:
        ctx.goto(IDLE, {})
        return [Reply(html=ctx.t("review.not_found", reference=escape(reference)))]
    ctx.goto(IDLE, {})
    length = len(ctx.arg.strip())
    outcome = "sent to the resident" if to_resident else "stored only (anonymous or unlinked)"
    await tools.record(ctx.incoming.user, REPLY_ACTION, f"{reference}: {length} characters, {outcome}")
    key = "review.replied" if to_resident else "review.replied_unlinked"
    submission = await service.lookup(reference)
    replies = [Reply(html=ctx.t(key, reference=escape(reference))), *to_resident]
    if submission is not None:
        replies.append(await _next_or_end(ctx, service, submission))
    return replies


async def _set_status(ctx: Context, service: FeedbackService, tools: StaffTools, submission: Submission,
                      status: Status) -> Submission:
    await service.set_status(submission.reference, status)
    await tools.record(ctx.incoming.user, STATUS_ACTION, f"{submission.reference}: {submission.status} → {status}")
    return await service.lookup(submission.reference) or submission


async def _card(ctx: Context, service: FeedbackService, item: R.QueueItem, *, replace: bool = False) -> Reply:
    s = item.submission
    contact = await service.store.contact(s.reference) if s.has_contact else None
    return Reply(html=R.card_html(ctx.knowledge.kb, item, contact, ctx.t, ctx.lang),
                 buttons=R.card_buttons(s, ctx.t), replace=replace)


async def _next_or_end(ctx: Context, service: FeedbackService, current: Submission, *,
                       replace: bool = False) -> Reply:
    """The next waiting item after ``current``, or where the queue stands when there is none."""
    item = await R.waiting_after(service.store, current)
    if item is not None:
        return await _card(ctx, service, item, replace=replace)
    waiting = await service.store.count_in_status(R.WAITING)
    return Reply(html=ctx.t("review.end", count=waiting) if waiting else ctx.t("review.empty"), replace=replace)


router = Router("review")
router.command("review", begin, (IDLE,), staff=True,
               doc="new submissions and cases one at a time; /review FB-… opens one")
router.action(R.PREFIX, button, (IDLE, REPLY_STATE), staff=True,
              doc="mark in review / reply / close / next / cancel the reply")
router.text(REPLY_STATE, reply_text, (IDLE,), staff=True,
            doc="the reply: sent to the resident under the reference, who is asked to rate it")
