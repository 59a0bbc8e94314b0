"""Staff announcements: ``/announce`` → the text (next message) → a preview with one "send to …" button per
audience (all subscribers, each community, sources other features add) → a ``Broadcast`` the adapter delivers.

Staff rows only (see ``staff.py``). The flow keeps the text and the audiences offered in the staff member's flow
data, so a button names an audience by its position and the preview can be answered after a restart.
"""
from __future__ import annotations

from html import escape

from bot.core.dialog import qa, render
from bot.core.dialog.context import Context
from bot.core.dialog.router import IDLE, Router
from bot.core.messages import Button, Reply
from bot.core.staff.ports import AuditAction
from bot.core.staff.tools import StaffTools

TEXT = "announce_text"
CONFIRM = "announce_confirm"
#: Button prefixes: ``annsend:AUDIENCE`` (send to that audience), ``anncancel``.
SEND = "annsend"
CANCEL = "anncancel"
#: Longest announcement, in characters: with the header and footer it stays one Telegram message (4096).
MAX_CHARS = 3500
#: Characters of the announcement quoted in the audit log.
AUDIT_QUOTE = 200


def announcement_html(text: str) -> str:
    """What subscribers receive: the staff member's text (escaped) and how to stop receiving announcements."""
    return f"📢 {escape(text)}\n\n<i>/unsubscribe</i>"


async def begin(ctx: Context) -> list[Reply]:
    """``/announce``: ask for the text (the next message); ``/announce TEXT`` goes straight to the preview.
    Next: the text, or ``/cancel``."""
    tools = ctx.deps.staff
    if ctx.arg.strip():
        return await _preview(ctx, tools, ctx.arg.strip())
    ctx.goto(TEXT, {})
    return [Reply(html=ctx.t("staff.announce_prompt", max=MAX_CHARS))]


async def compose(ctx: Context) -> list[Reply]:
    """The announcement text (or, at the preview, a replacement): show the preview and the audiences.
    Next: an ``annsend:N`` button, another text, ``anncancel`` or ``/cancel``."""
    tools = ctx.deps.staff
    return await _preview(ctx, tools, ctx.arg.strip())


async def _preview(ctx: Context, tools: StaffTools, text: str) -> list[Reply]:
    if not text or len(text) > MAX_CHARS:
        ctx.goto(TEXT, {})
        if not text:
            return [Reply(html=ctx.t("staff.announce_prompt", max=MAX_CHARS))]
        return [Reply(html=ctx.t("staff.announce_too_long", length=len(text), max=MAX_CHARS))]
    options = []
    for source in tools.audiences:
        options.extend(await source.options(ctx.knowledge.kb, ctx.t, ctx.lang))
    ctx.goto(CONFIRM, {"text": text, "options": [[o.source, o.key, o.name] for o in options]})
    buttons = [Button(render.label(ctx.t("staff.announce_to", audience=o.name, count=o.count)), f"{SEND}:{i}")
               for i, o in enumerate(options)]
    # The first audience (everyone) on a row of its own, the narrower ones two by two.
    rows = tuple((b,) for b in buttons[:1]) + tuple(tuple(buttons[i:i + 2]) for i in range(1, len(buttons), 2))
    rows += ((Button(ctx.t("staff.announce_cancel_button"), CANCEL),),)
    return [Reply(html=ctx.t("staff.announce_preview")), Reply(html=announcement_html(text)),
            Reply(html=ctx.t("staff.announce_choose"), buttons=rows)]


async def send(ctx: Context) -> list[Reply]:
    """``annsend:N``: resolve audience N to its recipients now, write the audit entry and hand the adapter the
    ``Broadcast``; its report (delivered/failed) follows when delivery ends. An audience with nobody in it keeps
    the preview open. Next: idle."""
    tools = ctx.deps.staff
    options = ctx.data.get("options") or []
    text = ctx.data.get("text")
    if not text or not ctx.arg.isdigit() or int(ctx.arg) >= len(options):
        return qa.stale(ctx)
    source_name, key, name = options[int(ctx.arg)]
    source = tools.audience_source(source_name)
    if source is None:
        return qa.stale(ctx)
    recipients = await source.recipients(key)
    if not recipients:
        return [Reply(html=ctx.t("staff.announce_nobody", audience=escape(name)))]
    user = ctx.incoming.user
    ctx.goto("idle", {})
    quote = " ".join(text.split())[:AUDIT_QUOTE]
    await tools.record(user, AuditAction.ANNOUNCE, f"to {name}: {len(recipients)} recipients; {quote}")
    broadcast = await tools.announcements.broadcast(user, ctx.lang, recipients, announcement_html(text))
    return [Reply(html=ctx.t("staff.announce_sending", audience=escape(name), count=len(recipients)),
                  replace=True, broadcast=broadcast)]


async def cancel(ctx: Context) -> list[Reply]:
    """``anncancel``: discard the announcement being composed. Next: idle."""
    if ctx.state.state not in (TEXT, CONFIRM):
        return qa.stale(ctx)
    ctx.goto("idle", {})
    return [Reply(html=ctx.t("staff.announce_cancelled"), replace=True)]


router = Router("announcements")
router.command("announce", begin, (TEXT, CONFIRM), staff=True, doc="compose an announcement to subscribers")
router.text(TEXT, compose, (CONFIRM,), staff=True, doc="the announcement text: preview + audiences")
router.text(CONFIRM, compose, (CONFIRM, TEXT), staff=True, doc="a replacement text: preview again")
router.action(SEND, send, (IDLE,), state=CONFIRM, staff=True, doc="send to the chosen audience (a Broadcast)")
router.action(CANCEL, cancel, (IDLE,), staff=True, doc="discard the announcement")
