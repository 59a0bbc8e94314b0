"""After submitting: /mystatus, rating a staff reply, and /forget_me. None of these moves the resident: they can
be used in the middle of any flow."""
from __future__ import annotations

from html import escape

from bot.core.dialog import qa
from bot.core.dialog.context import Context
from bot.core.errors import LimitExceeded
from bot.core.feedback import actions as A
from bot.core.feedback import views
from bot.core.messages import Reply


async def my_status(ctx: Context) -> list[Reply]:
    """``/mystatus``: the resident's submissions and cases, newest first, with their state and staff replies.
    ``/mystatus FB-…`` shows one submission by its number: the way to follow an anonymous one."""
    service = ctx.deps.feedback
    typed = ctx.arg.strip()
    if not typed:
        return [views.status_reply(ctx.knowledge.kb, await service.mine(ctx.incoming.user), ctx.t, ctx.lang)]
    try:
        # Lower case, spaces, and I/L/O for 1/0 are the same number; a linked submission is shown only to its own
        # resident, an unlinked one only by a full-strength number; misses are limited per resident.
        submission = await service.look_up_for(ctx.incoming.user, typed)
    except LimitExceeded as limited:
        return [Reply(html=ctx.t(limited.text_key, **limited.params))]
    if submission is None:
        return [Reply(html=ctx.t("fb.status_not_found", reference=escape(typed[:40])))]
    return [Reply(html=views.submission_lines(ctx.knowledge.kb, submission, ctx.t, ctx.lang, full=True))]


async def rate(ctx: Context) -> list[Reply]:
    """``fr:REPLY:SCORE`` under a staff reply: store the 1-5 rating (pressing again changes it). A reply that is
    not on the resident's own submission, or a score out of range, is treated as a stale button."""
    service = ctx.deps.feedback
    reply_id, _, score = ctx.arg.partition(":")
    if not reply_id.isdigit() or score not in ("1", "2", "3", "4", "5"):
        return qa.stale(ctx)
    if not await service.rate(ctx.incoming.user, int(reply_id), int(score)):
        return qa.stale(ctx)
    return [Reply(html=ctx.t("fb.rated", score=int(score)))]


async def forget_prompt(ctx: Context) -> list[Reply]:
    """``/forget_me``: explain what will be deleted and ask to confirm (``ffg:y`` / ``ffg:n``)."""
    return [Reply(html=ctx.t("fb.forget_prompt"),
                  buttons=views.yes_no(ctx.t, A.FORGET, "fb.forget_yes", "fb.forget_no"))]


async def forget(ctx: Context) -> list[Reply]:
    """``ffg:y``: delete contact details, unlink submissions and delete the dialog state. The handler leaves
    ``ctx.state`` untouched on purpose: the Assistant saves state only when a handler changed it, so the deleted
    row stays deleted. ``ffg:n`` deletes nothing."""
    service = ctx.deps.feedback
    if ctx.arg == A.NO:
        return [Reply(html=ctx.t("fb.forget_kept"), replace=True)]
    if ctx.arg != A.YES:
        return qa.stale(ctx)
    consultations = ctx.knowledge.kb.consultations
    typed = {c.id: [q.id for q in c.questions if q.type == "text"] for c in consultations}
    count = await service.forget_me(ctx.incoming.user, [c.id for c in consultations], typed,
                                    also=ctx.deps.erasers)
    return [Reply(html=ctx.t("fb.forgotten", count=count), replace=True)]
