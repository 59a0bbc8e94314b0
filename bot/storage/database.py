"""The one SQLite database file: opening it with the right pragmas, migrating it, and write transactions.

One connection does all writing (SQLite allows one writer at a time anyway); ``transaction()`` serialises writers
inside this process with a lock and uses ``BEGIN IMMEDIATE`` so a write never fails half-way on a lock upgrade.

Group commit: with ``synchronous=FULL`` every COMMIT waits for the disk, so writers that queue up while a
transaction is open add their blocks to it (each in its own SAVEPOINT, so one failing block rolls back alone) and
the last of them commits for all. Every writer still resumes only after the COMMIT that made its block durable.

Round trips: every call on the aiosqlite connection is a trip to its thread and back — a queue put, a wake-up of
that thread, which must also win the GIL back from the busy event loop after every step SQLite takes (once per
row with ``executemany``), and a wake-up of the event loop — and while the write lock is held every writer queued
behind waits for those trips. Under load they, not SQLite, are what costs. So besides ``transaction()`` (blocks
that read what they write) there are two cheaper ways to write:

- ``write`` only queues its statement (idempotent, one row); a flusher task sends everything queued together with
  the COMMIT in one go, each run of the same ``INSERT … VALUES`` as one multi-row statement. The dialog state that
  every message saves goes this way: one round trip per batch of messages instead of two or three per message.
- ``run_block`` queues a block whose statements are all known beforehand (a feedback submission with its
  answers); the same flusher sends all blocks queued meanwhile in one go, each in its own savepoint: one turn of
  the write lock and one round trip for the batch, instead of a turn and a round trip per statement for each.

Every turn of the write lock also waits for the busy event loop to get round to the next writer, so batching the
turns matters as much as batching the round trips.
"""
from __future__ import annotations

import asyncio
import re
import sqlite3
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Sequence

import aiosqlite

from bot.storage.migrations import MIGRATIONS

BUSY_TIMEOUT_MS = 5000
#: Most writes one COMMIT carries; bounds how long the first of them waits for its acknowledgement.
GROUP_COMMIT_MAX = 64

Queued = tuple[str, tuple, asyncio.Future]  # a statement queued by ``write``: SQL, parameters, its writer's future


@dataclass(frozen=True)
class Statement:
    """One statement of a ``run_block`` block; ``many``: ``params`` is a list of parameter tuples
    (``executemany``)."""

    sql: str
    params: tuple | list[tuple] = ()
    many: bool = False


#: ``INSERT … VALUES (?, …) …``: the one group of placeholders a multi-row statement repeats.
_VALUES = re.compile(r"^(?P<head>\s*INSERT\b.*?\bVALUES\s*)(?P<group>\([?,\s]*\))(?P<tail>.*)$",
                     re.IGNORECASE | re.DOTALL)
#: Rows per multi-row statement, within SQLite's 32,766 bound parameters.
MULTIROW_MAX = 500


def multirow(sql: str, params: list[tuple]) -> list[Statement]:
    """The same ``INSERT … VALUES (?, …)`` for many rows as few statements: ``VALUES (…), (…), …``.

    Not ``executemany``: the sqlite3 module lets go of the GIL around every row it steps, and the database
    thread then waits for a busy event loop to give it back once per row (measured: 20 rows took 50-90 ms with
    the loop busy, one 20-row statement 4-6 ms). A statement that is not an ``INSERT … VALUES`` falls back to
    ``executemany``."""
    match = _VALUES.match(sql)
    if match is None or len(params) == 1:
        return [Statement(sql, params[0])] if len(params) == 1 else [Statement(sql, params, many=True)]
    head, group, tail = match["head"], match["group"], match["tail"]
    statements = []
    for start in range(0, len(params), MULTIROW_MAX):
        chunk = params[start:start + MULTIROW_MAX]
        statements.append(Statement(head + ", ".join([group] * len(chunk)) + tail,
                                    tuple(value for row in chunk for value in row)))
    return statements


# A block queued by ``run_block``: its statements, the future of their results, the future of its COMMIT.
QueuedBlock = tuple[tuple["Statement", ...], asyncio.Future, asyncio.Future]


class StatementFailed(Exception):
    """A statement of a ``run_block`` block failed and the block was rolled back: ``index`` is its position in the
    block, ``error`` (also the ``__cause__``) what SQLite raised."""

    def __init__(self, index: int, error: BaseException):
        super().__init__(f"statement {index} of the block failed: {error!r}")
        self.index = index
        self.error = error


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a statement sent in a batch did: the cursor's ``lastrowid`` and ``rowcount``."""

    lastrowid: int | None
    rowcount: int


