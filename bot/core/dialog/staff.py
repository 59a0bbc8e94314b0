"""Staff commands in the chat: ``/staff`` (the list), ``/reload`` (knowledge base), ``/digest`` (weekly digest).

Only the transition table's ``staff=True`` rows lead here, and the Assistant lets only people in STAFF_IDS
through them, on every message; handlers therefore never check again. Every handler says what comes next.
"""
from __future__ import annotations

from bot.core.dialog import qa
from bot.core.dialog.context import Context
from bot.core.dialog.router import Router
from bot.core.i18n import CATALOGUES
from bot.core.messages import Button, Reply
from bot.core.staff.ports import AuditAction
from bot.core.staff.reload import outcome_replies

#: Button prefix: ``digest:on`` / ``digest:off``.
DIGEST = "digest"


async def help_(ctx: Context) -> list[Reply]:
    """``/staff``: every staff command of the transition table with what it does (so commands added later show
    up by themselves). Next: any of those commands."""
    lines = [ctx.t("staff.help")]
    catalogue = CATALOGUES.get(ctx.lang, {})
    for row in ctx.table.staff_commands():
        name = row.trigger.partition(":")[2]
        key = f"staff.cmd.{name}"
        lines.append(f"/{name} — {ctx.t(key) if key in catalogue else row.doc}")
    return [Reply(html="\n".join(lines))]


async def reload(ctx: Context) -> list[Reply]:
    """``/reload``: validate the knowledge directory, run its regression questions, and only then serve it.
    The staff member gets what changed, or every ``FILE:LINE`` problem / failing question while the previous
    knowledge base keeps serving. Next: fix the files and ``/reload`` again, or carry on."""
    tools = ctx.deps.staff
    outcome = await tools.reloader.reload(ctx.incoming.user)
    return outcome_replies(outcome, ctx.t)


async def digest(ctx: Context) -> list[Reply]:
    """``/digest on|off``: opt in to or out of the weekly digest of unanswered questions; ``/digest`` alone shows
    the current setting with on/off buttons. Next: the digest arrives weekly, or a ``digest:`` button."""
    choice = ctx.arg.strip().lower()
    if choice in ("on", "off"):
        return await _set_digest(ctx, choice == "on", replace=False)
    tools = ctx.deps.staff
    enabled = await tools.digests.digest_enabled(ctx.incoming.user)
    buttons = ((Button(ctx.t("staff.button_on"), f"{DIGEST}:on"), Button(ctx.t("staff.button_off"), f"{DIGEST}:off")),)
    return [Reply(html=ctx.t("staff.digest_status_on" if enabled else "staff.digest_status_off"), buttons=buttons)]


async def digest_button(ctx: Context) -> list[Reply]:
    """``digest:on`` / ``digest:off`` button: the same as ``/digest on|off``, answered in place. Next: the
    digest arrives weekly (or stops)."""
    if ctx.arg not in ("on", "off"):
        return qa.stale(ctx)
    return await _set_digest(ctx, ctx.arg == "on", replace=True)


async def _set_digest(ctx: Context, enabled: bool, *, replace: bool) -> list[Reply]:
    tools = ctx.deps.staff
    user = ctx.incoming.user
    await tools.digests.set_digest(user, enabled, ctx.deps.clock())
    await tools.record(user, AuditAction.DIGEST, "on" if enabled else "off")
    return [Reply(html=ctx.t("staff.digest_on" if enabled else "staff.digest_off"), replace=replace)]


router = Router("staff")
router.command("staff", help_, staff=True, doc="the staff commands")
router.command("reload", reload, staff=True, doc="validate, regression-test and swap the knowledge base")
router.command("digest", digest, staff=True, doc="weekly digest of unanswered questions on|off")
router.action(DIGEST, digest_button, staff=True, doc="weekly digest on/off button")
