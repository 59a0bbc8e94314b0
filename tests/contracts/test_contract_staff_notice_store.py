"""The ``StaffNoticeStore`` contract: ``MemoryStaffNoticeStore`` and ``SqliteStaffNoticeStore`` behave the same.
Notices of new booking requests are on for every staff member until they turn them off, and off stays off."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.booking.memory_store import MemoryStaffNoticeStore
from bot.storage.bookings import SqliteStaffNoticeStore
from bot.storage.database import Database

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
async def store(request, tmp_path):
    if request.param == "memory":
        yield MemoryStaffNoticeStore()
        return
    database = Database(tmp_path / "notices.sqlite3")
    await database.open()
    yield SqliteStaffNoticeStore(database)
    assert await database.integrity_check() == "ok"
    await database.close()


async def test_notices_are_on_for_someone_the_store_has_never_seen(store):
    assert await store.notices_enabled("tg:100")
    assert await store.notices_off() == []


async def test_off_and_on_again_each_twice_changes_nothing_more(store):
    await store.set_notices("tg:101", False, T0)
    await store.set_notices("tg:100", False, T0)
    await store.set_notices("tg:100", False, T0)
    assert await store.notices_off() == ["tg:100", "tg:101"]
    assert not await store.notices_enabled("tg:100")
    await store.set_notices("tg:100", True, T0)
    await store.set_notices("tg:100", True, T0)
    assert await store.notices_enabled("tg:100") and not await store.notices_enabled("tg:101")
    assert await store.notices_off() == ["tg:101"]


async def test_a_user_key_with_quotes_is_stored_as_it_is(store):
    odd = "tg:1'; DROP TABLE booking_notice_off; --"
    await store.set_notices(odd, False, T0)
    assert await store.notices_off() == [odd] and not await store.notices_enabled(odd)
