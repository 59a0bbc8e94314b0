"""The PTB callbacks: every update is translated, handed to the core, and the core's replies are sent back.

There is no ``ConversationHandler``: where a resident is in a flow lives in the core's SQLite store, so the bot
carries on after a restart. One handler takes every message, one every button press, one logs and apologises
for errors. Reminders and the staff jobs run from the scheduler every front end starts (``bot.core.jobs``).
"""
from __future__ import annotations

import inspect
import logging
from typing import Protocol

from telegram import Message, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.adapters.telegram.incoming import incoming_from_update
from bot.adapters.telegram.logs import exception_outline
from bot.adapters.telegram.render import Origin, deliver
from bot.adapters.telegram.services import services_of
from bot.core.language import choose_lang

logger = logging.getLogger(__name__)

#: Said only when the core offers no wording of its own (an assistant without ``error_text``).
FALLBACK_ERROR_TEXT = "抱歉，系統暫時出了問題，請稍後再試。\nSorry, something went wrong on our side. Please try again."


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A resident typed text or a command, shared a location, or sent something else (a sticker, a photo, …).

    The core answers every one of them (an answer, suggestions, a menu, or a "please type your question" for
    things it cannot read); the replies go back to this chat. Next: the resident types again or presses one of
    the buttons of the reply, which ``on_button`` handles.
    """
    services = services_of(context)
    incoming = incoming_from_update(update, services.settings.staff_ids, bot_username(context.bot))
    if incoming is None:  # a service message ("X joined the group"): nothing to answer
        return
    replies = await services.assistant.handle(incoming)
    await deliver(context.bot, replies, Origin(update.effective_chat.id))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A resident pressed an inline button: its callback data goes to the core as an action.

    The query is answered first, always, so the client stops its progress spinner even when the core is slow or
    fails. Replies marked ``replace`` edit the message whose button was pressed (moving through a menu in place);
    the others are sent as new messages. Next: more buttons on the new or edited message, or typed text.
    """
    query = update.callback_query
    try:
        await query.answer()
    except TelegramError as exc:
        # Too old (e.g. pressed while the bot was down) or Telegram is unwell: the press still deserves a reply.
        logger.info("could not answer callback query: %s", exc)
    services = services_of(context)
    incoming = incoming_from_update(update, services.settings.staff_ids, bot_username(context.bot))
    if incoming is None:
        return
    # An inaccessible message (older than 48 h) cannot be edited; the reply then arrives as a new message.
    pressed = query.message if isinstance(query.message, Message) else None
    chat_id = pressed.chat_id if pressed else query.from_user.id
    replies = await services.assistant.handle(incoming)
    await deliver(context.bot, replies, Origin(chat_id, pressed))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handling an update failed: log the exception with what the resident did, then apologise in their language.

    Nothing is retried: the core saves state only after a successful step, so the resident can simply try again.
    Next: the resident's next message is handled as usual.
    """
    error = context.error
    if not isinstance(update, Update):
        logger.error("error outside an update", exc_info=error)
        return
    services = services_of(context)
    incoming = incoming_from_update(update, services.settings.staff_ids, bot_username(context.bot))
    chat = update.effective_chat
    if isinstance(error, Forbidden):
        logger.info("update %s: the resident has blocked the bot (%s)", update.update_id, error)
        return
    if logger.isEnabledFor(logging.DEBUG) or error is None:
        logger.error("update %s from %s in chat %s (%s) failed", update.update_id,
                     incoming.user if incoming else "?", chat.id if chat else "?", describe(update), exc_info=error)
    else:  # the exception's message may quote the resident's words: only its type and where, above DEBUG
        logger.error("update %s from %s in chat %s (%s) failed:\n%s", update.update_id,
                     incoming.user if incoming else "?", chat.id if chat else "?", describe(update),
                     exception_outline(error))
    if chat is None:
        return
    lang = choose_lang(incoming.text if incoming else None, incoming.language_code if incoming else None, None)
    error_text = getattr(services.assistant, "error_text", None)
    try:
        text = error_text(lang) if callable(error_text) else FALLBACK_ERROR_TEXT
        if inspect.isawaitable(text):
            text = await text
        await context.bot.send_message(chat.id, text)
    except Exception as exc:  # an error handler must not fail in turn
        logger.warning("could not send the apology for update %s either: %s", update.update_id, exc)


class NamedBot(Protocol):
    """What ``bot_username`` reads of a bot (``telegram.Bot``, or a test's stand-in)."""

    @property
    def username(self) -> str: ...


def bot_username(bot: NamedBot) -> str | None:
    """The bot's @username (known once ``getMe`` has answered), for group mentions and private-chat links."""
    try:
        return bot.username
    except Exception:  # noqa: BLE001 - not initialised yet: no username
        return None


def describe(update: Update) -> str:
    """What the update was, for logs, without the resident's words (they may be personal)."""
    if update.callback_query is not None:
        return f"button {update.callback_query.data!r}"
    message = update.message
    if message is None:
        return "other update"
    if message.text is not None:
        return f"text of {len(message.text)} characters" + (", a command" if message.text.startswith("/") else "")
    if message.location is not None:
        return "location"
    return "message without text"
