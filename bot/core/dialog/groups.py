"""Chats others read (groups, supergroups, channels): knowledge questions at most, everything else in private.

A resident's reference numbers, a staff reply, a survey answer, a phone number or the staff tools must never show
where other people read along. So in a group the core

- answers a typed question from the knowledge base, as in private, but without buttons that would start anything
  personal there: "did you mean" and related entries become links to the private chat that open that entry, and
  one more link continues in private;
- answers every other command or button with a link to the private chat (``Button.private``); the link carries
  what was asked (``/mystatus`` → ``/start do_mystatus``, which the private chat runs as ``/mystatus``);
- refuses staff commands and unknown commands alike, with the unknown-command reply (not even a link);
- never saves the resident's state: a flow half-way in private is neither continued nor disturbed by what they
  type in a group.

The adapter says which kind of chat a message came from (``Incoming.chat``); the decision is here, so every
transport gets the same rule.
"""
from __future__ import annotations

from bot.core.dialog import qa, render, table
from bot.core.dialog.context import Context
from bot.core.messages import PRIVATE_PAYLOAD, Button, Reply

#: Commands a private-chat link can carry (``/start do_<name>``); others open the private chat at ``/start``.
RESUMABLE = ("menu", "help", "language", "feedback", "mystatus", "subscribe", "unsubscribe", "forget_me", "cancel",
             "near", "book", "mybookings")
RESUME_PREFIX = "do_"


def resumed(trigger: str, arg: str) -> tuple[str, str]:
    """In a private chat, ``/start do_mystatus`` (from a group's link) is ``/mystatus``; anything else unchanged."""
    if trigger == "command:start" and arg.startswith(RESUME_PREFIX) and arg[len(RESUME_PREFIX):] in RESUMABLE:
        return f"command:{arg[len(RESUME_PREFIX):]}", ""
    return trigger, arg


async def answer(ctx: Context, trigger: str) -> list[Reply]:
    """What the bot says in a group to ``trigger``; the caller saves nothing."""
    if trigger == "text":
        replies = await qa.question(ctx)
        return [_public(reply, ctx) for reply in replies if reply.to is None]
    if trigger.startswith("command:"):
        name = trigger.removeprefix("command:")
        row = table.find(table.ANY, trigger)
        if row is None or row.staff:
            return await qa.unknown_command(ctx)
        if name == "start":
            payload = ctx.arg.strip()
            return [_to_private(ctx, payload if PRIVATE_PAYLOAD.fullmatch(payload) else "")]
        return [_to_private(ctx, RESUME_PREFIX + name if name in RESUMABLE else "")]
    if trigger == "action:e":
        # An entry button (from a message the bot sent before this rule, or forged): open the entry in private.
        entry = ctx.knowledge.resolve(ctx.arg)
        return [_to_private(ctx, _entry_payload(entry.id) if entry else "")]
    return [_to_private(ctx, "")]  # any other button, a location, a sticker …


def _to_private(ctx: Context, payload: str) -> Reply:
    return Reply(html=ctx.t("group.private_only"), buttons=((Button(ctx.t("group.open_private"), private=payload),),))


def _entry_payload(entry_id: str) -> str:
    return entry_id if PRIVATE_PAYLOAD.fullmatch(entry_id) else ""


def _public(reply: Reply, ctx: Context) -> Reply:
    """``reply`` fit for a group: entry buttons become private-chat links to the entry, every other button (a
    survey, "send to staff", 👍/👎, the menu) is dropped, and a link to continue in private is added."""
    rows: list[tuple[Button, ...]] = []
    for row in reply.buttons:
        kept = []
        for button in row:
            if button.url or button.private is not None:
                kept.append(button)
            elif (button.action.partition(":")[0] == render.ENTRY
                  and (entry := ctx.knowledge.resolve(button.action.partition(":")[2]))):
                kept.append(Button(button.label, private=_entry_payload(entry.id)))
        if kept:
            rows.append(tuple(kept))
    rows.append((Button(ctx.t("group.open_private"), private=""),))
    return Reply(html=reply.html, buttons=tuple(rows), venue=reply.venue, image=reply.image, document=None)
