"""``/menu`` in the middle of a consultation: ask before throwing the answers away.

Without this row ``/menu`` took the resident to the category menu and the survey's answers were gone without a
word. Now the survey stays where it is until the resident chooses: continue (the step is shown again) or leave
(nothing saved, the menu follows).
"""
from __future__ import annotations

from html import escape

from bot.core.dialog import qa, render
from bot.core.dialog.context import Context
from bot.core.dialog.render import text_of
from bot.core.feedback import actions as A
from bot.core.feedback import flow
from bot.core.messages import Button, Reply

#: The states of a consultation under way (where ``/menu`` asks first).
SURVEY_STATES = (flow.QUESTION, flow.SUMMARY, flow.CONSENT, flow.CONTACT, flow.REPLACE)
CONTINUE, LEAVE = "c", "m"


async def menu_asked(ctx: Context) -> list[Reply]:
    """``/menu`` during a consultation: the answers are kept; continue or leave? Next: ``fmn:c`` / ``fmn:m``."""
    consultation = flow._consultation(ctx, ctx.data.get("c"))
    if consultation is None:
        return await qa.menu(ctx)
    buttons = ((Button(ctx.t("fb.menu_continue"), A.action(A.MENU_PAUSE, CONTINUE)),
                Button(ctx.t("fb.menu_leave"), A.action(A.MENU_PAUSE, LEAVE))),)
    return [Reply(html=ctx.t("fb.menu_pause", title=escape(text_of(consultation.title, ctx.lang))),
                  buttons=buttons)]


async def menu_decision(ctx: Context) -> list[Reply]:
    """``fmn:c``: the step the resident was at, again; ``fmn:m``: leave the consultation (nothing saved) and show
    the category menu. Next: the survey's buttons, or a category."""
    if ctx.arg == CONTINUE:
        return flow.step_again(ctx)
    if ctx.arg == LEAVE:
        ctx.goto(flow.IDLE, {})
        return [Reply(html=ctx.t("fb.cancelled"), replace=True),
                render.category_menu(ctx.knowledge.kb, ctx.t, ctx.lang)]
    return qa.stale(ctx)
