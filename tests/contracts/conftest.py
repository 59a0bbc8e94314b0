"""Each contract test runs once per implementation of a store port: in memory and SQLite (a fresh file)."""
from __future__ import annotations

import pytest

from bot.core.feedback.memory_store import MemoryFeedbackStore
from bot.core.memory_store import MemoryResidentStore
from bot.storage.database import Database
from bot.storage.feedback import SqliteFeedbackStore
from bot.storage.residents import SqliteResidentStore


@pytest.fixture(params=["memory", "sqlite"])
async def stores(request, tmp_path):
    """(resident store, feedback store, database or None) of one implementation."""
    if request.param == "memory":
        yield MemoryResidentStore(), MemoryFeedbackStore(), None
        return
    database = Database(tmp_path / "contract.sqlite3")
    await database.open()
    yield SqliteResidentStore(database), SqliteFeedbackStore(database), database
    assert await database.integrity_check() == "ok"
    await database.close()


@pytest.fixture
def residents(stores):
    return stores[0]


@pytest.fixture
def feedback(stores):
    return stores[1]
