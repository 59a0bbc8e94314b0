"""Telegram ``Update`` → the core's ``Incoming``: who the person is and what they did, nothing else."""
from __future__ import annotations

from collections.abc import Collection

from telegram import Message, Update, User

from bot.core.messages import Incoming

#: Message contents the core cannot read, checked in this order; the name tells the core what arrived.
UNSUPPORTED_KINDS = ("sticker", "photo", "animation", "video", "video_note", "voice", "audio", "document",
                     "contact", "poll", "dice", "game", "story", "invoice", "paid_media")


def user_key(user_id: int) -> str:
    """The core's key for a Telegram user (the same in private chats and groups)."""
    return f"tg:{user_id}"


def chat_id_of(key: str) -> int | None:
    """The private chat of a ``tg:<id>`` user key; None for another transport's key."""
    prefix, _, rest = key.partition(":")
    if prefix != "tg" or not rest.lstrip("-").isdigit():
        return None
    return int(rest)


def _person(user: User, staff_ids: Collection[int]) -> dict[str, object]:
    return {"user": user_key(user.id), "language_code": user.language_code, "is_staff": user.id in staff_ids,
            "display_name": user.full_name}


def incoming_from_update(update: Update, staff_ids: Collection[int]) -> Incoming | None:
    """What the person behind ``update`` did, or None when there is nothing to answer (a service message such as
    "X joined the group", or an update without a person)."""
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    if update.callback_query is not None:
        # A callback query without data comes from a game button; the core treats "" as a stale button.
        return Incoming(action=update.callback_query.data or "", **_person(user, staff_ids))
    message = update.message
    if message is None:
        return None
    return incoming_from_message(message, user, staff_ids)


def incoming_from_message(message: Message, user: User, staff_ids: Collection[int]) -> Incoming | None:
    person = _person(user, staff_ids)
    if message.text is not None:
        return Incoming(text=message.text, **person)
    if message.location is not None:
        # A shared venue carries its location too, so it counts as "here I am".
        return Incoming(location=(message.location.latitude, message.location.longitude), **person)
    for kind in UNSUPPORTED_KINDS:
        if getattr(message, kind, None):
            return Incoming(unsupported=kind, **person)
    return None
