"""The core's ``Reply`` objects → Bot API calls.

One reply becomes, in this order: its text (split below Telegram's limit, the inline keyboard on the last part),
its image (``sendPhoto``), its document (``sendDocument``) and its venue (``sendVenue``). A reply with
``replace=True`` answering a button press edits the pressed message instead, when it fits in one message; if
Telegram refuses the edit (not modified, too old, not a text message) the reply is sent as a new message.
Replies addressed to another person (``to="tg:<id>"``) go to that person's private chat; one of them having blocked
the bot does not stop the others.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden

from bot.adapters.telegram.broadcast import start_broadcast
from bot.adapters.telegram.html_split import MAX_CAPTION, split_html, visible_length
from bot.adapters.telegram.incoming import chat_id_of
from bot.core.messages import Button, Reply

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Origin:
    """Where the update being answered came from: the chat, and the bot message whose button was pressed."""

    chat_id: int
    pressed: Message | None = None


def keyboard(rows: Sequence[Sequence[Button]], username: str | None = None) -> InlineKeyboardMarkup | None:
    """Inline keyboard for the core's button rows (URL buttons open a link; ``private`` ones the private chat with
    the bot ``username``, dropped while it is unknown; the others send their action back)."""
    markup = [[_button(b, username) for b in row if b.private is None or username] for row in rows]
    markup = [row for row in markup if row]
    return InlineKeyboardMarkup(markup) if markup else None


def private_link(username: str, payload: str) -> str:
    """Telegram's deep link: opens the private chat with the bot, which receives ``/start <payload>``."""
    return f"https://t.me/{username}" + (f"?start={payload}" if payload else "")


def _button(button: Button, username: str | None) -> InlineKeyboardButton:
    if button.url:
        return InlineKeyboardButton(button.label, url=button.url)
    if button.private is not None and username:
        return InlineKeyboardButton(button.label, url=private_link(username, button.private))
    return InlineKeyboardButton(button.label, callback_data=button.action)


async def deliver(bot: Bot, replies: Sequence[Reply], origin: Origin | None) -> None:
    """Send ``replies`` in order. Errors sending to the person who wrote propagate (the error handler apologises);
    errors sending to someone else are logged and skipped."""
    pressed = origin.pressed if origin else None
    for reply in replies:
        if reply.broadcast is not None:
            # An announcement: delivered in the background (minutes at Telegram's pace); its report is sent when
            # it ends. The reply's own text ("sending to N …") is shown below as usual.
            start_broadcast(bot, reply.broadcast, lambda report: deliver(bot, report, None))
        if reply.to is None:
            if origin is None:
                logger.error("reply without a recipient outside an update; dropped")
                continue
            editable = pressed if reply.replace else None
            if await send_reply(bot, reply, origin.chat_id, editable):
                pressed = None  # the pressed message now shows this reply; a later one must not overwrite it
            continue
        chat_id = chat_id_of(reply.to)
        if chat_id is None:
            logger.warning("reply addressed to %r, which is not a Telegram user; dropped", reply.to)
            continue
        try:
            await send_reply(bot, reply, chat_id, None)
        except Forbidden:
            logger.info("%s has blocked the bot; reply not delivered", reply.to)
        except BadRequest as exc:
            logger.warning("reply to %s not delivered: %s", reply.to, exc.message)


async def send_reply(bot: Bot, reply: Reply, chat_id: int, editable: Message | None) -> bool:
    """Show one reply in ``chat_id``; returns True when it was shown by editing ``editable``."""
    markup = keyboard(reply.buttons, _username(bot) if any(b.private is not None for r in reply.buttons for b in r)
                      else None)
    parts = split_html(reply.html)
    # The keyboard rides on the last message of the reply, whatever kind that is.
    last_kind = "venue" if reply.venue else "document" if reply.document else "image" if reply.image else "text"
    edited = False
    for i, part in enumerate(parts):
        part_markup = markup if last_kind == "text" and i == len(parts) - 1 else None
        if i == 0 and editable is not None and len(parts) == 1 and await _edit(bot, editable, part, part_markup):
            edited = True
            continue
        await bot.send_message(chat_id, part, reply_markup=part_markup)
    if reply.image:
        await _send_file(bot, chat_id, "photo", reply.image.png, reply.image.filename, reply.image.caption,
                         markup if last_kind == "image" else None)
    if reply.document:
        await _send_file(bot, chat_id, "document", reply.document.content, reply.document.filename,
                         reply.document.caption, markup if last_kind == "document" else None)
    if reply.venue:
        v = reply.venue
        await bot.send_venue(chat_id, latitude=v.lat, longitude=v.lon, title=v.title, address=v.address,
                             reply_markup=markup if last_kind == "venue" else None)
    if not parts and last_kind == "text" and markup is not None:
        logger.warning("reply with buttons but no text cannot be shown in Telegram; dropped")
    return edited


def _username(bot: Bot) -> str | None:
    try:
        return bot.username
    except RuntimeError:  # not initialised (no getMe answer yet)
        return None


async def _edit(bot: Bot, message: Message, html: str, markup: InlineKeyboardMarkup | None) -> bool:
    try:
        await bot.edit_message_text(html, chat_id=message.chat_id, message_id=message.message_id,
                                    reply_markup=markup)
    except BadRequest as exc:
        # "message is not modified", "message can't be edited", "there is no text in the message to edit", …:
        # the resident still gets the reply, as a new message.
        logger.debug("edit refused (%s); sending instead", exc.message)
        return False
    return True


async def _send_file(bot: Bot, chat_id: int, kind: str, content: bytes, filename: str, caption: str,
                     markup: InlineKeyboardMarkup | None) -> None:
    # A caption over Telegram's 1024 characters follows the file as ordinary text messages instead.
    fits = visible_length(caption) <= MAX_CAPTION
    send = bot.send_photo if kind == "photo" else bot.send_document
    file_markup = markup if fits or not caption.strip() else None
    await send(chat_id, content, caption=caption if fits and caption.strip() else None, filename=filename,
               reply_markup=file_markup)
    if not fits:
        parts = split_html(caption)
        for i, part in enumerate(parts):
            await bot.send_message(chat_id, part, reply_markup=markup if i == len(parts) - 1 else None)
