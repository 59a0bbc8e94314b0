"""Background jobs every front end runs: reminders to residents left half-way through a flow, reloading the
knowledge base when its files change, and the weekly digest for staff.

Each job asks the core for replies (addressed with ``to``) and hands them to the front end's ``deliver``;
``background_jobs`` lists them
from the services the composition root built, and each front end starts one ``Scheduler`` with them — Telegram
sends the replies, the console prints them. A failing run is logged and the job goes on.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from bot.core.messages import Reply
from bot.core.staff.digest import next_digest_time

if TYPE_CHECKING:
    from bot.core.staff.tools import StaffTools

log = logging.getLogger(__name__)

Deliver = Callable[[list[Reply]], Awaitable[object]]


@dataclass(frozen=True)
class Job:
    """``run`` once ``wait()`` seconds have passed, again and again."""

    name: str
    run: Callable[[], Awaitable[list[Reply]]]
    wait: Callable[[], float]


def every(seconds: float) -> Callable[[], float]:
    return lambda: seconds


class Scheduler:
    """Runs ``jobs`` as asyncio tasks from ``start`` until ``stop``; what they return goes to ``deliver``."""

    def __init__(self, jobs: Sequence[Job], deliver: Deliver):
        self.jobs = tuple(jobs)
        self.deliver = deliver
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._forever(job), name=job.name) for job in self.jobs]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def run_once(self, name: str) -> None:
        """Run the job ``name`` now (tests, and a front end that wants a check at once)."""
        job = next(job for job in self.jobs if job.name == name)
        await self.deliver(await job.run())

    async def _forever(self, job: Job) -> None:
        while True:
            await asyncio.sleep(max(0.0, job.wait()))
            try:
                await self.deliver(await job.run())
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a job must outlive one failed run
                log.exception("background job %s failed; it runs again later", job.name)


#: Seconds between looks for residents to remind, and at the knowledge directory (a reload needs the directory
#: unchanged for one more look).
REMINDER_INTERVAL = 60.0
WATCH_INTERVAL = 5.0
#: Seconds between looks for bookings to remind the day before (each is reminded once, whoever looks).
BOOKING_REMINDER_INTERVAL = 600.0
BOOKING_REMINDERS = "booking-reminders"


class Reminding(Protocol):
    async def due_reminders(self) -> list[Reply]: ...


def background_jobs(assistant: Reminding, staff: StaffTools | None, *, reminder_interval: float = REMINDER_INTERVAL,
                    watch_interval: float = WATCH_INTERVAL, bookings: Reminding | None = None,
                    booking_interval: float = BOOKING_REMINDER_INTERVAL) -> list[Job]:
    """The jobs every front end runs: reminders, the day-before reminders of bookings
    (``bot.core.booking.mine.BookingReminders``), and with the staff tools the knowledge-base watcher and the
    weekly digest (Monday morning in the district)."""
    jobs = [Job("reminders", assistant.due_reminders, every(reminder_interval))]
    if bookings is not None:
        jobs.append(Job(BOOKING_REMINDERS, bookings.due_reminders, every(booking_interval)))
    if staff is not None:
        jobs.append(Job("knowledge-watcher", staff.watcher.check, every(watch_interval)))
        due = [next_digest_time(datetime.now(UTC))]

        def until_digest() -> float:
            # The next moment counts from the last one, not from the clock: a timer firing a hair early must not
            # send the same week's digest twice.
            wait = (due[0] - datetime.now(UTC)).total_seconds()
            due[0] = next_digest_time(due[0])
            return wait

        jobs.append(Job("weekly-digest", staff.digest.weekly_digest, until_digest))
    return jobs
