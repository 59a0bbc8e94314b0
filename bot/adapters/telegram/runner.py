"""Running the Application: polling, or a webhook server when ``WEBHOOK_URL`` is set; stopping it cleanly.

``serving(application)`` is the whole life cycle as an async context manager, in the order PTB's own
``run_polling`` uses (initialize → post_init → updater → start … updater.stop → stop → post_stop → shutdown →
post_shutdown), so tests and benchmarks run exactly what production runs. ``run(services)`` wraps it for
``run_bot.py``: it blocks until SIGINT (Ctrl-C) or SIGTERM, then lets the updates in flight finish, closes the
database and returns.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.adapters.telegram.application import ALLOWED_UPDATES, TUNING_KEY, Tuning, build_application
from bot.adapters.telegram.logs import limit_repeats
from bot.adapters.telegram.services import ServicesPort, services_of
from bot.adapters.telegram.webhook import WebhookServer

logger = logging.getLogger(__name__)

#: Back-off between start-up attempts while the Bot API cannot be reached, in seconds.
STARTUP_BACKOFF = (1, 2, 4, 8, 15, 30)


#: The Bot API tuning of a real deployment (frozen, so one shared default is safe).
DEFAULT_TUNING = Tuning()


def run(services: ServicesPort, tuning: Tuning = DEFAULT_TUNING) -> int:
    """Serve Telegram until SIGINT/SIGTERM (blocking). Polling, or a webhook when ``settings.webhook_url`` is set.

    Returns the process exit status: 0 after a signal; 1 when Telegram rejects the token or anything else stops
    the bot. Then one plain line goes to stderr, and a traceback, if any, only to the log, where secrets are
    redacted (``logs``): python-telegram-bot's own message for a rejected token contains the token."""
    limit_repeats()  # an outage or a broken update repeating: once a minute in the log, with the count
    try:
        asyncio.run(_serve_until_signal(services, tuning))
    except InvalidToken as exc:
        status = 404 if "Not Found" in str(exc.__cause__ or "") else 401
        fix = "check TELEGRAM_BOT_TOKEN" if status == 401 else "check TELEGRAM_API_URL and TELEGRAM_BOT_TOKEN"
        print(f"Telegram rejected the bot token ({status}): {fix}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a clean exit, never a raw traceback
        logger.critical("the Telegram bot stopped after an unexpected error", exc_info=exc)
        print(f"The Telegram bot stopped after an unexpected error ({type(exc).__name__}); see the log above",
              file=sys.stderr)
        return 1
    return 0


async def _serve_until_signal(services: ServicesPort, tuning: Tuning) -> None:
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Cancelling the main task unwinds ``serving`` through its clean shutdown, also during start-up retries.
        loop.add_signal_handler(sig, main.cancel)
    try:
        async with serving(build_application(services, tuning)):
            await asyncio.Event().wait()  # until a signal cancels us
    except asyncio.CancelledError:
        logger.info("Telegram bot stopped")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


@contextlib.asynccontextmanager
async def serving(application: Application) -> AsyncIterator[Application]:
    """Start ``application`` (polling or webhook, per its settings) and stop it cleanly when the block exits."""
    settings = services_of(application).settings
    tuning: Tuning = application.bot_data[TUNING_KEY]
    await _initialize(application)
    webhook: WebhookServer | None = None
    try:
        if application.post_init:
            await application.post_init(application)
        if settings.webhook_url:
            # Our own server (webhook.py), not PTB's: 400/413 for bad bodies instead of 500, no updates in the log.
            webhook = WebhookServer(application, listen=settings.webhook_listen, port=settings.webhook_port,
                                    path=urlsplit(settings.webhook_url).path, secret=settings.webhook_secret)
            await webhook.start()
            await _retrying(application.bot.set_webhook, "registering the webhook", url=settings.webhook_url,
                            secret_token=settings.webhook_secret, allowed_updates=ALLOWED_UPDATES)
            logger.info("Telegram bot listening for webhook calls on %s:%s", settings.webhook_listen,
                        settings.webhook_port)
        else:
            await application.updater.start_polling(
                timeout=tuning.poll_timeout,
                allowed_updates=ALLOWED_UPDATES,
                bootstrap_retries=-1,
                error_callback=_polling_failed,
            )
            logger.info("Telegram bot polling for updates")
        await application.start()
        yield application
    finally:
        if webhook is not None:
            await webhook.stop()
        if application.updater and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()  # waits for the updates being processed
            if application.post_stop:
                await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


async def _initialize(application: Application) -> None:
    """``application.initialize()`` (which asks the Bot API ``getMe``), retried with back-off while the API is
    unreachable or failing; a rejected token fails at once."""
    attempt = 0
    while True:
        try:
            await application.initialize()
            return
        except RetryAfter as exc:
            delay = _seconds(exc.retry_after)
            logger.warning("Bot API asks to slow down at start-up; retrying in %s s", delay)
        except NetworkError as exc:  # includes timeouts and 5xx answers
            delay = STARTUP_BACKOFF[min(attempt, len(STARTUP_BACKOFF) - 1)]
            logger.warning("Bot API not reachable at start-up (%s); retrying in %s s", exc, delay)
        except BaseException:  # a rejected token (InvalidToken), a refusal, a cancellation: no retry
            # PTB's shutdown closes the HTTP transports only after a successful initialize.
            close = getattr(application.bot, "close_transports", None)
            if callable(close):
                await close()
            raise
        attempt += 1
        await asyncio.sleep(delay)


async def _retrying(call, what: str, **kwargs: object) -> None:
    """``await call(**kwargs)``, again with back-off while the Bot API is unreachable or failing."""
    attempt = 0
    while True:
        try:
            await call(**kwargs)
            return
        except RetryAfter as exc:
            delay = _seconds(exc.retry_after)
        except NetworkError as exc:
            delay = STARTUP_BACKOFF[min(attempt, len(STARTUP_BACKOFF) - 1)]
            logger.warning("%s failed (%s); retrying in %s s", what, exc, delay)
        attempt += 1
        await asyncio.sleep(delay)


def _seconds(value: object) -> float:
    # PTB 22 gives retry_after as int seconds or a timedelta, depending on a deprecation switch.
    total = getattr(value, "total_seconds", None)
    return total() if callable(total) else float(value)


def _polling_failed(exc: TelegramError) -> None:
    # Called by PTB's polling loop for errors it retries anyway; one line, no traceback, keeps the log readable.
    logger.warning("getUpdates failed (%s); retrying with back-off", exc)
