"""Polling that one bad update cannot stop.

python-telegram-bot parses a whole ``getUpdates`` batch at once; when one update lacks a field the Bot API
requires (a ``poll`` without ``options``, say), the batch raises, the Updater never learns the update ids, asks for
the same batch again at once, forever (thousands of polls a second), and every resident behind the bad update is
never answered — while each attempt logs the whole batch, the residents' words and names included, at CRITICAL.

``ParsingBot`` keeps the raw batch of the last ``getUpdates``; when parsing it fails, it parses the updates one by
one, logs each it cannot parse once (its id, never its content) and hands the Updater an empty ``Update`` with that
id in its place: the Updater then confirms it (offset advanced), the Application finds no handler for it, and
polling goes on. Batches that parse, the normal case, cost nothing extra.
"""
from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ExtBot

logger = logging.getLogger(__name__)


def parse_update(raw: object, bot: ExtBot | None) -> Update | None:
    """``raw`` as an ``Update``; an empty ``Update`` with its id if it has one but cannot be parsed (logged, without
    content); None when it has no usable id at all."""
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id < 2 ** 63:
        logger.warning("skipped an update without a valid update_id (%s)", type(raw).__name__)
        return None
    try:
        return Update.de_json(raw, bot)
    except Exception as exc:  # noqa: BLE001 - any field Telegram left out or sent of another type
        logger.warning("skipped update %s: python-telegram-bot cannot parse it (%s); its content is not logged",
                       update_id, type(exc).__name__)
        return Update(update_id)


class ParsingBot(ExtBot):
    """``ExtBot`` whose ``get_updates`` skips updates it cannot parse instead of failing the whole batch."""

    __slots__ = ("_raw_updates",)

    async def _post(self, endpoint: str, data: Any = None, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, **kwargs)
        if endpoint == "getUpdates":
            self._raw_updates = result
        return result

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        self._raw_updates = None
        try:
            return await super().get_updates(*args, **kwargs)
        except TelegramError:
            raise  # the Updater's network retry loop handles these (back-off, retry_after)
        except Exception:  # noqa: BLE001 - a parse error: the raw batch is still here
            raw = self._raw_updates
            if not isinstance(raw, list):
                raise
        updates = tuple(u for u in (parse_update(item, self) for item in raw) if u is not None)
        for update in updates:
            self.insert_callback_data(update)
        return updates

    async def close_transports(self) -> None:
        """Close both HTTP transports. ``shutdown`` does it only after a successful ``initialize``, so a start-up
        that failed (a rejected token) would leave the connections open and asyncio complaining about them."""
        for request in self._request:
            await request.shutdown()
