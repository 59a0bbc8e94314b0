"""Building the python-telegram-bot ``Application`` around the core's services.

Choices made here, and why:
- HTML parse mode by default: the core writes Telegram-HTML with knowledge-base text escaped.
- Link previews off: contact lines with a URL would otherwise push the answer off screen.
- ``AIORateLimiter`` keeps the bot under Telegram's flood limits (30 messages/s overall, 20/min per group).
- Every call but getUpdates is retried for up to ``Tuning.send_retry_budget`` seconds on connection errors, 5xx
  and every 429 (``retry.RetryingRequest``); a read timeout is not retried (the message may have been delivered,
  and a duplicate answer is worse than the apology the error handler sends instead).
- Updates python-telegram-bot cannot parse are skipped, not re-fetched forever (``polling.ParsingBot``).
- Secrets never reach the log; residents' words only at DEBUG (``logs``).
- ``getUpdates`` is retried by PTB's polling loop itself (back-off on 5xx, ``retry_after`` on 429).
- Updates are processed concurrently across residents and in order per resident (``PerUserOrderedProcessor``).
- The database is opened in ``post_init`` and closed in ``post_shutdown``; no PTB persistence and no
  ``ConversationHandler``: the core keeps every resident's state in SQLite.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import BotCommand, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.adapters.telegram.broadcast import stop_broadcasts
from bot.adapters.telegram.handlers import on_button, on_error, on_message
from bot.adapters.telegram.logs import protect_logs
from bot.adapters.telegram.ordering import PerUserOrderedProcessor
from bot.adapters.telegram.polling import ParsingBot
from bot.adapters.telegram.render import deliver
from bot.adapters.telegram.retry import RetryingRequest
from bot.adapters.telegram.services import SERVICES_KEY, AssistantPort, ServicesPort, services_of
from bot.core.jobs import Scheduler, background_jobs
from bot.core.language import DEFAULT_LANG, lang_from_code
from bot.settings import Settings

logger = logging.getLogger(__name__)

#: Updates the bot asks Telegram for; anything else (edits, member changes, …) is never delivered.
ALLOWED_UPDATES = ("message", "callback_query")
TUNING_KEY = "tuning"
SCHEDULER_KEY = "scheduler"


@dataclass(frozen=True, slots=True)
class Tuning:
    """Knobs of the Telegram front end. The defaults are production's; tests shorten the timeouts."""

    #: Telegram's broadcast limit; 0 lifts the limiter's overall cap (benchmarks measuring the bot itself).
    max_messages_per_second: float = 30
    #: Updates worked on at once (across residents; one resident's updates always run one after another).
    max_working_updates: int = 32
    #: HTTP connections to the Bot API kept open for sending.
    connection_pool_size: int = 64
    #: "aiohttp" (``transport.AiohttpRequest``, about 2.5x less CPU per update) or "httpx" (PTB's default).
    transport: str = "aiohttp"
    #: Long-polling: how long one getUpdates may wait for news on the server.
    poll_timeout: float = 30
    #: Seconds to wait for the Bot API's answer to an ordinary call (getUpdates gets ``poll_timeout`` on top).
    read_timeout: float = 10
    connect_timeout: float = 5
    #: Seconds a Bot API call (not getUpdates) may spend on retries after connection errors, 5xx and 429.
    send_retry_budget: float = 30
    reminder_interval: float = 60
    #: Seconds between looks at the knowledge directory for the automatic reload.
    knowledge_watch_interval: float = 5


def file_url_for(api_url: str) -> str:
    """The file-download base matching an API base: ``…/bot`` → ``…/file/bot`` (PTB's form for both)."""
    head, sep, _ = api_url.rpartition("/bot")
    return f"{head}/file/bot" if sep else api_url.rstrip("/") + "/file/bot"


def build_application(services: ServicesPort, tuning: Tuning = Tuning()) -> Application:
    """The Application for ``services.settings``: token, Bot API server, handlers, lifecycle hooks."""
    settings = services.settings
    if not settings.telegram_token:
        raise ValueError("build_application needs settings.telegram_token")
    protect_logs([settings.telegram_token, settings.webhook_secret, settings.export_salt])
    builder = (
        ApplicationBuilder()
        .bot(_bot(settings, tuning))
        .concurrent_updates(PerUserOrderedProcessor(tuning.max_working_updates))
        .job_queue(None)  # background jobs run from bot.core.jobs.Scheduler (APScheduler is not a dependency)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    application = builder.build()
    application.bot_data[SERVICES_KEY] = services
    application.bot_data[TUNING_KEY] = tuning
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, on_message))
    application.add_error_handler(on_error)
    return application


