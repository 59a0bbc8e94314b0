""""🔔 Tell me when there is an answer": a resident the bot could not answer can ask to be told, once, when staff
teach the bot that question (``/teach``; the Cofacts pattern). The notice itself is sent by
``bot.core.staff.teach.Teacher`` when the question is taught."""
from __future__ import annotations

from bot.core.dialog import render
from bot.core.dialog.context import Context
from bot.core.dialog.router import Router
from bot.core.errors import StorageUnavailable
from bot.core.messages import Button, Reply

ACTION = "ntf"
#: Flow data key of the question as it was recorded for staff.
ASKED = "asked"


def notify_rows(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    """The 🔔 button under "not found" / "none of these", when the store can remember the wish."""
    if getattr(ctx.deps.residents, "want_notice", None) is None:
        return ()
    return ((Button(ctx.t("teach.notify_button"), ACTION),),)


async def notify_me(ctx: Context) -> list[Reply]:
    """``ntf``: remember that this resident wants to hear once their last unanswered question is taught.
    Next: they carry on; the notice comes by itself (or never, if staff do not teach it)."""
    question = ctx.data.get(ASKED)
    want = getattr(ctx.deps.residents, "want_notice", None)
    if not question or want is None:
        return render.stale(ctx)
    try:
        noted = await want(ctx.incoming.user, question)
    except StorageUnavailable:
        return [Reply(html=ctx.t("storage_unavailable"))]
    return [Reply(html=ctx.t("teach.notify_set" if noted else "teach.notify_gone"))]


router = Router("notify")
router.action(ACTION, notify_me, doc="🔔 tell me when there is an answer")
