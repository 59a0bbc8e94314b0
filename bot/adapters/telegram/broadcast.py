"""Delivering the core's ``Broadcast`` (an announcement) in Telegram, in the background.

Every message goes through ``bot.send_message``, so PTB's ``AIORateLimiter`` (set on the Application) paces
them within Telegram's limits and retries a 429 after ``retry_after``; the core keeps enough sends in flight for
the limiter to run at full rate. A 403 (``Forbidden``: the person blocked the bot or deleted their account) is
reported as ``blocked`` so the core marks that subscriber inactive.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import Bot
from telegram.error import Forbidden, TelegramError

from bot.adapters.telegram.html_split import split_html
from bot.adapters.telegram.incoming import chat_id_of
from bot.core.messages import Broadcast, DeliveryStatus, Reply, Send

logger = logging.getLogger(__name__)

#: Broadcasts being delivered; held here so the event loop does not drop a running task.
_RUNNING: set[asyncio.Task] = set()


def telegram_send(bot: Bot) -> Send:
    """The core's ``send`` for Telegram: one announcement to one ``tg:<id>`` user."""

    async def send(user: str, html: str) -> DeliveryStatus:
        chat_id = chat_id_of(user)
        if chat_id is None:
            logger.warning("announcement recipient %r is not a Telegram user; skipped", user)
            return "failed"
        try:
            for part in split_html(html):
                await bot.send_message(chat_id, part)
        except Forbidden:
            return "blocked"
        except TelegramError as exc:
            logger.info("announcement to %s not delivered: %s", user, exc)
            return "failed"
        return "sent"

    return send


def start_broadcast(bot: Bot, broadcast: Broadcast,
                    send_replies: Callable[[Sequence[Reply]], Awaitable[None]]) -> asyncio.Task:
    """Deliver ``broadcast`` in a background task (a big one takes minutes at Telegram's pace), then hand the
    core's report for the staff member to ``send_replies``."""
    task = asyncio.create_task(_run(bot, broadcast, send_replies), name="announcement")
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    return task


async def _run(bot: Bot, broadcast: Broadcast, send_replies: Callable[[Sequence[Reply]], Awaitable[None]]) -> None:
    try:
        await send_replies(await broadcast.deliver(telegram_send(bot)))
    except asyncio.CancelledError:
        logger.warning("announcement to %d recipients interrupted by shutdown; resumed at the next start",
                       len(broadcast.recipients))
        raise
    except Exception:
        logger.exception("announcement to %d recipients failed", len(broadcast.recipients))


async def stop_broadcasts() -> None:
    """Shutdown: cancel the broadcasts under way and wait until each has written what it sent (the core stores
    its outcomes as it goes), so the next start resumes each with the people still waiting. Runs before the
    database closes."""
    running = set(_RUNNING)
    for task in running:
        task.cancel()
    if running:
        await asyncio.gather(*running, return_exceptions=True)


async def wait_for_broadcasts(timeout: float | None = None) -> None:
    """Wait for the broadcasts under way (tests and benchmarks; shutdown cancels them instead)."""
    if _RUNNING:
        await asyncio.wait(set(_RUNNING), timeout=timeout)
