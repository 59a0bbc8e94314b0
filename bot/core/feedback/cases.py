"""The Q&A side of feedback: "helpful? 👍/👎" under answers, and sending an unanswered question to staff as a
case with a reference number (answered, tracked and rated like a submission)."""
from __future__ import annotations

from bot.core.dialog import qa
from bot.core.dialog.context import Context
from bot.core.errors import LimitExceeded
from bot.core.feedback.service import CASE_MAX_CHARS
from bot.core.feedback.survey import InvalidAnswer
from bot.core.messages import Reply


async def helpful(ctx: Context) -> list[Reply]:
    """``fh:u:ENTRY`` / ``fh:d:ENTRY``: count a 👍 or 👎 for an answer (no resident id is stored) and thank the
    resident; the resident stays where they were."""
    service = ctx.deps.feedback
    direction, _, token = ctx.arg.partition(":")
    entry = ctx.knowledge.resolve(token) if token else None
    if entry is None or direction not in ("u", "d"):
        return qa.stale(ctx)
    await service.vote(entry.id, direction == "u", ctx.lang)
    return [Reply(html=ctx.t("fb.thanks_up" if direction == "u" else "fb.thanks_down"))]


async def send_case(ctx: Context) -> list[Reply]:
    """``fcase`` under "not found": send the question the resident just asked to staff and give its reference
    number; a cooldown keeps one resident from flooding staff. Next: idle (the reply arrives later)."""
    service = ctx.deps.feedback
    question = ctx.data.get("case_question")
    if not question:
        return [Reply(html=ctx.t("fb.case_nothing"))]
    length = int(ctx.data.get("case_length", len(question)))
    try:
        if length > CASE_MAX_CHARS:
            raise LimitExceeded("fb.too_long", length=length, limit=CASE_MAX_CHARS)
        reference = await service.open_case(ctx.incoming.user, question, ctx.lang)
    except (LimitExceeded, InvalidAnswer) as refused:
        return [Reply(html=ctx.t(refused.text_key, **refused.params))]
    ctx.goto("idle", {})
    return [Reply(html=ctx.t("fb.case_sent", reference=reference))]
