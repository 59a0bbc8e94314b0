"""Delivering an announcement: every recipient once, a bounded number in flight, people who blocked the bot
marked inactive, the outcome audited and reported to the staff member who sent it.

The pace is the transport's business (Telegram: PTB's ``AIORateLimiter`` inside ``send``); this module only keeps
enough sends in flight for the limiter to run at its full rate, without starting one task per recipient.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Callable, Sequence

from bot.core.i18n import texts_for
from bot.core.language import Lang
from bot.core.messages import Broadcast, Reply, Send
from bot.core.staff.ports import AuditAction, AuditRecord, AuditStore, SubscriptionStore

log = logging.getLogger(__name__)

#: Sends in flight at once. Telegram allows about 30 messages/s; with ~0.1-0.5 s per call, 16 keep the rate
#: limiter busy while a slow or hanging call holds up only one slot.
DEFAULT_CONCURRENCY = 16


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    delivered: int
    blocked: tuple[str, ...]
    failed: tuple[str, ...]  # neither delivered nor blocked (network errors, chat not found, …)


async def deliver_all(recipients: Sequence[str], html: str, send: Send,
                      concurrency: int = DEFAULT_CONCURRENCY) -> DeliveryResult:
    """Send ``html`` to every recipient through ``send``; an exception from ``send`` counts as failed."""
    pending = iter(recipients)
    delivered = 0
    blocked: list[str] = []
    failed: list[str] = []

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
                failed.append(user)

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(recipients))))))
    return DeliveryResult(delivered, tuple(blocked), tuple(failed))


class Announcements:
    """Turns a confirmed announcement into a ``Broadcast`` the adapter delivers."""

    def __init__(self, subscriptions: SubscriptionStore, audit: AuditStore, clock: Callable[[], datetime],
                 concurrency: int = DEFAULT_CONCURRENCY):
        self.subscriptions = subscriptions
        self.audit = audit
        self.clock = clock
        self.concurrency = concurrency

    def broadcast(self, staff_user: str, lang: Lang, recipients: Sequence[str], html: str) -> Broadcast:
        """The delivery job; its ``deliver(send)`` returns the report for ``staff_user``."""
        return Broadcast(html=html, recipients=tuple(recipients),
                         deliver=partial(self._deliver, staff_user, lang, tuple(recipients), html))

    async def _deliver(self, staff_user: str, lang: Lang, recipients: tuple[str, ...], html: str,
                       send: Send) -> list[Reply]:
        result = await deliver_all(recipients, html, send, self.concurrency)
        if result.blocked:
            await self.subscriptions.mark_inactive(result.blocked)
        failed = len(result.blocked) + len(result.failed)
        await self.audit.record(AuditRecord(self.clock(), staff_user, AuditAction.ANNOUNCE_DELIVERED,
                                            f"delivered {result.delivered}, failed {failed} "
                                            f"(blocked {len(result.blocked)})"))
        t = texts_for(lang)
        return [Reply(html=t("staff.announce_done", delivered=result.delivered, failed=failed,
                             blocked=len(result.blocked)), to=staff_user)]
