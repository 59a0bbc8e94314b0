"""What the Telegram front end lets into the log: no secrets ever, no resident's words above DEBUG, no floods.

- Secrets (the bot token, its secret half, the webhook secret, the export salt) are replaced by ``<redacted>`` in
  every record, its arguments, its traceback text and its stack, whoever logs it and whatever handler prints it:
  a log record factory does it as each record is made (handlers added later, such as pytest's, included), and a
  filter on every handler present does it again for records made before (belt and braces: one leak is too many).
- python-telegram-bot dumps a whole update at CRITICAL when it cannot parse one; the adapter logs its own line
  (update id, no content) instead, so that dump is dropped (``DROPPED_LIBRARY_LINES``).
- The same error repeated (a Bot API outage, a broken update re-sent) is logged once per ``window`` seconds, then
  once more with the number of repeats left out.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import TypedDict
from urllib.parse import quote

from telegram.ext import ExtBot

REDACTED = "<redacted>"
#: Library log lines that would carry a resident's message (and name) at levels above DEBUG; the adapter logs a
#: content-free line of its own for each (``polling.ParsingBot``, ``webhook``).
DROPPED_LIBRARY_LINES = ("Error while parsing updates!", "Something went wrong processing the data received",
                         "Webhook received data")


def secret_variants(secrets: Iterable[str | None]) -> tuple[str, ...]:
    """Every form a secret may take in text: as is, URL-quoted, and the token's secret half (the part after
    ``:``, which alone is enough to abuse the bot). Longest first, so a whole token is replaced before its half."""
    found: set[str] = set()
    for secret in secrets:
        if not secret or len(secret) < 6:  # too short to redact without mangling ordinary words
            continue
        found.update({secret, quote(secret, safe=""), quote(secret)})
        _, colon, half = secret.partition(":")
        if colon and len(half) >= 6:
            found.add(half)
    return tuple(sorted(found, key=len, reverse=True))


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_record(record: logging.LogRecord, secrets: tuple[str, ...]) -> None:
    """Rewrite ``record`` in place so that no form of a secret is left in what any formatter prints."""
    if not secrets:
        return
    try:
        message = record.getMessage()
    except Exception:  # a malformed log call is the handler's to report, as usual
        return
    cleaned = redact(message, secrets)
    if cleaned != message:  # otherwise the template stays, which ``RepeatLimiter`` compares
        record.msg, record.args = cleaned, None
    if record.exc_info and not record.exc_text:
        # Formatters print ``exc_text`` when it is set instead of formatting ``exc_info`` again.
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text, secrets)
    if record.stack_info:
        record.stack_info = redact(record.stack_info, secrets)


class Redactor(logging.Filter):
    """A handler filter applying ``redact_record``."""

    def __init__(self, secrets: tuple[str, ...]):
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record, self.secrets)
        return True


class RepeatLimiter(logging.Filter):
    """Lets the first of identical records (same logger, level, message template and exception type) through,
    drops the repeats for ``window`` seconds, and notes how many were dropped on the next one let through.

    One instance may sit on several handlers: its verdict is kept on the record, so a record is counted once."""

    def __init__(self, window: float = 60.0, clock=time.monotonic):
        super().__init__()
        self.window = window
        self.clock = clock
        self._seen: dict[tuple, list] = {}  # key → [time let through, repeats dropped since]
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        verdict = getattr(record, "_repeat_verdict", None)
        if verdict is not None:
            return verdict
        exc_type = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        key = (record.name, record.levelno, str(record.msg), exc_type)
        now = self.clock()
        with self._lock:
            if len(self._seen) > 1000:  # bounded memory: forget everything older than the window
                self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.window}
            seen = self._seen.get(key)
            if seen is not None and now - seen[0] < self.window:
                seen[1] += 1
                verdict = False
            else:
                if seen is not None and seen[1]:
                    record.msg = f"{record.getMessage()} [repeated {seen[1]} more times in {self.window:g} s]"
                    record.args = None
                self._seen[key] = [now, 0]
                verdict = True
        record._repeat_verdict = verdict
        return verdict


class _DropLibraryDumps(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(DROPPED_LIBRARY_LINES)


class _Installed(TypedDict):
    secrets: tuple[str, ...]  # every variant redacted so far
    factory: Callable[..., logging.LogRecord] | None  # the record factory that redacts, once installed


_installed: _Installed = {"secrets": (), "factory": None}


def protect_logs(secrets: Iterable[str | None]) -> None:
    """Install redaction of ``secrets`` (added to any installed before) for every record and on every handler of
    the root logger, and drop the library's update dumps. Idempotent; call again to cover handlers added since."""
    for noisy in ("httpx", "httpcore"):  # they log every request URL, and Bot API URLs contain the token
        logging.getLogger(noisy).setLevel(logging.WARNING)
    variants = tuple(sorted(set(_installed["secrets"]) | set(secret_variants(secrets)), key=len, reverse=True))
    _installed["secrets"] = variants
    if _installed["factory"] is None:
        make_record = logging.getLogRecordFactory()

        def redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            redact_record(record, _installed["secrets"])
            return record

        logging.setLogRecordFactory(redacting_factory)
        _installed["factory"] = redacting_factory
    for library_logger in {ExtBot._LOGGER, logging.getLogger("telegram.ext.Updater"),
                           logging.getLogger("telegram.ext._utils.webhookhandler")}:
        if not any(isinstance(f, _DropLibraryDumps) for f in library_logger.filters):
            library_logger.addFilter(_DropLibraryDumps())
    for handler in logging.getLogger().handlers:
        for existing in [f for f in handler.filters if isinstance(f, Redactor)]:
            handler.removeFilter(existing)
        handler.addFilter(Redactor(variants))


def limit_repeats(window: float = 60.0) -> RepeatLimiter:
    """A fresh ``RepeatLimiter`` on every handler of the root logger (the process's own log). Only the entry point
    installs it: test runners keep their handlers across tests, which would then hide one test's lines because
    another logged them first."""
    repeats = RepeatLimiter(window)
    for handler in logging.getLogger().handlers:
        for existing in [f for f in handler.filters if isinstance(f, RepeatLimiter)]:
            handler.removeFilter(existing)
        handler.addFilter(repeats)
    return repeats


def exception_outline(error: BaseException) -> str:
    """A traceback for the log without the exception's message, which may quote what a resident typed (a
    ``KeyError`` of their words, a parse error with their text); the message is logged only at DEBUG."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    return f"Traceback (most recent call last):\n{frames}{type(error).__module__}.{type(error).__qualname__}"
