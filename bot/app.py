"""The composition root: builds every service from one ``Settings`` object.

Adapters (Telegram, console) and the CLI get a ``Services`` from here and never construct stores or the
knowledge base themselves.
"""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import Callable

from bot.core.dialog.assistant import Assistant
from bot.core.feedback import buttons as feedback_buttons
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
from bot.core.staff.respondents import RespondentAudiences
from bot.core.staff.tools import EXTRAS_KEY as STAFF, StaffTools, staff_user_keys, utc_now
from bot.reports.charts import MatplotlibCharts  # matplotlib itself loads on the first chart
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    knowledge: KnowledgeService
    residents: ResidentStore
    assistant: Assistant
    database: object | None = None  # bot.storage.database.Database when backed by SQLite
    feedback: FeedbackService | None = None  # policy feedback use cases (also reachable by the assistant)
    staff: StaffTools | None = None  # reload, watcher, digest, announcements (also reachable by the assistant)
    _opened: bool = field(default=False, repr=False)

    async def open(self) -> None:
        """Open the database (and migrate it); call once before the first message."""
        if self.database is not None and not self._opened:
            await self.database.open()  # type: ignore[attr-defined]
        self._opened = True

    async def close(self) -> None:
        if self.database is not None and self._opened:
            await self.database.close()  # type: ignore[attr-defined]
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


def build_services(settings: Settings, *, in_memory: bool = False) -> Services:
    """Load and validate the knowledge base (raises ``KnowledgeBaseInvalid``) and wire the stores and assistant.

    ``in_memory`` uses the in-memory stores instead of the SQLite file (tests, throwaway console sessions)."""
    knowledge = KnowledgeService(settings.knowledge_dir, matcher_factory=matcher_factory(settings))
    database = None
    residents: ResidentStore
    feedback_store: FeedbackStore
    if in_memory:
        residents = MemoryResidentStore()
        feedback_store = MemoryFeedbackStore()
        staff_stores = (staff_memory.MemoryAuditStore(), staff_memory.MemorySubscriptionStore(),
                        staff_memory.MemoryDigestStore(), staff_memory.MemoryAnnouncementStore())
        taught = staff_memory.MemoryTaughtStore()
    else:
        from bot.storage.database import Database  # noqa: PLC0415 - keeps aiosqlite out of in-memory runs
        from bot.storage.residents import SqliteResidentStore  # noqa: PLC0415

        from bot.storage.feedback import SqliteFeedbackStore  # noqa: PLC0415

        database = Database(settings.db_path)
        residents = SqliteResidentStore(database)
        feedback_store = SqliteFeedbackStore(database)
        from bot.storage.audit import SqliteAuditStore, SqliteTaughtStore  # noqa: PLC0415
        from bot.storage.announcements import SqliteAnnouncementStore  # noqa: PLC0415
        from bot.storage.subscriptions import SqliteDigestStore, SqliteSubscriptionStore  # noqa: PLC0415

        staff_stores = (SqliteAuditStore(database), SqliteSubscriptionStore(database), SqliteDigestStore(database),
                        SqliteAnnouncementStore(database))
        taught = SqliteTaughtStore(database)
    audit, subscriptions, digests, announcement_store = staff_stores
    # /forget_me also ends announcement subscriptions (the other way the bot reaches a resident) and drops the
    # resident from announcements still being delivered.
    feedback = FeedbackService(feedback_store, residents, salt=settings.export_salt,
                               also_forget=(subscriptions.unsubscribe, announcement_store.forget))
    staff = StaffTools(knowledge=knowledge, residents=residents, audit=audit, subscriptions=subscriptions,
                       digests=digests, announcement_store=announcement_store, clock=utc_now,
                       staff_users=staff_user_keys(settings.staff_ids),
                       charts=MatplotlibCharts(), taught=taught)
    # "You said, we did": announcements to everyone who answered a consultation.
    staff.audiences.append(RespondentAudiences(feedback_store))
    assistant = Assistant(knowledge, residents, extras={feedback_buttons.EXTRA: feedback, STAFF: staff})
    return Services(settings=settings, knowledge=knowledge, residents=residents, assistant=assistant,
                    database=database, feedback=feedback, staff=staff)