def _run_in_order(conn: sqlite3.Connection, statements: tuple[Statement, ...]) -> list[Outcome | BaseException]:
    """On the database thread: every statement in order, each one's ``Outcome`` or the exception it raised."""
    results: list[Outcome | BaseException] = []
    for statement in statements:
        try:
            cursor = (conn.executemany(statement.sql, statement.params) if statement.many  # type: ignore[arg-type]
                      else conn.execute(statement.sql, statement.params))
        except Exception as error:  # noqa: BLE001 - handed to the statement's writer, as before
            results.append(error)
            continue
        results.append(Outcome(cursor.lastrowid, cursor.rowcount))
        cursor.close()
    return results


class Database:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._writers_waiting = 0
        self._batch: list[asyncio.Future] | None = None  # one future per write of the open transaction
        self._rows: list[Queued] = []  # statements queued by ``write``, not yet sent, in order
        self._blocks: list[QueuedBlock] = []  # blocks queued by ``run_block``, not yet sent, in order
        self._flusher: asyncio.Task | None = None  # commits for a writer that gave up its turn
        self._flusher_task: asyncio.Future | None = None  # sends and commits what is queued, see ``_flush``

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open; call await Database.open() first")
        return self._conn

    async def open(self) -> None:
        """Open (creating the folder and file if needed), set pragmas and bring the schema up to date."""
        if self._conn is not None:
            return
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so the driver never opens hidden transactions.
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        self._conn.row_factory = aiosqlite.Row
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", f"busy_timeout={BUSY_TIMEOUT_MS}"):
            await self._conn.execute(f"PRAGMA {pragma}")
        await self.migrate()

    async def close(self) -> None:
        if self._conn is not None:
            if self._flusher_task is not None:
                await asyncio.wait({self._flusher_task})  # what it fails to write, its writers are told
            async with self._write_lock:
                await self._commit_batch()
            await self._conn.close()
            self._conn = None

    async def user_version(self) -> int:
        async with self.conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0])

    async def migrate(self) -> int:
        """Apply every migration newer than the file's ``user_version``; returns the version reached."""
        version = await self.user_version()
        if version > len(MIGRATIONS):
            raise RuntimeError(f"{self.path} has schema version {version}, newer than this program "
                               f"({len(MIGRATIONS)}); upgrade the bot before using this database")
        for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
            async with self.transaction() as conn:
                for statement in statements:
                    await conn.execute(statement)
                # PRAGMA takes no bound parameters; ``number`` is an int from our own table.
                await conn.execute(f"PRAGMA user_version = {int(number)}")
        return len(MIGRATIONS)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write block, all or nothing: it rolls back alone on any error, and the caller continues only after
        the ``COMMIT`` that made it durable (shared with writers queued behind it, see the module docstring)."""
        committed: asyncio.Future | None = None
        async with self._turn():
            conn = self.conn
            await self._begin()
            # Savepoints of the same name nest and ROLLBACK TO names the newest: this block's. They are not
            # released one by one (a round trip each); the COMMIT releases them all.
            await conn.execute("SAVEPOINT block")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK TO block")
                raise
            committed = asyncio.get_running_loop().create_future()
            self._batch.append(committed)  # type: ignore[union-attr]  # _begin opened it
        await committed  # raises what the COMMIT raised

    async def run_block(self, statements: Sequence[Statement]) -> list[Outcome]:
        """A write block whose statements are all known beforehand (none needs an earlier one's result): all or
        nothing like a ``transaction()`` block, and returns after the COMMIT that made it durable, with each
        statement's ``Outcome`` (``lastrowid``, ``rowcount``). Raises ``StatementFailed`` naming the first statement
        that failed; the whole block is then rolled back, and only it.

        The block is queued: the flusher sends every block queued meanwhile in one go (see ``_send_blocks``), so
        a batch of them costs one turn of the write lock and one round trip, not one turn each — every turn of the
        lock waits for the busy event loop to get round to the next writer."""
        loop = asyncio.get_running_loop()
        done, committed = loop.create_future(), loop.create_future()
        self._blocks.append((tuple(statements), done, committed))
        self._wake_flusher()
        results = await done  # raises StatementFailed
        await committed  # raises what the COMMIT raised
        return results

    async def _pipeline(self, statements: Sequence[Statement]) -> list[Outcome | BaseException]:
        """Run ``statements`` in order in one trip to the database thread: each result is the statement's
        ``Outcome`` or the exception it raised (the next ones run all the same).

        One trip, not one per statement: every trip costs the event loop a future, a wake-up through its self-pipe
        and a task step, and the database thread a queue hand-over and GIL round — per batch, not per statement,
        now. Even if the caller is cancelled while waiting, the statements all run (they are queued), before
        anything the caller sends afterwards."""
        conn = self.conn
        # aiosqlite has no public call for "run this function on the connection's thread"; ``_execute`` is that
        # call (the one every public method goes through, unchanged across the versions pyproject allows), and
        # ``_conn`` the sqlite3 connection it hands to them.
        return await conn._execute(_run_in_order, conn._conn, tuple(statements))

    async def write(self, sql: str, params: tuple = ()) -> None:
        """Queue one statement for the next group commit; returns after that COMMIT, or raises what the statement
        or the COMMIT raised (a failing statement is undone alone, the others are kept).

        Much cheaper than a one-statement ``transaction()`` under load (see the module docstring), with two
        conditions: the statement must be idempotent (an upsert, a delete by key: after a failure in a batch its
        statements run again one at a time), and no other kind of write may change the same table, because
        queued statements are sent with the COMMIT, after the blocks of the same batch. Queued statements keep
        their order among themselves. Nothing comes back (no ``lastrowid``, no row count)."""
        committed = asyncio.get_running_loop().create_future()
        self._rows.append((sql, params, committed))
        self._wake_flusher()
        await committed

    def _wake_flusher(self) -> None:
        if self._flusher_task is None or self._flusher_task.done():
            self._flusher_task = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        """Take turns with the other writers until nothing queued is left: a turn sends the queued blocks and
        commits the batch, queued statements included — unless more writers are waiting, then one of them will."""
        while self._rows or self._blocks:
            async with self._turn():
                if self._blocks:
                    # At most GROUP_COMMIT_MAX per turn, so a burst is acknowledged in slices, not all at the end.
                    blocks, self._blocks = self._blocks[:GROUP_COMMIT_MAX], self._blocks[GROUP_COMMIT_MAX:]
                    await self._send_blocks(blocks)

    async def _send_blocks(self, blocks: list[QueuedBlock]) -> None:
        """Send queued blocks in one go, each inside its own savepoint; the savepoints nest (b0 ⊃ b1 ⊃ …), so when
        block k fails, ROLLBACK TO bk undoes it and the blocks after it, which are then sent again. Failures are
        rare (a duplicate submission), so nearly always this is one round trip for the whole batch."""
        while blocks:
            statements = self._open()  # a failed BEGIN does not matter: SAVEPOINT opens a transaction too
            spans = []  # where each block's SAVEPOINT and statements are in ``statements``
            for number, (block, _, _) in enumerate(blocks):
                spans.append(slice(len(statements), len(statements) + 1 + len(block)))
                statements += [Statement(f"SAVEPOINT b{number}"), *block]
            try:
                results = await self._pipeline(statements)
            except BaseException as error:  # cancelled: give up on the whole transaction
                await self._abort(error, [f for _, done, committed in blocks for f in (done, committed)])
                raise
            outcomes = [results[span] for span in spans]  # per block: the SAVEPOINT's, then its statements'
            failed = next((n for n, own in enumerate(outcomes) if any(isinstance(r, BaseException) for r in own)),
                          len(blocks))
            for (_, done, committed), own in zip(blocks[:failed], outcomes):
                if not done.done():
                    done.set_result(own[1:])
                self._batch.append(committed)  # type: ignore[union-attr]  # _open opened it
            if failed == len(blocks):
                return
            _, done, _ = blocks[failed]
            own = outcomes[failed]
            if isinstance(own[0], BaseException):
                # No savepoint, so what followed ran unprotected: only undoing the whole transaction is safe.
                await self._abort(own[0], [f for _, done, committed in blocks[failed:] for f in (done, committed)])
                return
            await self.conn.execute(f"ROLLBACK TO b{failed}")
            index, error = next((i, r) for i, r in enumerate(own[1:]) if isinstance(r, BaseException))
            if not done.done():
                done.set_exception(StatementFailed(index, error))
            blocks = blocks[failed + 1:]

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """Hold the write lock; on leaving, the last writer in the queue (or the one that fills the batch)
        commits for everyone in the batch."""
        self._writers_waiting += 1
        try:
            await self._write_lock.acquire()
        except BaseException:
            self._writers_waiting -= 1
            self._flush_if_abandoned()
            raise
        self._writers_waiting -= 1
        try:
            yield
        finally:
            if self._writers_waiting == 0 or self._pending() >= GROUP_COMMIT_MAX:
                await self._commit_batch()
            self._write_lock.release()

    def _pending(self) -> int:
        """Writes waiting for the next COMMIT: blocks done and statements and blocks queued."""
        return (len(self._batch) if self._batch is not None else 0) + len(self._rows) + len(self._blocks)

    async def _begin(self) -> None:
        """Open the batch's transaction unless it is open."""
        for statement in self._open():
            await self.conn.execute(statement.sql)

    def _open(self) -> list[Statement]:
        """The BEGIN that opens the batch's transaction, to send first, or nothing when it is open."""
        if self._batch is not None:
            return []
        self._batch = []
        return [Statement("BEGIN IMMEDIATE")]

    @staticmethod
    def _runs(rows: list[Queued]) -> list[Statement]:
        """Queued statements, in order, with each run of the same ``INSERT … VALUES (…)`` made one multi-row
        statement (other runs: one ``executemany``)."""
        runs: list[Statement] = []
        start = 0
        while start < len(rows):
            sql = rows[start][0]
            end = start
            while end < len(rows) and rows[end][0] == sql:
                end += 1
            runs.extend(multirow(sql, [params for _, params, _ in rows[start:end]]))
            start = end
        return runs

    async def _commit_batch(self) -> None:
        """Send what ``write`` queued, COMMIT the open transaction (caller holds the lock) and tell every writer
        how it went. Queued statements and the COMMIT go in one round trip; should one of the statements fail
        (rare: they are upserts and deletes by key), the COMMIT has still kept the others, and the queued
        statements are sent again one at a time in a new transaction (they are idempotent), so that only the
        failing one's writer gets the error."""
        if self._batch is None and not self._rows:
            return
        # Statements queued from now on are for the next batch (the flusher goes on until none is left).
        rows, self._rows = self._rows, []
        queued = [future for *_, future in rows]
        batch: list[asyncio.Future] = []
        try:
            opening = self._open()  # only when nothing but queued statements is to be committed
            batch, self._batch = self._batch or [], None
            results = await self._pipeline([*opening, *self._runs(rows), Statement("COMMIT")])
            # If BEGIN failed (another process holding the file's write lock for BUSY_TIMEOUT_MS), the statements
            # may have run on their own and be stored; their writers are told it failed, the safe side.
            for result in results[:len(opening)] + results[-1:]:
                if isinstance(result, BaseException):
                    raise result
            results = results[len(opening):-1]
        except BaseException as error:
            await self._abort(error, [*batch, *queued])
            return
        clean = not any(isinstance(r, BaseException) for r in results)
        for future in batch + queued if clean else batch:
            if not future.done():  # a writer cancelled while waiting
                future.set_result(None)
        if not clean:
            try:
                await self._write_one_by_one(rows)
            except BaseException as error:
                await self._abort(error, queued)

    async def _write_one_by_one(self, rows: list[Queued]) -> None:
        """The slow path of ``_commit_batch``: each queued statement alone, then COMMIT; tells their writers."""
        conn = self.conn
        await conn.execute("BEGIN IMMEDIATE")
        done: list[asyncio.Future] = []
        for sql, params, future in rows:
            try:
                await conn.execute(sql, params)
                done.append(future)
            except Exception as error:  # noqa: BLE001 - a failed statement undoes itself; it goes to its writer
                if not future.done():
                    future.set_exception(error)
        await conn.execute("COMMIT")
        for future in done:
            if not future.done():
                future.set_result(None)

    async def _abort(self, error: BaseException, waiting: list[asyncio.Future] | None = None) -> None:
        """Fail every write waiting for the open transaction (the batch's, and ``waiting``), then roll it back."""
        waiting = [*(self._batch or []), *(waiting or [])]
        self._batch = None
        for future in waiting:
            if not future.done():
                future.set_exception(RuntimeError(f"commit failed: {error!r}"))
        if self._conn is not None and self._conn.in_transaction:
            await self._conn.execute("ROLLBACK")

    def _flush_if_abandoned(self) -> None:
        """A queued writer gave up (cancelled): if it was the one expected to commit, commit in a task."""
        if self._writers_waiting == 0 and self._pending() and not self._write_lock.locked():
            async def flush() -> None:
                async with self._write_lock:
                    await self._commit_batch()
            self._flusher = asyncio.ensure_future(flush())

    async def fetchall(self, sql: str, params: tuple = ()) -> list[aiosqlite.Row]:
        # One trip to the connection's thread instead of three (execute, fetch, close).
        return list(await self.conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: tuple = ()) -> aiosqlite.Row | None:
        rows = await self.conn.execute_fetchall(sql, params)
        return rows[0] if rows else None

    async def integrity_check(self) -> str:
        row = await self.fetchone("PRAGMA integrity_check")
        return str(row[0]) if row else "no answer"

    async def backup_to(self, target: str | Path) -> None:
        """A consistent copy of the live database (``VACUUM INTO``), safe while the bot runs."""
        async with self._write_lock:
            await self._commit_batch()  # VACUUM cannot run inside the open group-commit transaction
            await self.conn.execute("VACUUM INTO ?", (str(target),))
