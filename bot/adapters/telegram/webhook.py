"""The webhook server: Telegram POSTs each update here; it goes to the Application's update queue.

Served with aiohttp instead of python-telegram-bot's tornado server, which answered 500 to a body that is not JSON
or not UTF-8 (an uncaught exception) and logged whole updates, residents' words included, at CRITICAL. Here:

- a request without the secret token (``X-Telegram-Bot-Api-Secret-Token``, compared in constant time): 403;
- a body larger than ``MAX_BODY_BYTES``: 413, unread (Telegram's updates are a few KB; files come as ids);
- a body that is not UTF-8 JSON, not an object, or without an ``update_id``: 400, logged without the body;
- an update python-telegram-bot cannot parse: 200 and skipped (logged once, its id only), like polling does
  (``polling.parse_update``) — any other answer makes Telegram send it again and again;
- anything else: 200 once the update is queued. Never a 500 for what a client sent.
"""
from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram.ext import Application

from bot.adapters.telegram.polling import parse_update

logger = logging.getLogger(__name__)

#: Largest request body accepted, in bytes. Telegram's biggest updates (long texts with entities, polls) stay far
#: below 64 KiB.
MAX_BODY_BYTES = 256 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    """``start()`` listens on ``listen:port`` for POSTs to ``/path``; ``stop()`` closes it."""

    def __init__(self, application: Application, *, listen: str, port: int, path: str, secret: str | None,
                 max_body: int = MAX_BODY_BYTES):
        self.application = application
        self.listen, self.port, self.path = listen, port, "/" + path.lstrip("/")
        self.secret = secret
        self.max_body = max_body
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=self.max_body)
        app.router.add_post(self.path, self._handle)
        if not self.path.endswith("/"):
            app.router.add_post(self.path + "/", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        if self.secret is not None and not hmac.compare_digest(
                request.headers.get(SECRET_HEADER, "").encode(), self.secret.encode()):
            return web.Response(status=403, text="wrong or missing secret token")
        if request.content_length is not None and request.content_length > self.max_body:
            return web.Response(status=413, text=f"body over {self.max_body} bytes")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:  # a chunked body that turned out too large
            return web.Response(status=413, text=f"body over {self.max_body} bytes")
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            logger.warning("webhook: refused a body of %d bytes that is not UTF-8 JSON", len(body))
            return web.Response(status=400, text="body is not UTF-8 JSON")
        update = parse_update(data, self.application.bot)
        if update is None:
            return web.Response(status=400, text="not an update")
        self.application.bot.insert_callback_data(update)
        await self.application.update_queue.put(update)
        return web.Response(status=200)
