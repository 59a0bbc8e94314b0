"""Durability: a process submitting feedback through the core (``Assistant.handle``) and the SQLite store is killed
with SIGKILL at random moments, many times. Every submission it acknowledged (printed only once ``handle`` returned
the reference number, i.e. after the commit) must be in the database afterwards, no submission may be half-written
(its answer rows match ``answer_count``), and ``PRAGMA integrity_check`` must say ``ok``.

To fit many kills in a few seconds, one helper process imports everything and loads the knowledge base once, then
forks a fresh worker for each run; the test SIGKILLs that worker by its pid.
"""
from __future__ import annotations

import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from feedback_helpers import write_knowledge

ROOT = Path(__file__).resolve().parent.parent
KILLS = 25
TIME_BUDGET_S = 20.0
MIN_KILLS = 10

ZYGOTE = r'''
import asyncio, os, random, re, sys
from pathlib import Path
sys.path[:0] = [sys.argv[3], sys.argv[4]]
from feedback_helpers import Clock, sqlite_world
from bot.core.knowledge.service import KnowledgeService
from bot.core.messages import Incoming

DB, KB = Path(sys.argv[1]), Path(sys.argv[2])
knowledge = KnowledgeService(KB)
REF = re.compile(r"FB-[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}")


def say(line):
    os.write(1, (line + "\n").encode())  # one write per line: whole lines survive SIGKILL in the pipe


async def resident(world, run, worker):
    rng = random.Random(f"{run}-{worker}")
    n = 0
    while True:
        n += 1
        user = f"tg:{run}-{worker}-{n}"
        async def press(**kw):
            return await world.assistant.handle(Incoming(user=user, **kw))
        await press(text="/feedback")
        await press(action="fc:jobs")
        answers = 2
        status = rng.choice(["grad", "leaver", "other"])
        await press(action=f"fa:status:{status}")
        if status != "other":
            for option in rng.sample(["skills", "referrals", "loans"], rng.randint(1, 3)):
                await press(action=f"ft:help:{option}")
            await press(action="fd:help")
            answers += 1
        await press(action=f"fa:rating:{rng.randint(1, 5)}")
        if rng.random() < 0.5:
            await press(text="意見" * rng.randint(1, 20))
            answers += 1
        else:
            await press(action="fs:note")
        await press(action="fok")
        replies = await press(action="fct:n")
        ref = REF.search(replies[0].html).group(0)
        say(f"ACK {ref} {answers}")


async def work(run):
    world = await sqlite_world(knowledge, DB, Clock())
    say("READY")
    await asyncio.gather(*(resident(world, run, w) for w in range(4)))


for line in sys.stdin:
    run = int(line)
    pid = os.fork()
    if pid == 0:
        sys.stdin.close()
        try:
            asyncio.run(work(run))
        finally:
            os._exit(1)
    say(f"PID {pid}")
    _, status = os.waitpid(pid, 0)
    say(f"EXIT {status}")
'''


