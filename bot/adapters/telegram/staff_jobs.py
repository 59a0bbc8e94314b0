"""Background loops for the staff tools: reload the knowledge base when its files change, and send the weekly
digest. Both ask the core (``services.staff``) and send what it returns; a failure is logged and the loop goes
on. Started in ``post_init`` beside the reminder loop and cancelled in ``post_stop``."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from telegram.ext import Application

from bot.adapters.telegram.render import deliver
from bot.adapters.telegram.services import services_of
from bot.core.staff.digest import next_digest_time

logger = logging.getLogger(__name__)

#: Seconds between looks at the knowledge directory (a reload needs the directory unchanged for one more look).
WATCH_INTERVAL = 5.0


def start_staff_jobs(application: Application, watch_interval: float = WATCH_INTERVAL) -> list[asyncio.Task]:
    """Start the watcher and the digest loops (none when the services have no staff tools)."""
    if getattr(services_of(application), "staff", None) is None:
        return []
    return [asyncio.create_task(watch_knowledge_forever(application, watch_interval), name="knowledge-watcher"),
            asyncio.create_task(send_digest_weekly(application), name="weekly-digest")]


async def watch_knowledge_forever(application: Application, interval: float) -> None:
    """Every ``interval`` seconds: reload on a change of the knowledge files; staff get the outcome."""
    staff = services_of(application).staff
    while True:
        await asyncio.sleep(interval)
        try:
            await deliver(application.bot, await staff.watcher.check(), None)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("watching the knowledge directory failed; trying again in %s s", interval)


async def send_digest_weekly(application: Application) -> None:
    """At each digest moment (Monday morning in the district), send the digest to the staff who opted in."""
    staff = services_of(application).staff
    due = next_digest_time(datetime.now(timezone.utc))
    while True:
        await asyncio.sleep(max(0.0, (due - datetime.now(timezone.utc)).total_seconds()))
        # The next moment counts from this one, not from the clock: a timer firing a hair early must not send
        # the same week's digest twice.
        due = next_digest_time(due)
        try:
            await deliver(application.bot, await staff.digest.weekly_digest(), None)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("sending the weekly digest failed; next one next week")
