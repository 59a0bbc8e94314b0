"""The cheap write paths of ``bot.storage.database`` (``write``, ``run_block``) and the resident store's cache keep
the group commit's guarantees: a writer resumes only after the COMMIT that made its write durable, a failing write
fails alone, queued writes keep their order. (The SIGKILL test in ``test_durability.py`` covers them end to end.)"""
from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.dialog.context import snapshot
from bot.core.ports import ResidentState, encode_data
from bot.storage.database import MULTIROW_MAX, Database, Statement, StatementFailed
from bot.storage.residents import SqliteResidentStore

UPSERT = "INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


async def _open(tmp_path: Path) -> Database:
    db = Database(tmp_path / "w.sqlite3")
    await db.open()
    async with db.transaction() as conn:
        await conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    return db


def _committed(path: Path) -> dict[int, str]:
    """What another connection (another process, after a crash) sees: committed rows only."""
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT k, v FROM t"))
    finally:
        conn.close()


async def _hold_write_lock(db: Database, gate: asyncio.Event) -> asyncio.Task:
    """A transaction that holds the write lock until ``gate`` is set (a slow block); returns once it holds it."""
    async def slow_block() -> None:
        async with db.transaction():
            await gate.wait()

    holder = asyncio.create_task(slow_block())
    await asyncio.sleep(0.05)
    return holder


async def test_a_queued_write_returns_only_once_committed(tmp_path):
    db = await _open(tmp_path)
    seen: dict[int, bool] = {}

    async def write(k: int) -> None:
        await db.write(UPSERT, (k, f"v{k}"))
        seen[k] = _committed(db.path).get(k) == f"v{k}"

    # More than one multi-row statement holds (MULTIROW_MAX), mixed with blocks that share the commits.
    await asyncio.gather(*(write(k) for k in range(MULTIROW_MAX + 200)),
                         *(db.run_block([Statement(UPSERT, (10_000 + k, "block"))]) for k in range(20)))
    assert seen == {k: True for k in range(MULTIROW_MAX + 200)}
    assert len(_committed(db.path)) == MULTIROW_MAX + 220
    await db.close()


async def test_a_failing_queued_write_fails_alone(tmp_path):
    db = await _open(tmp_path)
    results = await asyncio.gather(*(db.write(UPSERT, (k, None if k % 7 == 0 else "ok")) for k in range(50)),
                                   return_exceptions=True)
    failed = {k for k, r in enumerate(results) if isinstance(r, Exception)}
    assert failed == {k for k in range(50) if k % 7 == 0}
    assert all(isinstance(results[k], sqlite3.IntegrityError) for k in failed)
    assert set(_committed(db.path)) == set(range(50)) - failed
    await db.close()


async def test_queued_writes_keep_their_order(tmp_path):
    db = await _open(tmp_path)
    delete = "DELETE FROM t WHERE k = ?"
    await asyncio.gather(db.write(UPSERT, (1, "a")), db.write(UPSERT, (2, "a")), db.write(delete, (1,)),
                         db.write(UPSERT, (2, "b")), db.write(UPSERT, (3, "a")), db.write(delete, (3,)),
                         db.write(UPSERT, (3, "c")))
    assert _committed(db.path) == {2: "b", 3: "c"}
    await db.close()


async def test_a_block_is_all_or_nothing_and_names_the_failing_statement(tmp_path):
    db = await _open(tmp_path)

    async def block(k: int) -> list:
        third = k if k % 3 == 0 else k + 2000  # every third block collides with its own first row
        return await db.run_block([Statement("INSERT INTO t (k, v) VALUES (?, 'first')", (k,)),
                                   Statement("INSERT INTO t (k, v) VALUES (?, ?)", (k + 1000, "second")),
                                   Statement("INSERT INTO t (k, v) VALUES (?, 'third')", (third,))])

    results = await asyncio.gather(*(block(k) for k in range(30)), return_exceptions=True)
    failed = {k for k, r in enumerate(results) if isinstance(r, Exception)}
    assert failed == {k for k in range(30) if k % 3 == 0}
    assert all(isinstance(results[k], StatementFailed) and results[k].index == 2
               and isinstance(results[k].error, sqlite3.IntegrityError) for k in failed)
    kept = set(_committed(db.path))
    assert kept == {k + offset for k in set(range(30)) - failed for offset in (0, 1000, 2000)}, "no half block"
    assert all(len(results[k]) == 3 and results[k][0].rowcount == 1 for k in set(range(30)) - failed)
    await db.close()


