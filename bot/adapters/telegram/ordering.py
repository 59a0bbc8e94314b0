"""Concurrent updates, yet each person's updates in the order they were sent.

PTB processes updates one at a time unless ``concurrent_updates`` is set; one at a time, a slow answer for one
resident delays everybody. With concurrency, two quick messages of one resident could be handled out of order (and
race on that resident's stored state). This processor runs updates concurrently across people and serially per
person: each update first waits on its person's lock, then for one of ``max_working`` working slots.

Order is kept because every step before the lock is first-in first-out: PTB starts one task per update in arrival
order, its own semaphore (sized ``max_waiting``, generous) wakes waiters in order, and ``do_process_update`` takes
the lock before its first suspension point; ``asyncio.Lock`` then hands the lock over in the order it was
requested. Taking the person's lock *before* a working slot means a resident who sends fifty messages at once
queues behind themself without occupying fifty slots that other residents need.

Why limit working updates at all: every one in progress holds an HTTP request to the Bot API, and httpx's
connection pool does work proportional to the requests in flight on every request; a few dozen at a time keep the
CPU on answering rather than on bookkeeping (see ``benchmarks/bench_telegram.py``).
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def ordering_key(update: object) -> int | None:
    """The person whose updates must stay in order: the sender, else the chat; None for updates of neither."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerUserOrderedProcessor(BaseUpdateProcessor):
    """At most ``max_working`` updates worked on at once, at most one per person; up to ``max_waiting`` accepted."""

    __slots__ = ("_locks", "_holders", "_working")

    def __init__(self, max_working: int = 32, max_waiting: int = 4096):
        super().__init__(max_waiting)
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: dict[int, int] = {}  # updates holding or waiting for each lock, to forget idle people
        self._working = asyncio.Semaphore(max_working)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = ordering_key(update)
        if key is None:
            async with self._working:
                await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with lock, self._working:
                await coroutine
        finally:
            self._holders[key] -= 1
            if not self._holders[key]:
                del self._holders[key], self._locks[key]

    @property
    def people_in_progress(self) -> int:
        return len(self._locks)

    async def initialize(self) -> None:
        """Nothing to set up: locks are created on demand."""

    async def shutdown(self) -> None:
        """Nothing to release: PTB waits for running updates before shutting the processor down."""
