"""Residents subscribing to announcements: ``/subscribe`` (the whole district or one community of the knowledge
base), ``/unsubscribe`` (all of them). Staff send announcements with ``/announce`` (``announce.py``)."""
from __future__ import annotations

from html import escape

from bot.core.dialog import qa, render
from bot.core.dialog.context import Context
from bot.core.dialog.router import Router
from bot.core.messages import Button, Reply
from bot.core.staff.audience import communities, community_token
from bot.core.staff.ports import ALL_COMMUNITIES

#: Button prefix: ``sub:all`` or ``sub:COMMUNITY``.
PREFIX = "sub"


def _names(ctx: Context, keys: list[str]) -> str:
    """The communities ``keys`` as the resident reads them, escaped."""
    known = communities(ctx.knowledge.kb)
    return "、".join(escape(ctx.t("sub.all") if k == ALL_COMMUNITIES else known[k].get(ctx.lang) if k in known else k)
                    for k in keys)


async def subscribe(ctx: Context) -> list[Reply]:
    """``/subscribe``: offer the whole district and each community as buttons (what the resident already gets is
    said first); without communities in the knowledge base, subscribe to everything at once.
    Next: a ``sub:`` button."""
    subscriptions = ctx.deps.subscriptions
    known = communities(ctx.knowledge.kb)
    if not known:
        return await _subscribe(ctx, ALL_COMMUNITIES, replace=False)
    current = await subscriptions.communities_of(ctx.incoming.user)
    intro = ctx.t("sub.current", what=_names(ctx, current)) + "\n\n" if current else ""
    rows: list[tuple[Button, ...]] = [(Button(ctx.t("sub.all"), f"{PREFIX}:all"),)]
    buttons = [Button(render.label(name.get(ctx.lang)), f"{PREFIX}:{community_token(key)}")
               for key, name in known.items()]
    rows.extend(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2))
    return [Reply(html=intro + ctx.t("sub.prompt"), buttons=tuple(rows))]


async def choose(ctx: Context) -> list[Reply]:
    """``sub:all`` or ``sub:TOKEN``: subscribe to that choice (a community no longer in the knowledge base is a
    stale button). Next: more ``/subscribe`` choices, or ``/unsubscribe``."""
    if ctx.arg == "all":
        return await _subscribe(ctx, ALL_COMMUNITIES, replace=True)
    key = next((k for k in communities(ctx.knowledge.kb) if community_token(k) == ctx.arg), None)
    if key is None:
        return qa.stale(ctx)
    return await _subscribe(ctx, key, replace=True)


async def _subscribe(ctx: Context, key: str, *, replace: bool) -> list[Reply]:
    subscriptions = ctx.deps.subscriptions
    await subscriptions.subscribe(ctx.incoming.user, key, ctx.deps.clock())
    return [Reply(html=ctx.t("sub.done", what=_names(ctx, [key])), replace=replace)]


async def unsubscribe(ctx: Context) -> list[Reply]:
    """``/unsubscribe``: stop every announcement for this resident. Next: ``/subscribe`` to start again."""
    subscriptions = ctx.deps.subscriptions
    removed = await subscriptions.unsubscribe(ctx.incoming.user)
    return [Reply(html=ctx.t("unsub.done" if removed else "unsub.none"))]


router = Router("subscriptions")
router.command("subscribe", subscribe, doc="announcements: the whole district or a community")
router.command("unsubscribe", unsubscribe, doc="stop every announcement")
router.action(PREFIX, choose, doc="subscribe to the district or one community")