async def test_blocks_queued_writes_and_transactions_of_one_batch_fail_alone(tmp_path):
    """One batch holding every kind of writer — blocks (one failing), queued writes (one failing) and
    ``transaction()`` blocks waiting for the lock meanwhile (one failing): each failure takes back only its own
    write, the rest is committed, and every writer resumes only once its write is in the file."""
    db = await _open(tmp_path)
    durable: dict[str, bool] = {}

    async def block(k: int, v: str) -> None:
        await db.run_block([Statement("INSERT INTO t (k, v) VALUES (?, ?)", (k, v))])
        durable[f"block {k}"] = _committed(db.path).get(k) == v

    async def queued(k: int, v: str | None) -> None:
        await db.write(UPSERT, (k, v))
        durable[f"write {k}"] = _committed(db.path).get(k) == v

    async def interactive(k: int, fail: bool) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t (k, v) VALUES (?, 'tx')", (k,))
            if fail:
                raise RuntimeError("changed my mind")
        durable[f"transaction {k}"] = _committed(db.path).get(k) == "tx"

    writers = [block(1, "b"), block(1, "again"), block(2, "b"),
               queued(10, "w"), queued(11, None), queued(12, "w"),
               interactive(20, False), interactive(21, True), interactive(22, False)]
    results = await asyncio.gather(*writers, return_exceptions=True)
    assert [type(r).__name__ for r in results] == ["NoneType", "StatementFailed", "NoneType",
                                                   "NoneType", "IntegrityError", "NoneType",
                                                   "NoneType", "RuntimeError", "NoneType"]
    assert _committed(db.path) == {1: "b", 2: "b", 10: "w", 12: "w", 20: "tx", 22: "tx"}
    assert durable == {"block 1": True, "block 2": True, "write 10": True, "write 12": True,
                       "transaction 20": True, "transaction 22": True}
    await db.close()


async def test_blocks_sent_while_transactions_wait_are_committed_with_them(tmp_path):
    """The flusher gets the lock while ``transaction()`` writers wait for it: it sends its blocks into the open
    batch without committing, and the last of the waiting writers commits them all; nobody resumes before."""
    db = await _open(tmp_path)
    gate, order = asyncio.Event(), []

    async def interactive(k: int, hold: bool) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t (k, v) VALUES (?, 'tx')", (k,))
            if hold:
                await gate.wait()
        order.append((f"transaction {k}", set(_committed(db.path))))

    async def block(k: int) -> None:
        await db.run_block([Statement("INSERT INTO t (k, v) VALUES (?, 'block')", (k,))])
        order.append((f"block {k}", set(_committed(db.path))))

    async def queued(k: int) -> None:
        await db.write(UPSERT, (k, "w"))
        order.append((f"write {k}", set(_committed(db.path))))

    first = asyncio.create_task(interactive(1, hold=True))
    await asyncio.sleep(0.01)  # it holds the lock
    later = [asyncio.create_task(block(2)), asyncio.create_task(queued(3))]
    await asyncio.sleep(0.01)  # the flusher waits for the lock
    later.append(asyncio.create_task(interactive(4, hold=False)))
    await asyncio.sleep(0.01)  # and so does a second transaction, behind it
    assert order == []
    gate.set()
    await asyncio.gather(first, *later)
    everything = {1, 2, 3, 4}
    assert sorted(order) == sorted((name, everything) for name in
                                   ("transaction 1", "block 2", "write 3", "transaction 4"))
    assert _committed(db.path) == {1: "tx", 2: "block", 3: "w", 4: "tx"}
    await db.close()


async def test_the_resident_cache_writes_through_and_never_hides_a_newer_state(tmp_path):
    db = Database(tmp_path / "r.sqlite3")
    await db.open()
    store = SqliteResidentStore(db)
    old = ResidentState(user="tg:1", state="fb.question", data={"c": "jobs"}, updated_at=T0)
    await store.save_state(old)
    restarted = SqliteResidentStore(db)  # a new process: nothing cached, everything from the file
    assert await restarted.load_state("tg:1") == old

    # While a newer save waits for its COMMIT (a slow block holds the write lock), the reminder job's query
    # still finds the old, stale row in the file: it must judge the newer state, which is not stale.
    gate = asyncio.Event()
    holder = await _hold_write_lock(db, gate)
    newer = ResidentState(user="tg:1", state="fb.summary", data={"c": "jobs", "a": {}},
                          updated_at=T0 + timedelta(hours=1))
    saving = asyncio.create_task(store.save_state(newer))
    await asyncio.sleep(0.05)
    assert not saving.done(), "a save returns only after its COMMIT"
    assert await store.load_state("tg:1") == newer
    assert await store.stale_flows(T0 + timedelta(minutes=30)) == []
    gate.set()
    await asyncio.gather(holder, saving)
    assert await SqliteResidentStore(db).load_state("tg:1") == newer

    loaded = await store.load_state("tg:1")
    loaded.data["a"]["x"] = 1  # a handler changing what it loaded, then failing: the cache must not see it
    assert (await store.load_state("tg:1")).data == {"c": "jobs", "a": {}}
    await store.forget("tg:1")
    assert (await SqliteResidentStore(db).load_state("tg:1")).state == "idle"
    await db.close()


