"""Delivering an announcement: every recipient once, a bounded number in flight, people who blocked the bot
marked inactive, the outcome audited and reported to the staff member who sent it.

The pace is the transport's business (Telegram: PTB's ``AIORateLimiter`` inside ``send``); this module only keeps
enough sends in flight for the limiter to run at its full rate, without starting one task per recipient.

An announcement is stored when staff confirm it (``AnnouncementStore``), and outcomes are written in batches as
sends complete, so a bot stopped halfway (a deploy, a crash) resumes at its next start with the people still
waiting (``Announcements.resume``). Delivery is at least once: a send in flight when the process dies, or outcomes
not yet written (at most ``OUTCOME_BATCH`` plus the sends in flight), are sent again on resume. An announcement
interrupted more than ``RESUME_WITHIN`` ago is not resumed (its news may be stale); staff are told who missed it.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from bot.core.i18n import texts_for
from bot.core.language import DEFAULT_LANG, Lang, lang_from_code
from bot.core.messages import Broadcast, Reply, Send
from bot.core.staff.digest import DISTRICT_TZ
from bot.core.staff.ports import (
    AnnouncementStore,
    AnnouncementTally,
    AuditAction,
    AuditRecord,
    AuditStore,
    SubscriptionStore,
)

log = logging.getLogger(__name__)

#: Sends in flight at once. Telegram allows about 30 messages/s; with ~0.1-0.5 s per call, 16 keep the rate
#: limiter busy while a slow or hanging call holds up only one slot.
DEFAULT_CONCURRENCY = 16
#: Outcomes written to the store at once: one write per ~1 s of sending at Telegram's 30 messages/s.
OUTCOME_BATCH = 32
#: An announcement interrupted longer ago than this is closed at the next start instead of resumed.
RESUME_WITHIN = timedelta(hours=24)

Outcome = tuple[str, str]  # (user, "sent" | "blocked" | "failed")


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    delivered: int
    blocked: tuple[str, ...]
    failed: tuple[str, ...]  # neither delivered nor blocked (network errors, chat not found, …)


class _OutcomeWriter:
    """Outcomes handed to ``write`` in batches of ``batch``, each write in its own task so that cancelling the
    delivery (shutdown) does not cancel a write halfway; ``drain`` writes the rest and waits for all of them."""

    def __init__(self, write: Callable[[list[Outcome]], Awaitable[None]], batch: int):
        self._write = write
        self._batch = batch
        self._buffer: list[Outcome] = []
        self._writing: set[asyncio.Task[None]] = set()

    def add(self, user: str, status: str) -> None:
        self._buffer.append((user, status))
        if len(self._buffer) >= self._batch:
            self._start()

    def _start(self) -> None:
        batch, self._buffer = self._buffer, []
        task = asyncio.ensure_future(self._write(batch))
        self._writing.add(task)
        task.add_done_callback(self._writing.discard)

    async def drain(self) -> None:
        if self._buffer:
            self._start()
        if self._writing:
            await asyncio.gather(*self._writing)


async def _no_store(outcomes: list[Outcome]) -> None:
    return None


async def deliver_all(recipients: Sequence[str], html: str, send: Send,
                      concurrency: int = DEFAULT_CONCURRENCY,
                      record: Callable[[list[Outcome]], Awaitable[None]] = _no_store,
                      batch: int = OUTCOME_BATCH) -> DeliveryResult:
    """Send ``html`` to every recipient through ``send``; an exception from ``send`` counts as failed. Outcomes go
    to ``record`` in batches, also when the delivery is cancelled (what was sent by then is written first)."""
    pending = iter(recipients)
    delivered = 0
    blocked: list[str] = []
    failed: list[str] = []
    outcomes = _OutcomeWriter(record, batch)

    async def worker() -> None:
        nonlocal delivered
        for user in pending:  # one shared iterator: each recipient is taken by exactly one worker
            try:
                status = await send(user, html)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("announcement to %s failed", user)
                status = "failed"
            if status == "sent":
                delivered += 1
            elif status == "blocked":
                blocked.append(user)
            else:
                status = "failed"
                failed.append(user)
            outcomes.add(user, status)

    try:
        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(recipients))))))
    finally:
        await outcomes.drain()
    return DeliveryResult(delivered, tuple(blocked), tuple(failed))


class Announcements:
    """Turns a confirmed announcement into a ``Broadcast`` the adapter delivers, and resumes interrupted ones."""

    def __init__(self, subscriptions: SubscriptionStore, audit: AuditStore, store: AnnouncementStore,
                 clock: Callable[[], datetime], concurrency: int = DEFAULT_CONCURRENCY):
        self.subscriptions = subscriptions
        self.audit = audit
        self.store = store
        self.clock = clock
        self.concurrency = concurrency

    async def broadcast(self, staff_user: str, lang: Lang, recipients: Sequence[str], html: str) -> Broadcast:
        """Store the announcement and return the delivery job; its ``deliver(send)`` returns the report for
        ``staff_user``."""
        number = await self.store.create(staff_user, lang, html, recipients, self.clock())
        return self._job(number, staff_user, lang, tuple(recipients), html)

    async def resume(self) -> list[Reply]:
        """At start-up: for each announcement a stop interrupted, a notice to the staff member who sent it that
        carries the ``Broadcast`` to the people still waiting (or, when it is older than ``RESUME_WITHIN``, the
        notice that it was not resumed and how many missed it)."""
        replies = []
        now = self.clock()
        for stored in await self.store.unfinished():
            lang = _lang(stored.language)
            t = texts_for(lang)
            when = stored.created_at.astimezone(DISTRICT_TZ).strftime("%Y-%m-%d %H:%M")  # as staff read clocks
            if now - stored.created_at > RESUME_WITHIN or not stored.pending:
                tally = await self.store.finish(stored.id, now)
                await self._audit_done(stored.staff_user, tally)
                if tally.not_sent:
                    replies.append(Reply(html=t("staff.announce_not_resumed", created=when,
                                                missed=tally.not_sent), to=stored.staff_user))
                replies.extend(self._report(stored.staff_user, lang, tally))
                continue
            log.info("resuming announcement %d: %d recipients still waiting", stored.id, len(stored.pending))
            job = self._job(stored.id, stored.staff_user, lang, stored.pending, stored.html)
            replies.append(Reply(html=t("staff.announce_resumed", created=when, count=len(stored.pending)),
                                 to=stored.staff_user, broadcast=job))
        return replies

    def _job(self, number: int, staff_user: str, lang: Lang, recipients: tuple[str, ...], html: str) -> Broadcast:
        return Broadcast(html=html, recipients=recipients,
                         deliver=partial(self._deliver, number, staff_user, lang, recipients, html))

    async def _deliver(self, number: int, staff_user: str, lang: Lang, recipients: tuple[str, ...], html: str,
                       send: Send) -> list[Reply]:
        async def record(outcomes: list[Outcome]) -> None:
            await self.store.record(number, outcomes)
            blocked = [user for user, status in outcomes if status == "blocked"]
            if blocked:
                await self.subscriptions.mark_inactive(blocked)

        try:
            await deliver_all(recipients, html, send, self.concurrency, record)
        except asyncio.CancelledError:
            log.warning("announcement %d interrupted; the people still waiting get it at the next start", number)
            raise
        tally = await self.store.finish(number, self.clock())
        await self._audit_done(staff_user, tally)
        return self._report(staff_user, lang, tally)

    async def _audit_done(self, staff_user: str, tally: AnnouncementTally) -> None:
        failed = tally.blocked + tally.failed
        detail = f"delivered {tally.sent}, failed {failed} (blocked {tally.blocked})"
        if tally.not_sent:
            detail += f", not sent {tally.not_sent} (interrupted, not resumed)"
        await self.audit.record(AuditRecord(self.clock(), staff_user, AuditAction.ANNOUNCE_DELIVERED, detail))

    @staticmethod
    def _report(staff_user: str, lang: Lang, tally: AnnouncementTally) -> list[Reply]:
        t = texts_for(lang)
        return [Reply(html=t("staff.announce_done", delivered=tally.sent, failed=tally.blocked + tally.failed,
                             blocked=tally.blocked), to=staff_user)]


def _lang(code: str) -> Lang:
    """A stored language code as a ``Lang`` (an unknown one, from an older release, as the default)."""
    return lang_from_code(code) or DEFAULT_LANG
