"""Schema migrations by ``PRAGMA user_version``: from an empty file and from every earlier version the database
reaches the same schema with its data intact, and a failing migration leaves the file at its old version.

Uses ``SCHEMA_VERSION`` and ``MIGRATIONS`` only, never version numbers, so later migrations are covered as they are
appended."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage import database as database_module
from bot.storage.database import Database
from bot.storage.migrations import MIGRATIONS, SCHEMA_VERSION

#: A row for each table we know, written at whatever version first has the table; it must survive every later
#: migration. Tables added by migrations this list does not know are still checked for schema equality.
SEEDS: dict[str, tuple[str, tuple]] = {
    "resident_state": ("INSERT INTO resident_state (user, language, state, data, updated_at) VALUES (?, ?, ?, ?, ?)",
                       ("tg:1", "zh-Hant", "fb.question", '{"c": "jobs"}', "2026-11-26T09:00:00+00:00")),
    "unanswered_question": ("INSERT INTO unanswered_question (question, reason, language, asked_at) "
                            "VALUES (?, ?, ?, ?)", ("明天會下雨嗎", "not_found", "zh-Hant", "2026-11-26T09:00:00")),
    "feedback_submission": ("INSERT INTO feedback_submission (id, reference, kind, consultation_id, language, "
                            "answer_count, created_at, updated_at) VALUES (1, ?, 'survey', 'jobs', 'zh-Hant', 1, ?, ?)",
                            ("FB-20261126000001", "2026-11-26T09:00:00+00:00", "2026-11-26T09:00:00+00:00")),
    "feedback_answer": ("INSERT INTO feedback_answer (submission_id, question_id, position, value) VALUES (1, ?, 0, ?)",
                        ("rating", "4")),
    "feedback_link": ("INSERT INTO feedback_link (submission_id, user) VALUES (1, ?)", ("tg:1",)),
    "helpful_vote": ("INSERT INTO helpful_vote (entry_id, helpful, language, voted_at) VALUES (?, 1, ?, ?)",
                     ("policy-a", "en", "2026-11-26T09:00:00+00:00")),
    "booking": ("INSERT INTO booking (id, reference, venue_id, user, starts_at, ends_at, status, applicant, purpose, "
                "people, price_cents, language, created_at, updated_at) VALUES (1, ?, 'hall', 'tg:1', ?, ?, "
                "'pending', 'resident', '排練', 10, 0, 'zh-Hant', ?, ?)",
                ("BK-0000-0000-0000-0001", "2026-11-27T00:30:00+00:00", "2026-11-27T03:00:00+00:00",
                 "2026-11-26T09:00:00+00:00", "2026-11-26T09:00:00+00:00")),
    "booking_contact": ("INSERT INTO booking_contact (booking_id, contact, consented_at) VALUES (1, ?, ?)",
                        ("138", "2026-11-26T09:00:00+00:00")),
    "booked_slot": ("INSERT INTO booked_slot (venue_id, slot_start, booking_id) VALUES ('hall', ?, 1)",
                    (29405790,)),
}


def build_at(path: Path, version: int) -> None:
    """A database file as a program of schema ``version`` left it, with seed rows in every known table."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("BEGIN")
    for statements in MIGRATIONS[:version]:
        for statement in statements:
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table, (sql, params) in SEEDS.items():
        if table in tables:
            conn.execute(sql, params)
    conn.execute("COMMIT")
    conn.close()


