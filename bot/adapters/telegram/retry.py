"""Bot API calls retried when the reply certainly did not arrive: connection errors, 5xx answers and every 429.

Without it a resident whose answer met a 500, a 502, a reset connection or a second 429 got nothing at all (or an
apology that met the same fault). ``RetryingRequest`` wraps the HTTP transport (aiohttp or httpx) below
python-telegram-bot, so every send, edit and button answer gets it, whoever makes the call:

- connection errors (refused, reset, closed before an answer) and 5xx answers: again after 0.5, 1, 2, 4, 8, 8 … s;
- 429 Too Many Requests: again after the ``retry_after`` Telegram asks for, however often it asks;
- a read timeout is *not* retried: the server may have accepted the message and only its answer is late, and a
  resident reading the same reply twice is worse than the apology the error handler sends instead;
- 4xx answers (a bad request, a blocked bot) are final and go back to python-telegram-bot at once.

All within ``budget`` seconds per call; past it the last answer or error goes up as if there were no retries (the
error handler then apologises). ``getUpdates`` is left alone: the Updater's polling loop has its own back-off, and
long polls must not outlive a shutdown. A reset after the server processed a message cannot be told apart from one
before, so that one rare case may show a reply twice; a connection reset is far more often a stale keep-alive
connection the server had already closed, before anything was sent.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

logger = logging.getLogger(__name__)

#: Seconds between attempts after connection errors and 5xx answers; the last value repeats.
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)
#: Methods never retried here (see the module docstring).
NOT_RETRIED = frozenset({"getUpdates"})


def retry_after_of(body: bytes) -> float:
    """Seconds Telegram asks to wait in a 429 answer (``parameters.retry_after``); 1 when it does not say."""
    try:
        seconds = json.loads(body)["parameters"]["retry_after"]
        return max(0.0, min(float(seconds), 3600.0))
    except (ValueError, TypeError, KeyError):
        return 1.0


class RetryingRequest(BaseRequest):
    """A ``BaseRequest`` that retries the calls of ``inner`` as the module docstring says."""

    __slots__ = ("_inner", "_budget")

    def __init__(self, inner: BaseRequest, budget: float = 30.0):
        self._inner = inner
        self._budget = budget

    @property
    def inner(self) -> BaseRequest:
        """The transport whose calls are retried."""
        return self._inner

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: object = BaseRequest.DEFAULT_NONE,
                         write_timeout: object = BaseRequest.DEFAULT_NONE,
                         connect_timeout: object = BaseRequest.DEFAULT_NONE,
                         pool_timeout: object = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        timeouts = {"read_timeout": read_timeout, "write_timeout": write_timeout,
                    "connect_timeout": connect_timeout, "pool_timeout": pool_timeout}
        endpoint = url.rsplit("/", 1)[-1]  # never log ``url``: it contains the token
        if endpoint in NOT_RETRIED:
            return await self._inner.do_request(url, method, request_data, **timeouts)
        deadline = time.monotonic() + self._budget
        attempt = 0
        while True:
            try:
                status, body = await self._inner.do_request(url, method, request_data, **timeouts)
            except TimedOut:
                raise  # maybe delivered: see the module docstring
            except NetworkError as exc:
                delay = BACKOFF[min(attempt, len(BACKOFF) - 1)]
                if time.monotonic() + delay > deadline:
                    raise
                logger.info("%s failed (%s); trying again in %g s", endpoint, exc, delay)
            else:
                if status == 429:
                    delay = retry_after_of(body) + 0.1
                elif status >= 500:
                    delay = BACKOFF[min(attempt, len(BACKOFF) - 1)]
                else:
                    return status, body
                if time.monotonic() + delay > deadline:
                    return status, body
                logger.info("%s answered %s; trying again in %g s", endpoint, status, delay)
            attempt += 1
            await asyncio.sleep(delay)
