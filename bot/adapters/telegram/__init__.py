"""Telegram front end: a python-telegram-bot v22 ``Application`` that translates Updates ↔ ``Incoming``/``Reply``.

Modules, in the order an update travels:
- ``incoming``: Update → ``Incoming`` (who did what);
- ``ordering``: concurrent across residents, in order per resident;
- ``handlers``: the PTB callbacks (messages, button presses, errors) and the reminder loop;
- ``render`` and ``html_split``: ``Reply`` → Bot API calls, long HTML split below Telegram's limits;
- ``application``: builds the Application (rate limiter, defaults, lifecycle hooks);
- ``transport``: the aiohttp HTTP client for the Bot API (much cheaper per call than PTB's httpx default);
- ``retry``: Bot API calls retried on connection errors, 5xx and 429, within a time budget;
- ``polling``: the bot object, which skips updates python-telegram-bot cannot parse instead of stalling;
- ``webhook``: the webhook server (400/413 for bad bodies, never 500);
- ``logs``: secrets redacted from every log record, residents' words kept out above DEBUG, repeats limited;
- ``runner``: polling or webhook, started and stopped cleanly (``run`` for ``run_bot.py``).
"""
from bot.adapters.telegram.application import Tuning, build_application
from bot.adapters.telegram.runner import run, serving

__all__ = ["Tuning", "build_application", "run", "serving"]
