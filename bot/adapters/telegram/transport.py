"""An aiohttp transport for python-telegram-bot (a ``telegram.request.BaseRequest``), used instead of httpx.

Why: profiling the bot under load (``benchmarks/bench_telegram.py``) showed about two thirds of its CPU time in
httpx/httpcore for each Bot API call — httpcore's pool rescans every connection and queued request whenever a
request starts or ends, and it retries a failing ``import sniffio`` on each request when that package is absent.
aiohttp's client does the same job in a fraction of the time (7.7 → 3.0 ms of CPU per update in the benchmark),
which is what lets the bot handle more than ten times Telegram's 30 messages/s on two cores.

Behaviour matches PTB's own ``HTTPXRequest`` where PTB relies on it: timeouts raise ``TimedOut`` (PTB's polling
retries those at once), other transport failures ``NetworkError`` (retried with back-off), HTTP answers of any
status go back to PTB unchanged (it turns 4xx/5xx and ``retry_after`` into its exceptions). Error messages never
contain the request URL, because the URL contains the bot token.
"""
from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """Bot API requests over one ``aiohttp.ClientSession`` with up to ``connection_pool_size`` connections."""

    __slots__ = ("_pool_size", "_read_timeout", "_connect_timeout", "_pool_timeout", "_session")

    def __init__(self, connection_pool_size: int = 64, read_timeout: float | None = 5.0,
                 connect_timeout: float | None = 5.0, pool_timeout: float | None = 1.0):
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout; PTB adds the long-polling time to it for ``getUpdates``."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (it must be created inside the running event loop)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=self._pool_size)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: object = BaseRequest.DEFAULT_NONE,
                         write_timeout: object = BaseRequest.DEFAULT_NONE,
                         connect_timeout: object = BaseRequest.DEFAULT_NONE,
                         pool_timeout: object = BaseRequest.DEFAULT_NONE,
                         ) -> tuple[int, bytes]:
        """Send one request; returns the HTTP status and body. ``write_timeout`` has no aiohttp counterpart: a
        stalled upload ends by the read timeout."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        connect = self._connect_timeout if connect_timeout is BaseRequest.DEFAULT_NONE else connect_timeout
        pool = self._pool_timeout if pool_timeout is BaseRequest.DEFAULT_NONE else pool_timeout
        # aiohttp's ``connect`` covers waiting for a free pooled connection plus opening one.
        acquire = None if connect is None or pool is None else connect + pool
        timeout = aiohttp.ClientTimeout(total=None, connect=acquire, sock_connect=connect, sock_read=read)
        try:
            async with self._session.request(method, url, data=_body(request_data), timeout=timeout,
                                             allow_redirects=False) as response:
                return response.status, await response.read()
        except TimeoutError:
            raise TimedOut() from None
        except aiohttp.ClientError as exc:
            # ``from None``: the chained aiohttp error could print the URL, and with it the token.
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {str(exc).replace(url, '<url>')}") from None


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as PTB encodes them (non-strings as JSON); multipart when files are attached."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, upload in request_data.multipart_data.items():
        filename, content, mimetype = upload[0], upload[1], upload[2] if len(upload) > 2 else None
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
