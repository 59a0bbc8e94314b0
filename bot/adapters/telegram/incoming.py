"""Telegram ``Update`` → the core's ``Incoming``: who the person is, what they did and where, nothing else.

Every value from outside is made safe here, before the core sees it (python-telegram-bot checks no types):
text becomes valid UTF-8 (a lone surrogate would crash SQLite and the matcher), a location must be two finite
numbers on Earth, callback data must be short ASCII whose numbers fit a 64-bit id. What fails is answered as
something the core cannot read (a location) or as an out-of-date button (callback data), never with a traceback.
"""
from __future__ import annotations

import math
import re
from collections.abc import Collection

from telegram import Message, Update, User
from telegram.constants import ChatType

from bot.core.messages import MAX_ACTION_BYTES, ChatKind, Incoming

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


#: Longest text passed on: Telegram sends at most 4096 characters, so this cuts only what does not come from it,
#: while the core can still tell a resident how much too long a (pasted) text is.
MAX_TEXT = 16_384
_NUMBER = re.compile(r"-?[0-9]+")
_ID_LIMIT = 2 ** 63  # SQLite's integers; a larger number in callback data raised OverflowError in a store


def clean_text(value: object, limit: int = MAX_TEXT) -> str | None:
    """``value`` as text that encodes to UTF-8: lone surrogates become U+FFFD, at most ``limit`` characters."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text[:limit].encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def clean_location(latitude: object, longitude: object) -> tuple[float, float] | None:
    """Two finite numbers within ±90 / ±180, or None."""
    try:
        # Needed: any value of an update may arrive here, and float() itself refuses what it cannot read.
        lat, lon = float(latitude), float(longitude)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def clean_action(data: object) -> str:
    """Callback data the core may parse: printable ASCII, ≤ 64 bytes, every number in it a 64-bit id; else ""
    (which the core answers as an out-of-date button)."""
    if not isinstance(data, str) or len(data) > MAX_ACTION_BYTES or not data.isascii() or not data.isprintable():
        return ""
    if any(_NUMBER.fullmatch(part) and abs(int(part)) >= _ID_LIMIT for part in data.split(":")):
        return ""
    return data


def chat_kind(chat_type: object) -> ChatKind:
    """Private chats are private; a group, supergroup, channel or anything unknown is read by others."""
    return "private" if chat_type == ChatType.PRIVATE else "group"


def _person(user: User, staff_ids: Collection[int]) -> dict[str, object]:
    return {"user": user_key(user.id), "language_code": clean_text(user.language_code, 35),
            "is_staff": user.id in staff_ids, "display_name": clean_text(user.full_name, 256)}


def incoming_from_update(update: Update, staff_ids: Collection[int], bot_username: str | None = None
                         ) -> Incoming | None:
    """What the person behind ``update`` did, or None when there is nothing to answer (a service message such as
    "X joined the group", an update without a person, a command for another bot in a group)."""
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    if update.callback_query is not None:
        query = update.callback_query
        # No message: an inline or very old one; the reply then goes to the private chat.
        chat = getattr(getattr(query, "message", None), "chat", None)
        # A callback query without data comes from a game button; the core treats "" as a stale button.
        return Incoming(action=clean_action(query.data), chat=chat_kind(chat.type if chat else ChatType.PRIVATE),
                        **_person(user, staff_ids))
    message = update.message
    if message is None:
        return None
    return incoming_from_message(message, user, staff_ids, bot_username)


def incoming_from_message(message: Message, user: User, staff_ids: Collection[int],
                          bot_username: str | None = None) -> Incoming | None:
    person = {**_person(user, staff_ids), "chat": chat_kind(message.chat.type)}
    if message.text is not None:
        text = clean_text(message.text) or ""
        if person["chat"] == "group" and bot_username:
            head = text.split(maxsplit=1)[0] if text.strip() else ""
            if head.startswith("/") and "@" in head and head.split("@", 1)[1].lower() != bot_username.lower():
                return None  # /help@other_bot: another bot's command
            # "@district_bot 低保怎麼申請": the mention is how a group addresses the bot, not part of the question
            text = re.sub(rf"(?<!\S)@{re.escape(bot_username)}\b", " ", text, flags=re.IGNORECASE).strip()
        return Incoming(text=text, **person)
    if message.location is not None:
        # A shared venue carries its location too, so it counts as "here I am".
        location = clean_location(message.location.latitude, message.location.longitude)
        if location is None:
            return Incoming(unsupported="location", **person)
        return Incoming(location=location, **person)
    for kind in UNSUPPORTED_KINDS:
        if getattr(message, kind, None):
            return Incoming(unsupported=kind, **person)
    return None
