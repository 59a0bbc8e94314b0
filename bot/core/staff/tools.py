"""``StaffTools``: everything the staff handlers and the adapters' background jobs need, built once by the
composition root and reachable in handlers as ``ctx.deps.staff``.

Adapters use three entry points: ``watcher.check()`` every few seconds and ``digest.weekly_digest()`` once a week
(both return replies addressed with ``to``), and a reply's ``Broadcast`` (``announcements``).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.core.knowledge.service import KnowledgeService
from bot.core.ports import ResidentStore
from bot.core.staff.audience import AudienceSource, SubscriberAudiences
from bot.core.staff.broadcast import Announcements
from bot.core.staff.digest import WeeklyDigest
from bot.core.staff.memory import MemoryAnnouncementStore, MemoryTaughtStore
from bot.core.staff.ports import (
    AnnouncementStore,
    AuditRecord,
    AuditStore,
    DigestStore,
    SubscriptionStore,
    TaughtStore,
)
from bot.core.staff.reload import KnowledgeReloader
from bot.core.staff.stats import ChartRenderer
from bot.core.staff.teach import Teacher
from bot.core.staff.watcher import KnowledgeWatcher


def utc_now() -> datetime:
    return datetime.now(UTC)


def staff_user_keys(telegram_ids: Iterable[int]) -> tuple[str, ...]:
    """The core's user keys for the Telegram ids in ``STAFF_IDS``."""
    return tuple(f"tg:{i}" for i in sorted(telegram_ids))


@dataclass
class StaffTools:
    knowledge: KnowledgeService
    residents: ResidentStore
    audit: AuditStore
    subscriptions: SubscriptionStore
    digests: DigestStore
    clock: Callable[[], datetime]
    #: Staff user keys for messages nobody asked for (automatic reloads, digests); from ``STAFF_IDS``.
    staff_users: tuple[str, ...] = ()
    #: Announcements being delivered (resumed after a restart); in memory unless the composition root gives one.
    announcement_store: AnnouncementStore = field(default_factory=MemoryAnnouncementStore)
    #: Who announcements can go to; features append their own sources.
    audiences: list[AudienceSource] = field(default_factory=list)
    #: Draws the /stats charts (``bot.reports.charts.MatplotlibCharts``); None: /stats sends only the figures.
    charts: ChartRenderer | None = None
    settle_watcher: bool = True
    #: Phrasings staff taught (``/teach``); in memory unless the composition root gives one.
    taught: TaughtStore = field(default_factory=MemoryTaughtStore)
    reloader: KnowledgeReloader = field(init=False)
    watcher: KnowledgeWatcher = field(init=False)
    digest: WeeklyDigest = field(init=False)
    announcements: Announcements = field(init=False)
    teacher: Teacher = field(init=False)

    def __post_init__(self) -> None:
        self.reloader = KnowledgeReloader(self.knowledge, self.audit, self.clock)
        self.watcher = KnowledgeWatcher(self.reloader, self.staff_users, self.residents, settle=self.settle_watcher)
        self.digest = WeeklyDigest(self.residents, self.digests, self.knowledge, self.staff_users, self.clock)
        self.announcements = Announcements(self.subscriptions, self.audit, self.announcement_store, self.clock)
        self.teacher = Teacher(self.knowledge, self.reloader, self.residents, self.audit, self.taught, self.clock)
        if not self.audiences:
            self.audiences.append(SubscriberAudiences(self.subscriptions))

    async def record(self, staff_user: str, action: str, detail: str = "") -> None:
        """Write one staff action to the audit log, stamped now."""
        await self.audit.record(AuditRecord(self.clock(), staff_user, action, detail))

    def erasers(self) -> tuple[Callable[[str], Awaitable[object]], ...]:
        """What ``/forget_me`` must erase here: the resident's announcement subscriptions (the other way the bot
        reaches them) and their place in announcements still being delivered."""
        return (self.subscriptions.unsubscribe, self.announcement_store.forget)

    def audience_source(self, name: str) -> AudienceSource | None:
        return next((s for s in self.audiences if s.name == name), None)
