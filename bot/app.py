"""The composition root: builds every service from one ``Settings`` object.

Adapters (Telegram, console) and the CLI get a ``Services`` from here and never construct stores or the
knowledge base themselves.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.core.booking.memory_store import MemoryBookingStore, MemoryStaffNoticeStore
from bot.core.booking.mine import BookingReminders
from bot.core.booking.notices import BookingStaffNotices
from bot.core.booking.ports import BookingStore, StaffNoticeStore
from bot.core.booking.service import BookingService
from bot.core.dialog.assistant import Assistant
from bot.core.dialog.context import Dependencies
from bot.core.feedback.memory_store import MemoryFeedbackStore
from bot.core.feedback.ports import FeedbackStore
from bot.core.feedback.service import FeedbackService
from bot.core.knowledge.model import KnowledgeBase
from bot.core.knowledge.service import KnowledgeService
from bot.core.matching.embedding import BATCH, Semantic, load_embedder
from bot.core.matching.matcher import Matcher
from bot.core.memory_store import MemoryResidentStore
from bot.core.ports import ResidentStore
from bot.core.staff import memory as staff_memory
from bot.core.staff.ports import AnnouncementStore, AuditStore, DigestStore, SubscriptionStore, TaughtStore
from bot.core.staff.respondents import RespondentAudiences
from bot.core.staff.tools import StaffTools, staff_user_keys, utc_now
from bot.core.unit import MemoryUnitOfWork, UnitOfWork
from bot.reports.charts import MatplotlibCharts  # matplotlib itself loads on the first chart
from bot.settings import Settings

if TYPE_CHECKING:  # only for annotations: importing it loads aiosqlite, which in-memory runs never need
    from bot.storage.database import Database

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    knowledge: KnowledgeService
    residents: ResidentStore
    assistant: Assistant
    database: Database | None = None  # when backed by SQLite
    feedback: FeedbackService | None = None  # policy feedback use cases (also reachable by the assistant)
    staff: StaffTools | None = None  # reload, watcher, digest, announcements (also reachable by the assistant)
    bookings: BookingService | None = None  # community venues (also reachable by the assistant)
    booking_reminders: BookingReminders | None = None  # the day-before reminders, a background job
    _opened: bool = field(default=False, repr=False)

    async def open(self) -> None:
        """Open the database (and migrate it); call once before the first message."""
        if self.database is not None and not self._opened:
            await self.database.open()
        self._opened = True

    async def close(self) -> None:
        if self.database is not None and self._opened:
            await self.database.close()
        self._opened = False


def semantic_for(settings: Settings) -> tuple[Semantic | None, str | None]:
    """The meaning-level model with its disk cache (``EMBEDDING_CACHE``), or None: switched off, or the reason it
    cannot run here (logged once; the bot then matches on wording alone)."""
    if not settings.semantic_matching:
        return None, None
    status = load_embedder(settings.embedding_threads)
    if status.embedder is None:
        log.warning("%s; answering from wording alone", status.problem)
        return None, status.problem
    from bot.storage.vector_cache import SqliteVectorCache  # noqa: PLC0415

    return Semantic(status.embedder, SqliteVectorCache(settings.embedding_cache)), None


def matcher_factory(settings: Settings) -> Callable[[KnowledgeBase], Matcher]:
    """How every front end and command builds a matcher: with the model when it runs, showing embedding progress
    (a bar on an interactive terminal, a log line every tenth otherwise) the first time a base is embedded."""
    semantic, _ = semantic_for(settings)
    if semantic is None:
        return Matcher
    return lambda kb: Matcher(kb, semantic=semantic, progress=embedding_progress)


def embedding_progress(done: int, total: int) -> None:
    """Progress of embedding knowledge texts the cache does not hold (a first start, or a large edit)."""
    if sys.stderr.isatty():
        width = 30
        filled = width * done // total
        print(f"\rembedding the knowledge base [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
              end="\n" if done >= total else "", file=sys.stderr, flush=True)
    elif done == total or done * 10 // total != (done - BATCH) * 10 // total:
        log.info("embedding the knowledge base: %d of %d texts", done, total)


@dataclass(frozen=True)
class Stores:
    """Every store the services write to, on one SQLite file (``database``) or in memory."""

    residents: ResidentStore
    feedback: FeedbackStore
    audit: AuditStore
    subscriptions: SubscriptionStore
    digests: DigestStore
    announcements: AnnouncementStore
    taught: TaughtStore
    bookings: BookingStore
    booking_notices: StaffNoticeStore
    database: Database | None = None  # when backed by SQLite

    def unit(self) -> UnitOfWork:
        """The unit of work of a message over these stores: one transaction on the SQLite file, else in memory."""
        if self.database is None:
            return MemoryUnitOfWork(self.residents)
        from bot.storage.residents import SqliteResidentStore  # noqa: PLC0415 - keeps aiosqlite out of in-memory runs
        from bot.storage.unit import SqliteUnitOfWork  # noqa: PLC0415

        assert isinstance(self.residents, SqliteResidentStore), "build_stores puts every store on ``database``"
        return SqliteUnitOfWork(self.database, self.residents)


def build_stores(settings: Settings, *, in_memory: bool = False) -> Stores:
    """The in-memory stores (``in_memory``), or the SQLite stores on ``settings.db_path`` (opened by
    ``Services.open``)."""
    if in_memory:
        return Stores(residents=MemoryResidentStore(), feedback=MemoryFeedbackStore(),
                      audit=staff_memory.MemoryAuditStore(), subscriptions=staff_memory.MemorySubscriptionStore(),
                      digests=staff_memory.MemoryDigestStore(), announcements=staff_memory.MemoryAnnouncementStore(),
                      taught=staff_memory.MemoryTaughtStore(), bookings=MemoryBookingStore(),
                      booking_notices=MemoryStaffNoticeStore())
    from bot.storage.announcements import SqliteAnnouncementStore  # noqa: PLC0415
    from bot.storage.audit import SqliteAuditStore, SqliteTaughtStore  # noqa: PLC0415
    from bot.storage.bookings import SqliteBookingStore, SqliteStaffNoticeStore  # noqa: PLC0415
    from bot.storage.database import Database  # noqa: PLC0415 - keeps aiosqlite out of in-memory runs
    from bot.storage.feedback import SqliteFeedbackStore  # noqa: PLC0415
    from bot.storage.residents import SqliteResidentStore  # noqa: PLC0415
    from bot.storage.subscriptions import SqliteDigestStore, SqliteSubscriptionStore  # noqa: PLC0415

    database = Database(settings.db_path)
    return Stores(residents=SqliteResidentStore(database), feedback=SqliteFeedbackStore(database),
                  audit=SqliteAuditStore(database), subscriptions=SqliteSubscriptionStore(database),
                  digests=SqliteDigestStore(database), announcements=SqliteAnnouncementStore(database),
                  taught=SqliteTaughtStore(database), bookings=SqliteBookingStore(database),
                  booking_notices=SqliteStaffNoticeStore(database), database=database)


def build_services(settings: Settings, *, clock: Callable[[], datetime] = utc_now, in_memory: bool = False,
                   knowledge: KnowledgeService | None = None, stores: Stores | None = None,
                   settle_watcher: bool = True) -> Services:
    """Load and validate the knowledge base (raises ``KnowledgeBaseInvalid``) and wire the stores and assistant.

    ``in_memory`` uses the in-memory stores instead of the SQLite file (tests, throwaway console sessions);
    ``clock`` is the time every service reads (tests move it). For tests: ``knowledge``, an already loaded
    knowledge base to share; ``stores``, stores to use instead (e.g. one that fails on purpose);
    ``settle_watcher=False`` lets the knowledge watcher reload an edit at once. A service left out raises
    ``WiringError`` here, at start-up."""
    if knowledge is None:
        knowledge = KnowledgeService(settings.knowledge_dir, matcher_factory=matcher_factory(settings))
    if stores is None:
        stores = build_stores(settings, in_memory=in_memory)
    feedback = FeedbackService(stores.feedback, stores.residents, salt=settings.export_salt, clock=clock)
    staff = StaffTools(knowledge=knowledge, residents=stores.residents, audit=stores.audit,
                       subscriptions=stores.subscriptions, digests=stores.digests,
                       announcement_store=stores.announcements, clock=clock,
                       staff_users=staff_user_keys(settings.staff_ids), settle_watcher=settle_watcher,
                       charts=MatplotlibCharts(), taught=stores.taught)
    # "You said, we did": announcements to everyone who answered a consultation.
    staff.audiences.append(RespondentAudiences(stores.feedback))
    bookings = BookingService(stores.bookings, lambda: knowledge.current.kb.venue_map, settings.district_tz,
                              clock=clock)
    # Each feature registers what /forget_me must erase besides the feedback it keeps and the dialog state.
    deps = Dependencies(residents=stores.residents, unit=stores.unit(), clock=clock, feedback=feedback, staff=staff,
                        teach=staff.teacher, subscriptions=stores.subscriptions, bookings=bookings,
                        booking_notices=BookingStaffNotices(stores.booking_notices, stores.residents,
                                                            staff.staff_users),
                        erasers=(*staff.erasers(), bookings.forget))
    return Services(settings=settings, knowledge=knowledge, residents=stores.residents,
                    assistant=Assistant(knowledge, deps), database=stores.database, feedback=feedback, staff=staff,
                    bookings=bookings, booking_reminders=BookingReminders(bookings, lambda: knowledge.current.kb))

