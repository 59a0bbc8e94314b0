"""The staff stores (audit log, announcement subscriptions, digest opt-ins): the in-memory and the SQLite
implementations pass the same contract, and the SQLite schema is reached by the migrations."""
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.staff.memory import MemoryAnnouncementStore, MemoryAuditStore, MemoryDigestStore, MemorySubscriptionStore
from bot.core.staff.ports import ALL_COMMUNITIES, AuditRecord
from bot.storage.announcements import SqliteAnnouncementStore
from bot.storage.audit import SqliteAuditStore
from bot.storage.database import Database
from bot.storage.migrations import SCHEMA_VERSION
from bot.storage.subscriptions import SqliteDigestStore, SqliteSubscriptionStore

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
async def stores(request, tmp_path):
    if request.param == "memory":
        yield MemoryAuditStore(), MemorySubscriptionStore(), MemoryDigestStore()
        return
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    try:
        yield SqliteAuditStore(db), SqliteSubscriptionStore(db), SqliteDigestStore(db)
    finally:
        await db.close()


async def test_migrations_create_the_staff_tables(tmp_path):
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    try:
        assert await db.user_version() == SCHEMA_VERSION
        names = {r["name"] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"audit_log", "subscription", "staff_digest"} <= names
        columns = [r["name"] for r in await db.fetchall("PRAGMA table_info(audit_log)")]
        assert columns == ["id", "at", "staff_user", "action", "detail"]
    finally:
        await db.close()


async def test_audit_records_are_kept_in_order_with_who_what_when(stores):
    audit, _, _ = stores
    for minutes, action in enumerate(("reload", "announce", "announce.delivered")):
        await audit.record(AuditRecord(T0 + timedelta(minutes=minutes), "tg:1", action, f"detail {minutes}"))
    records = await audit.records()
    assert [(r.staff_user, r.action, r.detail) for r in records] == [
        ("tg:1", "reload", "detail 0"), ("tg:1", "announce", "detail 1"), ("tg:1", "announce.delivered", "detail 2")]
    assert records[0].at == T0
    assert [r.action for r in await audit.records(since=T0 + timedelta(minutes=1))] == ["announce",
                                                                                       "announce.delivered"]
    assert [r.action for r in await audit.records(limit=1)] == ["announce.delivered"]


async def test_subscriptions_by_community_and_for_everyone(stores):
    _, subs, _ = stores
    await subs.subscribe("tg:1", ALL_COMMUNITIES, T0)
    await subs.subscribe("tg:2", "沿河社區", T0)
    await subs.subscribe("tg:2", "明園社區", T0)
    await subs.subscribe("tg:3", "明園社區", T0)
    await subs.subscribe("tg:3", "明園社區", T0)  # twice is once
    assert await subs.recipients() == ["tg:1", "tg:2", "tg:3"]
    assert await subs.recipients("沿河社區") == ["tg:1", "tg:2"]
    assert await subs.recipients("明園社區") == ["tg:1", "tg:2", "tg:3"]
    assert await subs.communities_of("tg:2") == ["明園社區", "沿河社區"]
    assert await subs.unsubscribe("tg:2") == 2
    assert await subs.unsubscribe("tg:2") == 0
    assert await subs.recipients() == ["tg:1", "tg:3"]


async def test_blocked_subscribers_are_inactive_until_they_subscribe_again(stores):
    _, subs, _ = stores
    await subs.subscribe("tg:1", ALL_COMMUNITIES, T0)
    await subs.subscribe("tg:2", "沿河社區", T0)
    await subs.subscribe("tg:2", "明園社區", T0)
    await subs.mark_inactive(["tg:2"])
    assert await subs.recipients() == ["tg:1"]
    assert await subs.communities_of("tg:2") == []
    await subs.subscribe("tg:2", "沿河社區", T0)  # they unblocked the bot and subscribed: all of theirs resume
    assert await subs.communities_of("tg:2") == ["明園社區", "沿河社區"]


async def test_digest_opt_in_and_out(stores):
    _, _, digests = stores
    await digests.set_digest("tg:9", True, T0)
    await digests.set_digest("tg:8", True, T0)
    await digests.set_digest("tg:8", True, T0)
    assert await digests.digest_recipients() == ["tg:8", "tg:9"]
    assert await digests.digest_enabled("tg:9")
    await digests.set_digest("tg:9", False, T0)
    assert not await digests.digest_enabled("tg:9")
    assert await digests.digest_recipients() == ["tg:8"]


# --- announcements being delivered (resumed after a restart) --------------------------------------------------

@pytest.fixture(params=["memory", "sqlite"])
async def announcement_store(request, tmp_path):
    if request.param == "memory":
        yield MemoryAnnouncementStore()
        return
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    try:
        yield SqliteAnnouncementStore(db)
    finally:
        await db.close()


async def test_an_unfinished_announcement_lists_who_is_still_waiting(announcement_store):
    store = announcement_store
    first = await store.create("tg:9", "zh-Hant", "📢 停水通知", ["tg:1", "tg:2", "tg:3", "tg:4"], T0)
    second = await store.create("tg:8", "en", "📢 Library closed", ["tg:5"], T0 + timedelta(minutes=1))
    await store.record(first, [("tg:1", "sent"), ("tg:3", "blocked")])
    unfinished = await store.unfinished()
    assert [(a.id, a.staff_user, a.language, a.html, a.created_at, a.pending) for a in unfinished] == [
        (first, "tg:9", "zh-Hant", "📢 停水通知", T0, ("tg:2", "tg:4")),
        (second, "tg:8", "en", "📢 Library closed", T0 + timedelta(minutes=1), ("tg:5",))]


async def test_finishing_keeps_the_tally_and_forgets_the_recipients(announcement_store):
    store = announcement_store
    number = await store.create("tg:9", "zh-Hant", "x", ["tg:1", "tg:2", "tg:3", "tg:4"], T0)
    await store.record(number, [("tg:1", "sent"), ("tg:2", "blocked"), ("tg:3", "failed")])
    tally = await store.finish(number, T0 + timedelta(minutes=5))
    assert (tally.sent, tally.blocked, tally.failed, tally.not_sent) == (1, 1, 1, 1)
    assert await store.unfinished() == []
    assert await store.finish(number, T0 + timedelta(minutes=6)) == tally  # finishing twice changes nothing
    assert await store.forget("tg:4") == 0  # nobody's key is kept once it is finished


async def test_forget_me_drops_a_resident_from_unfinished_announcements(announcement_store):
    store = announcement_store
    number = await store.create("tg:9", "zh-Hant", "x", ["tg:1", "tg:2"], T0)
    assert await store.forget("tg:2") == 1
    assert (await store.unfinished())[0].pending == ("tg:1",)
    await store.record(number, [("tg:1", "sent")])
    assert (await store.finish(number, T0)).sent == 1


async def test_duplicate_recipients_are_stored_once(announcement_store):
    number = await announcement_store.create("tg:9", "en", "x", ["tg:1", "tg:1", "tg:2"], T0)
    assert (await announcement_store.unfinished())[0].pending == ("tg:1", "tg:2")
    assert (await announcement_store.finish(number, T0)).not_sent == 2
