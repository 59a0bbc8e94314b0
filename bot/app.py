"""The composition root: builds every service from one ``Settings`` object.

Adapters (Telegram, console) and the CLI get a ``Services`` from here and never construct stores or the
knowledge base themselves.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.core.dialog.assistant import Assistant
from bot.core.knowledge.service import KnowledgeService
from bot.core.memory_store import MemoryResidentStore
from bot.core.ports import ResidentStore
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    knowledge: KnowledgeService
    residents: ResidentStore
    assistant: Assistant
    database: object | None = None  # bot.storage.database.Database when backed by SQLite
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


def build_services(settings: Settings, *, in_memory: bool = False) -> Services:
    """Load and validate the knowledge base (raises ``KnowledgeBaseInvalid``) and wire the stores and assistant.

    ``in_memory`` uses the in-memory stores instead of the SQLite file (tests, throwaway console sessions)."""
    knowledge = KnowledgeService(settings.knowledge_dir)
    database = None
    residents: ResidentStore
    if in_memory:
        residents = MemoryResidentStore()
    else:
        from bot.storage.database import Database  # noqa: PLC0415 - keeps aiosqlite out of in-memory runs
        from bot.storage.residents import SqliteResidentStore  # noqa: PLC0415

        database = Database(settings.db_path)
        residents = SqliteResidentStore(database)
    assistant = Assistant(knowledge, residents)
    return Services(settings=settings, knowledge=knowledge, residents=residents, assistant=assistant,
                    database=database)
