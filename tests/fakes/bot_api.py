"""A local Telegram Bot API server for tests and benchmarks: the real bot talks HTTP to it on 127.0.0.1.

``FakeBotApi`` is an aiohttp server on a random port, used as an async context manager::

    async with FakeBotApi() as api:
        settings = Settings(telegram_token=api.token, telegram_api_url=api.api_url, ...)
        alice = api.resident(1001, language_code="zh-hant")
        await alice.say("圖書館幾點開門")
        await api.wait_until(lambda: alice.inbox, what="an answer")

It implements the methods the bot uses (``getMe``, ``deleteWebhook``/``setWebhook``, ``getUpdates`` with real
long-polling and ``offset`` acknowledgement, ``sendMessage``, ``editMessageText``/``editMessageReplyMarkup``,
``answerCallbackQuery``, ``sendVenue``, ``sendPhoto``, ``sendDocument``, ``setMyCommands``/``getMyCommands``,
``sendChatAction``), accepts query-string, form-encoded, JSON and multipart bodies (python-telegram-bot sends forms
whose non-string values are JSON), and answers in Telegram's shape. It enforces Telegram's limits so a test fails
the way production would: HTML parse mode validity, 4096 characters of visible text (1024 for captions), empty
text, 1-64 bytes of callback data, known callback query ids answered once, editing only existing messages.

Every call is recorded (``calls``; 4xx answers also in ``bad_requests``) and the bot's messages per chat are kept
in their current (edited) state (``messages_in``), so tests press buttons the bot really sent. Faults are injected
per method: ``fail("getUpdates", status=429, retry_after=1)``, ``status=500``, ``drop=True`` (connection closed
without an answer) or ``delay=`` seconds (slow server; with ``late=True`` the call is carried out and only the
answer is late), for the next ``times`` calls; ``description=`` replaces the error text.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

DEFAULT_TOKEN = "123456789:TEST-fake-token_ABCdefGHIjklMNOpqrs"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "District Helper", "username": "district_helper_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

#: Methods whose success puts something in front of the resident.
MESSAGE_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendVenue", "sendPhoto",
                             "sendDocument"})

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

#: Parameters Telegram defines as strings; python-telegram-bot sends them raw. Every other form field is JSON.
STRING_FIELDS = frozenset({
    "text", "caption", "parse_mode", "title", "address", "callback_query_id", "url", "secret_token",
    "language_code", "inline_message_id", "action", "foursquare_id", "foursquare_type", "google_place_id",
    "google_place_type", "business_connection_id", "message_effect_id", "ip_address", "description",
    "short_description", "name",
})

#: Telegram's HTML parse mode: allowed tags, and the attributes it reads on them.
ALLOWED_TAGS = {
    "b": set(), "strong": set(), "i": set(), "em": set(), "u": set(), "ins": set(), "s": set(), "strike": set(),
    "del": set(), "a": {"href"}, "code": {"class"}, "pre": set(), "tg-spoiler": set(), "span": {"class"},
    "blockquote": {"expandable"}, "tg-emoji": {"emoji-id"},
}
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR_VALUE = r"(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+)"
_START_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*" + _ATTR_VALUE + r")?)*)\s*>")
_END_TAG = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)\s*>")
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?")


class BadRequest(Exception):
    """A 400 answer: ``description`` is what Telegram would say."""

    def __init__(self, description: str, code: int = 400):
        super().__init__(description)
        self.description = description
        self.code = code


def utf16_len(text: str) -> int:
    """Length as Telegram measures text: UTF-16 code units (characters outside the BMP count twice)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def _decode_entities(text: str, where: int, whole: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "&":
            m = _ENTITY.match(text, i)
            if not m:
                raise BadRequest("Bad Request: can't parse entities: character '&' is not part of an HTML entity "
                                 f"at byte offset {_byte_offset(whole, where + i)}")
            name = m.group(1)
            if name.startswith("#"):
                code = int(name[2:], 16) if name[1:2] in "xX" else int(name[1:])
                if not 0 < code <= 0x10FFFF:
                    raise BadRequest("Bad Request: can't parse entities: invalid numeric HTML entity")
                out.append(chr(code))
            else:
                out.append(_NAMED[name])
            i = m.end()
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def parse_telegram_html(text: str) -> str:
    """The visible text of ``text`` in Telegram's HTML parse mode, or ``BadRequest`` where Telegram refuses it.

    Stricter than Telegram in one respect the Bot API documentation asks for: every ``&`` must start one of the
    supported entities (``&lt; &gt; &amp; &quot;`` and numeric ones).
    """
    visible: list[str] = []
    stack: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "<":
            if text.startswith("</", i):
                m = _END_TAG.match(text, i)
                if not m:
                    raise BadRequest("Bad Request: can't parse entities: unclosed end tag at byte offset "
                                     f"{_byte_offset(text, i)}")
                name = m.group(1).lower()
                if not stack or stack[-1] != name:
                    expected = f'"</{stack[-1]}>"' if stack else "nothing"
                    raise BadRequest(f"Bad Request: can't parse entities: unmatched end tag at byte offset "
                                     f'{_byte_offset(text, i)}, expected {expected}, found "</{name}>"')
                stack.pop()
                i = m.end()
                continue
            m = _START_TAG.match(text, i)
            if not m:
                raise BadRequest("Bad Request: can't parse entities: unsupported start tag at byte offset "
                                 f"{_byte_offset(text, i)}")
            name = m.group(1).lower()
            if name not in ALLOWED_TAGS:
                raise BadRequest(f'Bad Request: can\'t parse entities: unsupported start tag "{name}" at byte '
                                 f"offset {_byte_offset(text, i)}")
            attrs = {}
            for am in _ATTR.finditer(m.group(2)):
                value = am.group(2) or ""
                if value[:1] in ("'", '"'):
                    value = value[1:-1]
                attrs[am.group(1).lower()] = _decode_entities(value, i, text)
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise BadRequest('Bad Request: can\'t parse entities: tag "span" must have class "tg-spoiler" '
                                 f"at byte offset {_byte_offset(text, i)}")
            stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if not m:
                raise BadRequest("Bad Request: can't parse entities: character '&' is not part of an HTML entity "
                                 f"at byte offset {_byte_offset(text, i)}")
            visible.append(_decode_entities(m.group(0), i, text))
            i = m.end()
        else:
            j = i
            while j < n and text[j] not in "<&":
                j += 1
            visible.append(text[i:j])
            i = j
    if stack:
        raise BadRequest(f'Bad Request: can\'t parse entities: can\'t find end tag corresponding to start tag '
                         f'"{stack[-1]}"')
    return "".join(visible)


def visible_text(text: str, parse_mode: str | None) -> str:
    if (parse_mode or "").upper() == "HTML":
        return parse_telegram_html(text)
    if parse_mode:
        raise BadRequest(f"Bad Request: unsupported parse_mode {parse_mode!r} in this fake")
    return text


@dataclass
class Call:
    """One request the bot made: method, decoded parameters, the status answered and when (``time.monotonic``)."""

    method: str
    params: dict[str, Any]
    status: int = 200
    description: str = ""
    at: float = 0.0
    result: Any = None


@dataclass
class BotMessage:
    """A message the bot sent, in its current state (edits applied). ``text`` is visible text, ``html`` as sent."""

    message_id: int
    chat_id: int
    kind: str  # "text" | "venue" | "photo" | "document"
    text: str = ""
    html: str = ""
    buttons: list[list[dict[str, Any]]] = field(default_factory=list)
    venue: dict[str, Any] | None = None
    file: dict[str, Any] | None = None
    edits: int = 0
    sent_at: float = 0.0

    def button_labels(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    def find_button(self, label: str | Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        for row in self.buttons:
            for button in row:
                if (button.get("text") == label) if isinstance(label, str) else label(button):
                    return button
        return None

    def to_api(self) -> dict[str, Any]:
        """The ``Message`` object Telegram would return for this message."""
        chat = ({"id": self.chat_id, "type": "private", "first_name": "Resident"} if self.chat_id > 0
                else {"id": self.chat_id, "type": "supergroup", "title": "Residents' group"})
        msg: dict[str, Any] = {"message_id": self.message_id, "date": int(time.time()), "chat": chat,
                               "from": BOT_USER}
        if self.kind == "text":
            msg["text"] = self.text
        elif self.kind == "venue":
            location = {"latitude": self.venue["latitude"], "longitude": self.venue["longitude"]}
            msg["location"] = location
            msg["venue"] = {"location": location, "title": self.venue["title"], "address": self.venue["address"]}
        elif self.kind == "photo":
            msg["photo"] = [{"file_id": f"photo-{self.message_id}", "file_unique_id": f"p{self.message_id}",
                             "width": 640, "height": 480}]
        elif self.kind == "document":
            msg["document"] = {"file_id": f"doc-{self.message_id}", "file_unique_id": f"d{self.message_id}",
                               "file_name": (self.file or {}).get("filename", "file")}
        if self.kind in ("photo", "document") and self.text:
            msg["caption"] = self.text
        if self.buttons:
            msg["reply_markup"] = {"inline_keyboard": self.buttons}
        return msg


@dataclass
class Fault:
    status: int = 0
    retry_after: int = 1
    drop: bool = False
    delay: float = 0.0
    description: str | None = None
    late: bool = False
    chat_id: int | None = None


class FakeBotApi:
    """The fake server. See the module docstring."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, host: str = "127.0.0.1"):
        self.token = token
        self.host = host
        self.port = 0
        self.calls: list[Call] = []
        self.bad_requests: list[Call] = []
        self.webhook: dict[str, Any] | None = None
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self.blocked: set[int] = set()  # users who blocked the bot: sending to them is 403 Forbidden
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(700_000_001)
        self._message_ids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._messages: dict[int, dict[int, BotMessage]] = defaultdict(dict)
        self._open_queries: dict[str, dict[str, Any]] = {}
        self.answered_queries: dict[str, dict[str, Any]] = {}
        self.injected_at: dict[int, float] = {}
        self._deliveries: dict[int, list[Call]] = defaultdict(list)
        self._delivery_waiters: dict[int, list[tuple[int, asyncio.Future]]] = defaultdict(list)
        self._poll_generation = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    # ----------------------------------------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The value for ``TELEGRAM_API_URL`` (python-telegram-bot appends the token)."""
        return f"{self.url}/bot"

    async def start(self) -> FakeBotApi:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # A 30 s shutdown grace would wait for the bot's abandoned long polls; they are only test traffic.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # the port the OS picked
        return self

    async def close(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------------------------------ fault injection
    def fail(self, method: str, *, times: int = 1, status: int = 0, retry_after: int = 1, drop: bool = False,
             delay: float = 0.0, description: str | None = None, late: bool = False,
             chat_id: int | None = None) -> None:
        """Make the next ``times`` calls of ``method`` misbehave: an HTTP ``status`` (429 carries ``retry_after``;
        ``description`` replaces the error text), a dropped connection, or an answer after ``delay`` seconds.
        ``late=True`` with ``delay``: the call is carried out (the message is delivered) and only its answer comes
        late, as when Telegram accepted a message but the client stopped waiting. With ``chat_id`` only calls for
        that chat meet the fault (scenarios played side by side)."""
        for _ in range(times):
            self._faults[method].append(Fault(status=status, retry_after=retry_after, drop=drop, delay=delay,
                                              description=description, late=late, chat_id=chat_id))

    def pending_faults(self, method: str | None = None, *, chat_id: int | None = None) -> int:
        """Injected faults (of ``method``, or of any; for ``chat_id``, or for any chat) not yet met by a call."""
        queues = [self._faults.get(method, deque())] if method else list(self._faults.values())
        return sum(1 for queue in queues for f in queue if chat_id is None or f.chat_id == chat_id)

    def clear_faults(self, *, chat_id: int) -> None:
        """Forget the faults injected for ``chat_id`` that no call has met."""
        for queue in self._faults.values():
            for fault in [f for f in queue if f.chat_id == chat_id]:
                queue.remove(fault)

    # ------------------------------------------------------------------------------------------ update injection
    def resident(self, user_id: int, *, first_name: str = "Resident", language_code: str | None = "zh-hant",
                 username: str | None = None, group: int | None = None, chat_type: str = "supergroup"
                 ) -> Resident:
        """A user writing to the bot in their private chat, or with ``group`` (a negative chat id) in that group
        (``chat_type`` "group", "supergroup" or "channel"), where the bot's replies then go."""
        chat = None if group is None else {"id": group, "type": chat_type, "title": "Residents' group"}
        return Resident(self, user_id, first_name=first_name, language_code=language_code, username=username,
                        chat=chat)

    async def inject(self, update: dict[str, Any]) -> int:
        """Queue one update (its ``update_id`` is assigned here) for ``getUpdates``; returns the id."""
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **update}
        self.injected_at[update_id] = time.monotonic()
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return update_id

    def new_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Give ``update`` an ``update_id`` without queueing it (for webhook tests, which POST it themselves)."""
        return {"update_id": next(self._update_ids), **update}

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    # ------------------------------------------------------------------------------------------------ queries
    def messages_in(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in a chat, oldest first, in their current (edited) state."""
        return list(self._messages[chat_id].values())

    def deliveries(self, chat_id: int) -> list[Call]:
        """Successful calls that showed the person in ``chat_id`` something (sent or edited a message), oldest
        first."""
        return self._deliveries[chat_id]

    async def wait_for_deliveries(self, chat_id: int, count: int, *, timeout: float = 5.0) -> None:
        """Wait until ``chat_id`` has had ``count`` deliveries in all. Cheap with many concurrent waiters (one
        future per waiter, resolved by the delivery that completes its count), for benchmarks."""
        if len(self._deliveries[chat_id]) >= count:
            return
        future = asyncio.get_running_loop().create_future()
        self._delivery_waiters[chat_id].append((count, future))
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise AssertionError(f"timed out after {timeout} s waiting for {count} deliveries to {chat_id} "
                                 f"(got {len(self._deliveries[chat_id])})") from None

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def message(self, chat_id: int, message_id: int) -> BotMessage | None:
        return self._messages[chat_id].get(message_id)

    async def wait_until(self, predicate: Callable[[], Any], *, timeout: float = 5.0, what: str = "condition") -> Any:
        """Wait until ``predicate()`` is truthy (re-checked after every call the bot makes); fail after ``timeout``."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
            except TimeoutError:
                recent = "\n".join(f"  {c.method} {c.status} {c.description} {_short(c.params)}"
                                   for c in self.calls[-12:])
                raise AssertionError(f"timed out after {timeout} s waiting for {what}; last calls:\n{recent}") from None
        return predicate()

    # ---------------------------------------------------------------------------------------------- HTTP side
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await _read_params(request)
        call = Call(method=method, params=params, at=time.monotonic())
        if request.match_info["token"] != self.token:
            return await self._answer(call, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        fault = self._take_fault(method, params)
        if fault and fault.late:
            return await self._late(request, call, method, params, fault.delay)
        if fault and fault.delay:
            await asyncio.sleep(fault.delay)
            if request.transport is None or request.transport.is_closing():
                # The client gave up (timed out); like Telegram, forget the request rather than act on it late.
                call.status, call.description = 0, f"client gone after a {fault.delay} s delay"
                await self._record(call)
                return web.Response(status=499)
        if fault and fault.drop:
            call.status, call.description = 0, "connection dropped"
            await self._record(call)
            assert request.transport is not None
            request.transport.abort()  # the client sees the connection reset without a response
            raise asyncio.CancelledError
        if fault and fault.status:
            body: dict[str, Any] = {"ok": False, "error_code": fault.status}
            if fault.status == 429:
                body["description"] = f"Too Many Requests: retry after {fault.retry_after}"
                body["parameters"] = {"retry_after": fault.retry_after}
            else:
                body["description"] = "Internal Server Error" if fault.status == 500 else f"Error {fault.status}"
            if fault.description is not None:
                body["description"] = fault.description
            call.description = body["description"] + " (injected)"
            return await self._answer(call, fault.status, body)
        if method in MESSAGE_METHODS and _int_or_none(params.get("chat_id")) in self.blocked:
            call.description = "Forbidden: bot was blocked by the user"
            return await self._answer(call, 403, {"ok": False, "error_code": 403, "description": call.description})
        handler = getattr(self, "_m_" + method[:1].lower() + method[1:], None)
        if handler is None:
            return await self._answer(call, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
        try:
            result = await handler(params)
        except BadRequest as exc:
            call.description = exc.description
            return await self._answer(call, exc.code, {"ok": False, "error_code": exc.code,
                                                       "description": exc.description})
        call.result = result
        return await self._answer(call, 200, {"ok": True, "result": result})

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        chat_id = _int_or_none(params.get("chat_id"))
        for fault in queue:
            if fault.chat_id is None or fault.chat_id == chat_id:
                queue.remove(fault)
                return fault
        return None

    async def _late(self, request: web.Request, call: Call, method: str, params: dict[str, Any],
                    delay: float) -> web.StreamResponse:
        """Carry the call out now (recorded, delivered), answer only after ``delay`` seconds."""
        handler = getattr(self, "_m_" + method[:1].lower() + method[1:])
        call.result = await handler(params)
        call.description = f"carried out, answered after {delay} s"
        await self._answer(call, 200, {})
        await asyncio.sleep(delay)
        return web.json_response({"ok": True, "result": call.result})

    async def _answer(self, call: Call, status: int, body: dict[str, Any]) -> web.Response:
        call.status = status
        if status == 400:
            self.bad_requests.append(call)
        await self._record(call)
        return web.json_response(body, status=status)

    async def _record(self, call: Call) -> None:
        if call.status == 200 and call.method in MESSAGE_METHODS:
            chat_id = call.result["chat"]["id"]
            delivered = self._deliveries[chat_id]
            delivered.append(call)
            waiters = self._delivery_waiters.get(chat_id)
            if waiters:
                for waiter in [w for w in waiters if w[0] <= len(delivered)]:
                    waiters.remove(waiter)
                    if not waiter[1].done():
                        waiter[1].set_result(None)
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # ------------------------------------------------------------------------------------------------ methods
    async def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    async def _m_logOut(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url", "")
        if url and not url.startswith("https://"):
            raise BadRequest("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = dict(params) if url else None
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook:
            raise BadRequest("Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
                             "to delete the webhook first", code=409)
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = float(params.get("timeout") or 0)
        self._poll_generation += 1
        generation = self._poll_generation
        async with self._changed:
            if offset > 0:  # everything below the offset is confirmed and forgotten, as in Telegram
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]

            def ready() -> bool:
                return bool(self._updates) or generation != self._poll_generation

            if timeout > 0 and not ready():
                try:
                    await asyncio.wait_for(self._changed.wait_for(ready), timeout)
                except TimeoutError:
                    pass
            if generation != self._poll_generation:
                raise BadRequest("Conflict: terminated by other getUpdates request; make sure that only one bot "
                                 "instance is running", code=409)
            return self._updates[:limit]

    async def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _chat_id(params)
        text = _required(params, "text")
        visible = _checked_text(text, params.get("parse_mode"), MAX_TEXT, "message")
        buttons = _checked_keyboard(params.get("reply_markup"))
        return self._store(BotMessage(0, chat_id, "text", text=visible, html=text, buttons=buttons)).to_api()

    async def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._existing(params)
        text = _required(params, "text")
        visible = _checked_text(text, params.get("parse_mode"), MAX_TEXT, "message")
        buttons = _checked_keyboard(params.get("reply_markup"))
        if message.kind != "text":
            raise BadRequest("Bad Request: there is no text in the message to edit")
        if visible == message.text and buttons == message.buttons:
            raise BadRequest("Bad Request: message is not modified: specified new message content and reply "
                             "markup are exactly the same as a current content and reply markup of the message")
        message.text, message.html, message.buttons = visible, text, buttons
        message.edits += 1
        return message.to_api()

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._existing(params)
        buttons = _checked_keyboard(params.get("reply_markup"))
        if buttons == message.buttons:
            raise BadRequest("Bad Request: message is not modified: specified new message content and reply "
                             "markup are exactly the same as a current content and reply markup of the message")
        message.buttons = buttons
        message.edits += 1
        return message.to_api()

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = _required(params, "callback_query_id")
        if query_id not in self._open_queries:
            raise BadRequest("Bad Request: query is too old and response timeout expired or query ID is invalid")
        self._open_queries.pop(query_id)
        text = params.get("text") or ""
        if len(text) > 200:
            raise BadRequest("Bad Request: MESSAGE_TOO_LONG")
        self.answered_queries[query_id] = params
        return True

    async def _m_sendVenue(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _chat_id(params)
        venue = {"latitude": float(_required(params, "latitude")), "longitude": float(_required(params, "longitude")),
                 "title": _required(params, "title"), "address": _required(params, "address")}
        if not (-90 <= venue["latitude"] <= 90 and -180 <= venue["longitude"] <= 180):
            raise BadRequest("Bad Request: wrong latitude/longitude")
        buttons = _checked_keyboard(params.get("reply_markup"))
        return self._store(BotMessage(0, chat_id, "venue", text=venue["title"], venue=venue,
                                      buttons=buttons)).to_api()

    async def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "photo")

    async def _m_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "document")

    async def _send_file(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        chat_id = _chat_id(params)
        upload = params.get(kind)
        if not isinstance(upload, dict) or not upload.get("content"):
            raise BadRequest(f"Bad Request: there is no {kind} in the request")
        caption = params.get("caption") or ""
        visible = _checked_text(caption, params.get("parse_mode"), MAX_CAPTION, "caption", allow_empty=True)
        buttons = _checked_keyboard(params.get("reply_markup"))
        return self._store(BotMessage(0, chat_id, kind, text=visible, html=caption, buttons=buttons,
                                      file=upload)).to_api()

    async def _m_sendChatAction(self, params: dict[str, Any]) -> bool:
        _chat_id(params)
        return True

    async def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise BadRequest("Bad Request: commands must be a list of at most 100 commands")
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise BadRequest("Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise BadRequest("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[(scope, params.get("language_code") or "")] = commands
        return True

    async def _m_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        return self.commands.get((scope, params.get("language_code") or ""), [])

    def commands_for(self, language_code: str = "") -> list[dict[str, str]]:
        """Commands registered for the default scope and ``language_code`` ("" is the default list)."""
        return self.commands.get((json.dumps({"type": "default"}), language_code), [])

    # ------------------------------------------------------------------------------------------------ helpers
    def _store(self, message: BotMessage) -> BotMessage:
        message.message_id = next(self._message_ids[message.chat_id])
        message.sent_at = time.monotonic()
        self._messages[message.chat_id][message.message_id] = message
        return message

    def _existing(self, params: dict[str, Any]) -> BotMessage:
        if params.get("inline_message_id"):
            raise BadRequest("Bad Request: inline messages are not supported by this fake")
        chat_id = _chat_id(params)
        message = self._messages[chat_id].get(int(params.get("message_id") or 0))
        if message is None:
            raise BadRequest("Bad Request: message to edit not found")
        return message

    def _open_query(self, query_id: str, query: dict[str, Any]) -> None:
        self._open_queries[query_id] = query

    @property
    def unanswered_queries(self) -> list[str]:
        return list(self._open_queries)


class Resident:
    """A Telegram user in a private chat with the bot; their actions become updates the bot polls."""

    _query_ids = itertools.count(1)
    _their_message_ids = itertools.count(10_000)

    def __init__(self, api: FakeBotApi, user_id: int, *, first_name: str, language_code: str | None,
                 username: str | None, chat: dict[str, Any] | None = None):
        self.api = api
        self.user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            self.user["language_code"] = language_code
        if username:
            self.user["username"] = username
        self.chat = chat or {"id": user_id, "type": "private", "first_name": first_name}

    @property
    def id(self) -> int:
        return self.user["id"]

    @property
    def chat_id(self) -> int:
        return self.chat["id"]

    @property
    def inbox(self) -> list[BotMessage]:
        """The bot's messages in this chat, oldest first, as they look now."""
        return self.api.messages_in(self.chat_id)

    def last(self, kind: str = "text") -> BotMessage:
        return next(m for m in reversed(self.inbox) if m.kind == kind)

    @property
    def deliveries(self) -> list[Call]:
        return self.api.deliveries(self.chat_id)

    async def exchange(self, action: Awaitable[Any], *, replies: int = 1, timeout: float = 5.0) -> list[BotMessage]:
        """Do ``action`` (``alice.say("…")``, ``alice.press("…")``, …) and wait until the bot has sent or edited at
        least ``replies`` messages in this chat since; returns those messages as they look now."""
        before = len(self.deliveries)
        await action
        await self.api.wait_until(lambda: len(self.deliveries) >= before + replies, timeout=timeout,
                                  what=f"{replies} repl{'y' if replies == 1 else 'ies'} to {self.chat_id}")
        ids = dict.fromkeys(c.result["message_id"] for c in self.deliveries[before:])
        return [self.api.message(self.chat_id, message_id) for message_id in ids]

    def message_update(self, **content: Any) -> dict[str, Any]:
        return {"message": {"message_id": next(self._their_message_ids), "date": int(time.time()),
                            "chat": self.chat, "from": self.user, **content}}

    async def send(self, **content: Any) -> int:
        return await self.api.inject(self.message_update(**content))

    async def say(self, text: str) -> int:
        """Type a plain text message."""
        return await self.send(text=text)

    async def command(self, name: str, payload: str = "") -> int:
        """Send ``/name payload`` the way a client does, with its ``bot_command`` entity."""
        text = f"/{name}" + (f" {payload}" if payload else "")
        return await self.send(text=text, entities=[{"type": "bot_command", "offset": 0, "length": len(name) + 1}])

    async def share_location(self, lat: float, lon: float) -> int:
        return await self.send(location={"latitude": lat, "longitude": lon})

    async def send_sticker(self) -> int:
        return await self.send(sticker={"file_id": "sticker-1", "file_unique_id": "s1", "width": 512, "height": 512,
                                        "is_animated": False, "is_video": False, "type": "regular", "emoji": "😀"})

    async def send_photo(self, caption: str | None = None) -> int:
        content: dict[str, Any] = {"photo": [{"file_id": "photo-in-1", "file_unique_id": "pi1", "width": 90,
                                              "height": 90}]}
        if caption:
            content["caption"] = caption
        return await self.send(**content)

    async def press(self, label: str | Callable[[dict[str, Any]], bool],
                    message: BotMessage | None = None) -> str:
        """Press the button ``label`` (or the first matching a predicate on the button dict) on ``message``, by
        default the newest message of the bot that has such a button. Returns the callback query id."""
        candidates = [message] if message else list(reversed(self.inbox))
        for candidate in candidates:
            button = candidate.find_button(label)
            if button is not None:
                if "callback_data" not in button:
                    raise AssertionError(f"button {button!r} is not a callback button")
                return await self.press_data(button["callback_data"], candidate)
        labels = [m.button_labels() for m in candidates]
        raise AssertionError(f"no button {label!r} in the bot's messages; buttons seen: {labels}")

    async def press_data(self, data: str, message: BotMessage | None) -> str:
        """A callback query carrying ``data`` from ``message`` — a real button's data, or a forged/stale one."""
        update = self.button_update(data, message)
        await self.api.inject(update)
        return update["callback_query"]["id"]

    def button_update(self, data: str, message: BotMessage | None) -> dict[str, Any]:
        """The update (without ``update_id``) of pressing a button with ``data`` on ``message``; the server now
        expects ``answerCallbackQuery`` for it. For webhook tests, which POST updates themselves."""
        query_id = f"q{next(self._query_ids)}"
        query: dict[str, Any] = {"id": query_id, "from": self.user, "chat_instance": f"ci{self.id}", "data": data}
        if message is not None:
            query["message"] = message.to_api()
        self.api._open_query(query_id, query)
        return {"callback_query": query}


# -------------------------------------------------------------------------------------------- request decoding
async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    ctype = request.content_type
    if ctype == "application/json":
        body = await request.read()
        if body:
            params.update(json.loads(body))
        return params
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        files: dict[str, dict[str, Any]] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = {"filename": value.filename, "content": value.file.read(),
                              "content_type": value.content_type}
            else:
                params[key] = value
        for key, value in list(params.items()):
            params[key] = _decode_field(key, value)
            if isinstance(params[key], str) and params[key].startswith("attach://"):
                params[key] = files.pop(params[key].removeprefix("attach://"), params[key])
        params.update(files)
    return params


def _decode_field(name: str, value: Any) -> Any:
    """Form values are strings; python-telegram-bot JSON-encodes every non-string parameter."""
    if not isinstance(value, str) or name in STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _required(params: dict[str, Any], name: str) -> Any:
    if name not in params or params[name] in (None, ""):
        if name == "text":
            raise BadRequest("Bad Request: message text is empty")
        raise BadRequest(f"Bad Request: parameter {name} is required")
    return params[name]


def _chat_id(params: dict[str, Any]) -> int:
    value = params.get("chat_id")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest("Bad Request: chat not found") from None


def _checked_text(text: str, parse_mode: str | None, limit: int, what: str, *, allow_empty: bool = False) -> str:
    visible = visible_text(text, parse_mode)
    if not visible.strip():
        if allow_empty:
            return ""
        raise BadRequest("Bad Request: message text is empty")
    if utf16_len(visible) > limit:
        raise BadRequest(f"Bad Request: {what} is too long")
    return visible


def _checked_keyboard(markup: Any) -> list[list[dict[str, Any]]]:
    if not markup:
        return []
    if isinstance(markup, str):
        markup = json.loads(markup)
    rows = markup.get("inline_keyboard")
    if rows is None:
        return []
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise BadRequest("Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of "
                         "Arrays")
    for row in rows:
        if len(row) > 8:
            raise BadRequest("Bad Request: too many buttons in a row")
        for button in row:
            if not button.get("text"):
                raise BadRequest("Bad Request: BUTTON_TEXT_EMPTY")
            kinds = [k for k in ("callback_data", "url", "switch_inline_query", "web_app", "login_url",
                                 "switch_inline_query_current_chat", "pay", "copy_text") if k in button]
            if len(kinds) != 1:
                raise BadRequest("Bad Request: can't parse inline keyboard button: exactly one of the optional "
                                 "fields must be used")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise BadRequest("Bad Request: BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"(https?|tg)://\S+$", button["url"]):
                raise BadRequest("Bad Request: BUTTON_URL_INVALID")
    if sum(len(r) for r in rows) > 100:
        raise BadRequest("Bad Request: reply markup is too long")
    return rows


def _short(params: dict[str, Any]) -> str:
    text = json.dumps({k: (v if not isinstance(v, dict) or "content" not in v else "<file>")
                       for k, v in params.items()}, ensure_ascii=False, default=str)
    return text if len(text) < 200 else text[:200] + "…"