def _bot(settings: Settings, tuning: Tuning) -> ParsingBot:
    """The bot object: ``ParsingBot`` (skips updates PTB cannot parse), with every call but ``getUpdates``
    retried (``RetryingRequest``) and rate-limited; a 429 is retried below the limiter, so it retries none."""
    send, poll = _transports(tuning)
    return ParsingBot(
        settings.telegram_token or "",
        base_url=settings.telegram_api_url,
        base_file_url=file_url_for(settings.telegram_api_url),
        request=RetryingRequest(send, tuning.send_retry_budget),
        get_updates_request=poll,
        defaults=Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)),
        rate_limiter=AIORateLimiter(overall_max_rate=tuning.max_messages_per_second, max_retries=0),
    )


def _transports(tuning: Tuning) -> tuple[BaseRequest, BaseRequest]:
    """HTTP for the Bot API (for calls, for getUpdates): aiohttp when chosen and installed, else PTB's httpx.
    getUpdates gets its own single connection, as in PTB's default, so long polling never waits behind sends."""
    if tuning.transport == "aiohttp":
        try:
            from bot.adapters.telegram.transport import AiohttpRequest  # noqa: PLC0415 - optional dependency
        except ImportError:
            logger.warning("aiohttp is not installed; using httpx for the Bot API (slower under load)")
        else:
            return (AiohttpRequest(tuning.connection_pool_size, tuning.read_timeout, tuning.connect_timeout),
                    AiohttpRequest(1, tuning.read_timeout, tuning.connect_timeout))
    return (HTTPXRequest(connection_pool_size=tuning.connection_pool_size, read_timeout=tuning.read_timeout,
                         connect_timeout=tuning.connect_timeout),
            HTTPXRequest(connection_pool_size=1, read_timeout=tuning.read_timeout,
                         connect_timeout=tuning.connect_timeout))


async def register_commands(application: Application, assistant: AssistantPort) -> None:
    """The command menu Telegram shows by the text field: the bot's default language for everybody, Chinese for
    Chinese clients (``zh`` covers both scripts; mapped the way the core maps ``language_code``), English for
    English clients."""
    menus = {"": DEFAULT_LANG, "zh": lang_from_code("zh") or DEFAULT_LANG, "en": "en"}
    for language_code, lang in menus.items():
        commands = [BotCommand(name.lstrip("/"), description) for name, description in assistant.command_menu(lang)]
        await application.bot.set_my_commands(commands, language_code=language_code or None)


async def _post_init(application: Application) -> None:
    """Open the database, register the command menu and start the reminder loop (runs once, before polling)."""
    services = services_of(application)
    await services.open()
    try:
        await register_commands(application, services.assistant)
    except TelegramError as exc:
        # The menu is a convenience; the bot answers typed commands without it.
        logger.warning("could not register the command menu: %s", exc)
    # Reminders, the knowledge-base watcher and the weekly digest: the jobs every front end runs (bot.core.jobs).
    tuning = application.bot_data[TUNING_KEY]
    jobs = background_jobs(services.assistant, getattr(services, "staff", None),
                           reminder_interval=tuning.reminder_interval, watch_interval=tuning.knowledge_watch_interval,
                           bookings=getattr(services, "booking_reminders", None))
    scheduler = Scheduler(jobs, lambda replies: deliver(application.bot, replies, None))
    scheduler.start()
    application.bot_data[SCHEDULER_KEY] = scheduler
    await resume_announcements(application)


async def resume_announcements(application: Application) -> None:
    """Announcements a stop interrupted: tell the staff member who sent each and deliver it to the people still
    waiting, in the background like a new one."""
    staff = getattr(services_of(application), "staff", None)
    if staff is None:
        return
    try:
        await deliver(application.bot, await staff.announcements.resume(), None)
    except Exception:  # noqa: BLE001 - the bot must start; the announcement stays stored for the next start
        logger.exception("resuming interrupted announcements failed")


async def _post_stop(application: Application) -> None:
    """Stop the reminder loop, the staff jobs and announcements under way (each writes what it sent, for the
    next start) once no more updates are processed."""
    scheduler = application.bot_data.pop(SCHEDULER_KEY, None)
    if scheduler is not None:
        await scheduler.stop()
    await stop_broadcasts()


async def _post_shutdown(application: Application) -> None:
    """Close the database: the last step, after every update in flight has been handled."""
    await _post_stop(application)  # in case start-up failed before the application ever ran
    await services_of(application).close()