def reader(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def expect(lines: queue.Queue, prefix: str, acks: dict[str, int], timeout: float = 15.0) -> str:
    """Read lines until one starts with ``prefix``, collecting acknowledgements on the way."""
    deadline = time.monotonic() + timeout
    while True:
        line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        assert line is not None, "the helper process died"
        if line.startswith("ACK "):
            _, ref, count = line.split()
            acks[ref] = int(count)
        elif line.startswith(prefix):
            return line


def test_acknowledged_submissions_survive_sigkill_whole(tmp_path):
    db = tmp_path / "bot.sqlite3"
    kb = write_knowledge(tmp_path / "kb")
    zygote = subprocess.Popen([sys.executable, "-c", ZYGOTE, str(db), str(kb), str(ROOT), str(ROOT / "tests")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=reader, args=(zygote.stdout, lines), daemon=True).start()
    acks: dict[str, int] = {}
    rng = random.Random(20261126)
    kills = 0
    started = time.monotonic()
    try:
        while kills < KILLS and time.monotonic() - started < TIME_BUDGET_S:
            zygote.stdin.write(f"{kills}\n")
            zygote.stdin.flush()
            pid = int(expect(lines, "PID ", acks).split()[1])
            expect(lines, "READY", acks)
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(pid, signal.SIGKILL)
            status = int(expect(lines, "EXIT ", acks).split()[1])
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, "killed, not crashed"
            kills += 1
    finally:
        zygote.stdin.close()
        zygote.wait(timeout=10)
    assert kills >= MIN_KILLS, f"only {kills} kills fitted in {TIME_BUDGET_S} s"
    assert acks, "the workers never acknowledged a submission"

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        stored = {ref: (declared, actual) for ref, declared, actual in conn.execute(
            """SELECT s.reference, s.answer_count, COUNT(a.question_id) FROM feedback_submission s
               LEFT JOIN feedback_answer a ON a.submission_id = s.id GROUP BY s.id""")}
        missing = [ref for ref in acks if ref not in stored]
        assert not missing, f"{len(missing)} acknowledged submissions lost, e.g. {missing[:3]}"
        wrong = {ref: counts for ref, counts in stored.items() if counts[0] != counts[1]}
        assert not wrong, f"half-written submissions: {wrong}"
        assert all(stored[ref] == (count, count) for ref, count in acks.items())
        linked = conn.execute("SELECT COUNT(*) FROM feedback_link").fetchone()[0]
        assert linked == len(stored), "every non-anonymous submission keeps its link"
        for (data,) in conn.execute("SELECT data FROM resident_state"):
            json.loads(data)
    finally:
        conn.close()
    print(f"\n{kills} SIGKILLs in {time.monotonic() - started:.1f} s: {len(acks)} acknowledged, "
          f"{len(stored)} stored, 0 lost, 0 half-written, integrity ok")


# --- group commit (bot.storage.database): concurrent writers share a COMMIT, each still waits for it -----------------

async def _open(tmp_path):
    from bot.storage.database import Database

    db = Database(tmp_path / "gc.sqlite3")
    await db.open()
    async with db.transaction() as conn:
        await conn.execute("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT)")
    return db


def _committed_keys(path: Path) -> set[int]:
    """What another connection (another process, after a crash) sees: committed rows only."""
    conn = sqlite3.connect(path)
    try:
        return {k for (k,) in conn.execute("SELECT k FROM t")}
    finally:
        conn.close()


async def test_each_writer_resumes_only_after_its_block_is_committed(tmp_path):
    import asyncio

    db = await _open(tmp_path)
    seen_after: dict[int, bool] = {}

    async def write(k: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t (k, v) VALUES (?, ?)", (k, "x"))
        seen_after[k] = k in _committed_keys(db.path)

    await asyncio.gather(*(write(k) for k in range(200)))
    assert seen_after == {k: True for k in range(200)}
    await db.close()


async def test_a_failing_block_rolls_back_alone_inside_a_shared_commit(tmp_path):
    import asyncio

    db = await _open(tmp_path)

    async def write(k: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t (k, v) VALUES (?, ?)", (k, "first"))
            if k % 3 == 0:
                await conn.execute("INSERT INTO t (k, v) VALUES (?, ?)", (k, "duplicate"))  # fails mid-block

    results = await asyncio.gather(*(write(k) for k in range(60)), return_exceptions=True)
    failed = {k for k, r in enumerate(results) if isinstance(r, Exception)}
    assert failed == {k for k in range(60) if k % 3 == 0}
    assert all(isinstance(results[k], sqlite3.IntegrityError) for k in failed)
    assert _committed_keys(db.path) == set(range(60)) - failed, "no half of a failed block is kept"
    await db.close()


async def test_a_cancelled_writer_does_not_strand_the_others(tmp_path):
    import asyncio

    db = await _open(tmp_path)
    gate = asyncio.Event()

    async def slow_first() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t (k, v) VALUES (1, 'a')")
            await gate.wait()

    first = asyncio.create_task(slow_first())
    await asyncio.sleep(0.05)
    queued = asyncio.create_task(_insert(db, 2))  # waits for the lock …
    await asyncio.sleep(0.01)
    queued.cancel()  # … and gives up, so the first writer sees someone waiting, then no one
    gate.set()
    await asyncio.wait_for(first, timeout=5)
    assert _committed_keys(db.path) == {1}
    await _insert(db, 3)
    await db.backup_to(tmp_path / "copy.sqlite3")
    assert _committed_keys(tmp_path / "copy.sqlite3") == {1, 3}
    await db.close()


async def _insert(db, k: int) -> None:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO t (k, v) VALUES (?, 'x')", (k,))


async def test_a_writer_cancelled_after_being_handed_the_lock_still_gets_the_batch_committed(tmp_path):
    import asyncio

    db = await _open(tmp_path)
    release = asyncio.Event()

    async def first() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t (k, v) VALUES (1, 'a')")
            await release.wait()

    holder = asyncio.create_task(first())
    await asyncio.sleep(0.05)
    queued = asyncio.create_task(_insert(db, 2))
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.sleep(0)  # the first writer leaves its block and, seeing a writer queued, hands it the batch …
    queued.cancel()  # … which is cancelled before it runs: the commit must still happen
    await asyncio.wait_for(holder, timeout=5)
    assert _committed_keys(db.path) == {1}
    await db.close()
