"""After submitting: /mystatus, rating a staff reply, and /forget_me. None of these moves the resident: they can
be used in the middle of any flow."""
from __future__ import annotations

import re
import unicodedata
from html import escape

from bot.core.dialog import qa
from bot.core.dialog.context import Context
from bot.core.feedback import actions as A
from bot.core.feedback import views
from bot.core.feedback.buttons import service_of
from bot.core.messages import Reply

REFERENCE = re.compile(r"FB-\d{8,20}")
#: What residents type for the dash (or leave out): hyphens and dashes of every width, spaces, underscores.
_SEPARATORS = re.compile(r"[\s_\-\u2010-\u2015\u2212\u30fc\uff0d]+")


def normalize_reference(typed: str) -> str:
    """``fb20261206152105``, ``ＦＢ－２０２６…``, ``Fb 2026…`` → ``FB-20261206152105``: the number as stored.
    Anything that is not FB and digits comes back upper-cased, for the caller to find no match."""
    folded = unicodedata.normalize("NFKC", typed).strip().upper()
    compact = _SEPARATORS.sub("", folded)
    if compact.startswith("FB") and compact[2:].isdigit():
        return f"FB-{compact[2:]}"
    return folded


async def my_status(ctx: Context) -> list[Reply]:
    """``/mystatus``: the resident's submissions and cases, newest first, with their state and staff replies.
    ``/mystatus FB-…`` shows one submission by its number: the way to follow an anonymous one."""
    service = service_of(ctx)
    if service is None:
        return [Reply(html=ctx.t("fb.unavailable"))]
    typed = ctx.arg.strip()
    wanted = normalize_reference(typed)  # "fb2026…", full-width digits: the same number
    if not wanted:
        return [views.status_reply(ctx.knowledge.kb, await service.mine(ctx.incoming.user), ctx.t, ctx.lang)]
    submission = await service.lookup(wanted) if REFERENCE.fullmatch(wanted) else None
    if submission is not None and submission.linked:
        # A linked submission is shown only to its own resident; to anyone else the number does not exist.
        mine = {s.reference for s in await service.mine(ctx.incoming.user, limit=1000)}
        submission = submission if submission.reference in mine else None
    if submission is None:
        return [Reply(html=ctx.t("fb.status_not_found", reference=escape(typed[:40])))]
    return [Reply(html=views.submission_lines(ctx.knowledge.kb, submission, ctx.t, ctx.lang, full=True))]


async def rate(ctx: Context) -> list[Reply]:
    """``fr:REPLY:SCORE`` under a staff reply: store the 1-5 rating (pressing again changes it). A reply that is
    not on the resident's own submission, or a score out of range, is treated as a stale button."""
    service = service_of(ctx)
    reply_id, _, score = ctx.arg.partition(":")
    if service is None or not reply_id.isdigit() or score not in ("1", "2", "3", "4", "5"):
        return qa.stale(ctx)
    if not await service.rate(ctx.incoming.user, int(reply_id), int(score)):
        return qa.stale(ctx)
    return [Reply(html=ctx.t("fb.rated", score=int(score)))]


async def forget_prompt(ctx: Context) -> list[Reply]:
    """``/forget_me``: explain what will be deleted and ask to confirm (``ffg:y`` / ``ffg:n``)."""
    if service_of(ctx) is None:
        return [Reply(html=ctx.t("fb.unavailable"))]
    return [Reply(html=ctx.t("fb.forget_prompt"),
                  buttons=views.yes_no(ctx.t, A.FORGET, "fb.forget_yes", "fb.forget_no"))]


async def forget(ctx: Context) -> list[Reply]:
    """``ffg:y``: delete contact details, unlink submissions and delete the dialog state. The handler leaves
    ``ctx.state`` untouched on purpose: the Assistant saves state only when a handler changed it, so the deleted
    row stays deleted. ``ffg:n`` deletes nothing."""
    service = service_of(ctx)
    if service is None:
        return qa.stale(ctx)
    if ctx.arg == A.NO:
        return [Reply(html=ctx.t("fb.forget_kept"), replace=True)]
    if ctx.arg != A.YES:
        return qa.stale(ctx)
    count = await service.forget_me(ctx.incoming.user, [c.id for c in ctx.knowledge.kb.consultations])
    return [Reply(html=ctx.t("fb.forgotten", count=count), replace=True)]