@pytest.mark.parametrize("size", [1, 3])
async def test_the_cache_is_bounded(tmp_path, size):
    db = Database(tmp_path / "b.sqlite3")
    await db.open()
    store = SqliteResidentStore(db, cache_size=size)
    for n in range(10):
        await store.save_state(ResidentState(user=f"tg:{n}", state="fb.question", updated_at=T0))
    assert len(store._cache) == size
    assert [(await store.load_state(f"tg:{n}")).state for n in range(10)] == ["fb.question"] * 10
    await db.close()


async def test_concurrent_submissions_conflict_alone(tmp_path):
    """Submissions sent to the database together (one batch of blocks): each conflict fails its own submission
    with the right error, and nothing of it is kept; the others are stored whole."""
    from bot.core.feedback.model import Answer, NewSubmission
    from bot.core.feedback.ports import AlreadyParticipated, AlreadySubmitted, DuplicateReference
    from bot.storage.feedback import SqliteFeedbackStore

    db = Database(tmp_path / "f.sqlite3")
    await db.open()
    store = SqliteFeedbackStore(db)
    answers = (Answer("status", "grad", 0), Answer("help", ("skills", "loans"), 1), Answer("note", "夜校", 2))

    def submission(n: int, **kw) -> NewSubmission:
        base = dict(reference=f"FB-{n:014d}", kind="survey", language="zh-Hant", created_at=T0,
                    consultation_id="jobs", answers=answers, user=f"tg:{n}")
        return NewSubmission(**{**base, **kw})

    batch = [submission(n) for n in range(20)]
    batch += [submission(100, user="tg:3"),  # tg:3 already answered "jobs"
              submission(101, reference="FB-00000000000005", user="tg:101"),  # a reference that is taken
              submission(102, user=None, participation="token"),
              submission(103, user=None, participation="token"),  # the same anonymous resident again
              submission(104, user="tg:104", contact="電話 138")]
    results = await asyncio.gather(*(store.add(s) for s in batch), return_exceptions=True)
    errors = {s.reference: type(r) for s, r in zip(batch, results, strict=True) if isinstance(r, Exception)}
    # Blocks are applied in the order they were queued: the earlier of two conflicting submissions wins.
    assert errors == {"FB-00000000000100": AlreadySubmitted, "FB-00000000000005": DuplicateReference,
                      "FB-00000000000103": AlreadyParticipated}
    stored = await store.submissions()
    assert len(stored) == len(batch) - 3
    assert all(s.answers == answers for s in stored), "every stored submission is whole"
    assert (await store.get("FB-00000000000005")).linked and await store.contact("FB-00000000000104") == "電話 138"
    await db.close()


