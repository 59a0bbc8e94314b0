"""Each contract test runs once per implementation of a store port: in memory and SQLite (a fresh file)."""
from __future__ import annotations

import pytest

from bot.core.feedback.memory_store import MemoryFeedbackStore
from bot.core.memory_store import MemoryResidentStore
from bot.core.unit import MemoryUnitOfWork
from bot.storage.database import Database
from bot.storage.feedback import SqliteFeedbackStore
from bot.storage.residents import SqliteResidentStore
from bot.storage.unit import SqliteUnitOfWork


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


@pytest.fixture
def unit(stores):
    """The unit of work of a message over ``stores`` (``bot.core.unit``)."""
    residents, _, database = stores
    if database is None:
        return MemoryUnitOfWork(residents)
    return SqliteUnitOfWork(database, residents)