def schema(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                            "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
    finally:
        conn.close()


def tables_at(version: int) -> set[str]:
    conn = sqlite3.connect(":memory:")
    for statements in MIGRATIONS[:version]:
        for statement in statements:
            conn.execute(statement)
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


async def test_an_empty_file_is_brought_to_the_current_schema(tmp_path):
    db = Database(tmp_path / "new" / "bot.sqlite3")
    await db.open()
    try:
        assert await db.user_version() == SCHEMA_VERSION == len(MIGRATIONS)
        assert await db.integrity_check() == "ok"
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
        assert (await db.fetchone("PRAGMA synchronous"))[0] == 2  # FULL
        assert await db.migrate() == SCHEMA_VERSION, "migrating again changes nothing"
    finally:
        await db.close()


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
async def test_every_earlier_version_migrates_to_the_same_schema_and_keeps_its_data(tmp_path, version):
    fresh = tmp_path / "fresh.sqlite3"
    db = Database(fresh)
    await db.open()
    await db.close()

    old = tmp_path / f"v{version}.sqlite3"
    build_at(old, version)
    db = Database(old)
    await db.open()
    try:
        assert await db.user_version() == SCHEMA_VERSION
        assert await db.integrity_check() == "ok"
        assert await db.fetchall("PRAGMA foreign_key_check") == []
        for table in SEEDS.keys() & tables_at(version):
            assert (await db.fetchone(f"SELECT COUNT(*) FROM {table}"))[0] == 1, table
    finally:
        await db.close()
    assert schema(old) == schema(fresh)


@pytest.mark.parametrize("version", range(SCHEMA_VERSION + 1))
async def test_the_state_table_keeps_no_index_but_its_key(tmp_path, version):
    """Every message a resident sends saves their ``resident_state`` row, so each index on it is paid for on every
    message; the reminder query scans the table once a minute instead (migration 5 dropped the index it never
    used). Holds from an empty file and from every earlier version."""
    path = tmp_path / "bot.sqlite3"
    if version:
        build_at(path, version)
    db = Database(path)
    await db.open()
    try:
        indexes = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?",
                                    ("resident_state",))
        assert [row[0] for row in indexes] == ["sqlite_autoindex_resident_state_1"]  # the primary key
    finally:
        await db.close()


async def test_a_file_from_a_newer_program_is_refused(tmp_path):
    path = tmp_path / "future.sqlite3"
    build_at(path, SCHEMA_VERSION)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    db = Database(path)
    with pytest.raises(RuntimeError, match="newer than this program"):
        await db.open()
    await db.close()


async def test_a_failing_migration_leaves_the_file_at_its_old_version(tmp_path, monkeypatch):
    path = tmp_path / "bot.sqlite3"
    build_at(path, SCHEMA_VERSION)
    broken = ("CREATE TABLE half_done (x INTEGER)", "INSERT INTO no_such_table VALUES (1)")
    monkeypatch.setattr(database_module, "MIGRATIONS", MIGRATIONS + (broken,))
    db = Database(path)
    with pytest.raises(sqlite3.OperationalError):
        await db.open()
    await db.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0
    conn.close()


async def test_deleting_a_submission_cascades_to_everything_about_it(tmp_path):
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    try:
        async with db.transaction() as conn:
            for table in ("feedback_submission", "feedback_answer", "feedback_link"):
                await conn.execute(*SEEDS[table])
            await conn.execute("INSERT INTO feedback_contact (submission_id, contact, consented_at) VALUES (1, ?, ?)",
                               ("電話", "2026-11-26"))
            await conn.execute("INSERT INTO feedback_reply (id, submission_id, text, created_at) VALUES (7, 1, ?, ?)",
                               ("收到", "2026-11-26"))
            await conn.execute("INSERT INTO feedback_rating (reply_id, score, rated_at) VALUES (7, 5, ?)",
                               ("2026-11-26",))
        async with db.transaction() as conn:
            await conn.execute("DELETE FROM feedback_submission WHERE id = 1")
        for table in ("feedback_answer", "feedback_link", "feedback_contact", "feedback_reply", "feedback_rating"):
            assert (await db.fetchone(f"SELECT COUNT(*) FROM {table}"))[0] == 0, table
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO feedback_rating (reply_id, score, rated_at) VALUES (7, 6, 'x')")
    finally:
        await db.close()