async def test_what_residents_answered_is_read_once_and_never_served_stale(tmp_path):
    """/feedback reads what a resident answered; the choice right after needs no second read. A submission or
    /forget_me (also one landing while a read is in flight) is seen by the next look-up."""
    from bot.core.feedback.model import NewSubmission
    from bot.storage.feedback import SqliteFeedbackStore

    db = Database(tmp_path / "a.sqlite3")
    await db.open()
    store = SqliteFeedbackStore(db)
    reads = []
    fetchall = db.fetchall

    async def counted(sql, params=()):
        reads.append(sql)
        return await fetchall(sql, params)

    db.fetchall = counted  # type: ignore[method-assign]

    def submission(n: int, **kw) -> NewSubmission:
        return NewSubmission(reference=f"FB-{n}", kind="survey", language="zh-Hant", created_at=T0, **kw)

    assert await store.answered("tg:1", ["tok-1"]) == set()
    assert len(reads) == 1
    assert await store.linked_to("tg:1", "jobs") is None and not await store.participated("tok-1")
    assert len(reads) == 1, "the choice after the list is answered from the cache"

    # Submissions land while look-ups of the same resident and token are in flight.
    results = await asyncio.gather(store.answered("tg:2", ["tok-2"]), store.add(submission(1, user="tg:1",
                                                                                          consultation_id="jobs")),
                                   store.answered("tg:1", ["tok-2"]),
                                   store.add(submission(2, consultation_id="dibao", participation="tok-2")),
                                   store.participated("tok-2"))
    assert results[0] == set() or results[0] == {"dibao"}
    assert await store.answered("tg:1", ["tok-1", "tok-2"]) == {"jobs", "dibao"}
    assert (await store.linked_to("tg:1", "jobs")).reference == "FB-1" and await store.participated("tok-2")
    assert await store.answered("tg:2", ["tok-2"]) == {"dibao"}

    await store.forget("tg:1", ["tok-2"])
    assert await store.answered("tg:1", ["tok-2"]) == set() and await store.linked_to("tg:1", "jobs") is None
    assert not await store.participated("tok-2")

    # A look-up sent while a submission's commit is on its way: the submission's writer resumes first and the
    # look-up, which may have read either side of it, does not fill the cache.
    adding = asyncio.create_task(store.add(submission(3, user="tg:3", consultation_id="jobs")))
    for _ in range(3):
        await asyncio.sleep(0)  # the batch is on its way to the database thread
    looking = asyncio.create_task(store.answered("tg:3"))
    await asyncio.gather(adding, looking)
    before = len(reads)
    assert await store.answered("tg:3") == {"jobs"} and len(reads) == before + 1, "read again, not cached"
    await db.close()


async def test_a_state_carried_by_a_block_is_never_overwritten_by_an_older_queued_save(tmp_path):
    """Statements ``write`` queued run after the blocks of their batch. So while a save of the resident waits (the
    reminder job's), the submission does not carry their newer state: it is saved after, in order."""
    from bot.core.feedback.model import NewSubmission  # noqa: PLC0415
    from bot.storage.feedback import SqliteFeedbackStore  # noqa: PLC0415
    from bot.storage.unit import SqliteUnitOfWork  # noqa: PLC0415

    db = Database(tmp_path / "s.sqlite3")
    await db.open()
    residents, feedback = SqliteResidentStore(db), SqliteFeedbackStore(db)
    gate = asyncio.Event()
    holder = await _hold_write_lock(db, gate)
    reminded = ResidentState(user="tg:1", state="fb.consent", updated_at=T0, reminded=True)
    older = asyncio.create_task(residents.save_state(reminded))
    await asyncio.sleep(0.05)
    done = ResidentState(user="tg:1", state="idle", updated_at=T0 + timedelta(minutes=1))
    submitted = asyncio.create_task(SqliteUnitOfWork(db, residents).commit([feedback.stage_add(
        NewSubmission(reference="FB-1", kind="survey", language="zh-Hant", created_at=T0, consultation_id="jobs",
                      user="tg:1"))], done))
    await asyncio.sleep(0.05)
    gate.set()
    await asyncio.gather(holder, older, submitted)
    assert await residents.load_state("tg:1") == done
    assert await SqliteResidentStore(db).load_state("tg:1") == done  # the file, as after a restart
    await db.close()


async def test_a_loaded_state_carries_the_text_its_data_was_read_from(tmp_path):
    """The Assistant's change check compares ``data`` as JSON text and takes the "before" text from the store
    (``ResidentState.loaded_data``) instead of encoding it again: it must be exactly what encoding gives, and any
    change, however deep, must show."""
    db = Database(tmp_path / "c.sqlite3")
    await db.open()
    store = SqliteResidentStore(db)
    await store.save_state(ResidentState(user="tg:1", state="fb.question", updated_at=T0,
                                         data={"c": "jobs", "a": {"q1": 3, "q2": ["x", "y"], "q3": "晚上"}}))
    for loaded in (await store.load_state("tg:1"), await SqliteResidentStore(db).load_state("tg:1")):
        before = snapshot(loaded, loaded.loaded_data)
        assert loaded.loaded_data == encode_data(loaded.data) and before == snapshot(loaded)
        loaded.data["a"]["q2"].append("z")
        assert snapshot(loaded) != before
    assert (await store.load_state("tg:1")).data["a"]["q2"] == ["x", "y"]
    await db.close()
