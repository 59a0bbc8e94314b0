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
  answers); the same flusher sends all blocks queued meanwhile, each in its own savepoint, with the queued
  statements and the COMMIT: one turn of the write lock and one round trip for the whole batch
  (``batch.run_batch``, which also sorts out a failing block or statement on the database thread), instead of a
  turn and a round trip per statement for each.

Every turn of the write lock also waits for the busy event loop to get round to the next writer, so batching the
turns matters as much as batching the round trips.
"""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import aiosqlite

from bot.core.errors import StorageUnavailable
from bot.storage.batch import MULTIROW_MAX, Outcome, Statement, StatementFailed, multirow, run_batch
from bot.storage.migrations import MIGRATIONS

# The write path's vocabulary lives in ``batch`` (it runs on the database thread); stores import it from here.
__all__ = ["MULTIROW_MAX", "Database", "Outcome", "Statement", "StatementFailed", "multirow"]

BUSY_TIMEOUT_MS = 5000
#: Most writes one COMMIT carries; bounds how long the first of them waits for its acknowledgement.
GROUP_COMMIT_MAX = 64

Queued = tuple[str, tuple, asyncio.Future]  # a statement queued by ``write``: SQL, parameters, its writer's future


# A block queued by ``run_block``: its statements, the future of their results, the future of its COMMIT.
QueuedBlock = tuple[tuple[Statement, ...], asyncio.Future, asyncio.Future]


#: SQLite's primary result codes that say the file cannot be used right now — not that the SQL is wrong:
#: PERM, BUSY, LOCKED, NOMEM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, PROTOCOL, NOLFS, NOTADB.
_UNAVAILABLE_CODES = frozenset({3, 5, 6, 7, 8, 10, 11, 13, 14, 15, 22, 26})


def unavailable(error: BaseException) -> StorageUnavailable | None:
    """What SQLite raised, as the core's ``StorageUnavailable`` when it means the file cannot be used right now
    (full, read-only, damaged, I/O error, locked); None for constraint violations, SQL mistakes and the rest."""
    if isinstance(error, StorageUnavailable):
        return error
    if isinstance(error, sqlite3.DatabaseError) and \
            (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF in _UNAVAILABLE_CODES:
        return StorageUnavailable(str(error))
    return None


@contextmanager
def storage_errors() -> Iterator[None]:
    """Raise SQLite's "cannot use the file" errors as ``StorageUnavailable`` (see ``unavailable``)."""
    try:
        yield
    except Exception as error:
        translated = unavailable(error)
        if translated is None or translated is error:
            raise
        raise translated from error


class Database:
    def __init__(self, path: str | Path, *, max_page_count: int | None = None):
        """``max_page_count``: refuse to grow the file beyond this many pages (SQLite's ``PRAGMA max_page_count``);
        writes then fail as on a full disk — how the tests emulate one."""
        self.path = Path(path)
        self.max_page_count = max_page_count
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
        pragmas = ["journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", f"busy_timeout={BUSY_TIMEOUT_MS}"]
        if self.max_page_count is not None:
            pragmas.append(f"max_page_count={int(self.max_page_count)}")
        try:
            with storage_errors():
                for pragma in pragmas:
                    await self._conn.execute(f"PRAGMA {pragma}")
                await self.migrate()
        except BaseException:
            await self._conn.close()
            self._conn = None
            raise

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
        with storage_errors():
            async with self._turn():
                conn = self.conn
                try:
                    await self._begin()
                    # Savepoints of the same name nest and ROLLBACK TO names the newest: this block's. They are
                    # not released one by one (a round trip each); the COMMIT releases them all.
                    await conn.execute("SAVEPOINT block")
                except BaseException as error:
                    await self._abort(error)
                    raise
                try:
                    yield conn
                except BaseException as error:
                    if conn.in_transaction:
                        await conn.execute("ROLLBACK TO block")
                    else:  # SQLite rolled the whole transaction back (disk full, I/O error): the batch is lost
                        await self._abort(error)
                    raise
                committed = asyncio.get_running_loop().create_future()
                batch = self._batch
                assert batch is not None, "_begin opened the batch and the write lock kept it open"
                batch.append(committed)
            await committed  # raises what the COMMIT raised

    async def run_block(self, statements: Sequence[Statement]) -> list[Outcome]:
        """A write block whose statements are all known beforehand (none needs an earlier one's result): all or
        nothing like a ``transaction()`` block, and returns after the COMMIT that made it durable, with each
        statement's ``Outcome`` (``lastrowid``, ``rowcount``). Raises ``StatementFailed`` naming the first statement
        that failed; the whole block is then rolled back, and only it.

        The block is queued: the flusher sends every block queued meanwhile in one go, with the queued statements
        and the COMMIT (see ``_send_batch``), so a batch of them costs one turn of the write lock and one round
        trip, not one turn each — every turn of the lock waits for the busy event loop to get round to the next
        writer."""
        loop = asyncio.get_running_loop()
        done, committed = loop.create_future(), loop.create_future()
        self._blocks.append((tuple(statements), done, committed))
        self._wake_flusher()
        try:
            results = await done  # raises StatementFailed
        except StatementFailed as failed:
            translated = unavailable(failed.error)
            if translated is None:
                raise
            raise translated from failed.error
        await committed  # raises what the COMMIT raised (StorageUnavailable when the file cannot take it)
        return results

    async def write(self, sql: str, params: tuple = ()) -> None:
        """Queue one statement for the next group commit; returns after that COMMIT, or raises what the statement
        or the COMMIT raised (a failing statement is undone alone, the others are kept).

        Much cheaper than a one-statement ``transaction()`` under load (see the module docstring), with two
        conditions: the statement must be idempotent (an upsert, a delete by key: when one of a run of them
        fails, the run is done again one statement at a time to find whose it was), and no other kind of write
        may change the same rows while it waits, because queued statements are sent with the COMMIT, after the
        blocks of the same batch (``SqliteResidentStore.in_block`` puts a state in a block only when none of that
        resident's is queued). Queued statements keep their order among themselves. Nothing comes back (no
        ``lastrowid``, no row count)."""
        committed = asyncio.get_running_loop().create_future()
        self._rows.append((sql, params, committed))
        self._wake_flusher()
        with storage_errors():
            await committed

    def _wake_flusher(self) -> None:
        if self._flusher_task is None or self._flusher_task.done():
            self._flusher_task = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        """Take turns with the other writers until nothing queued is left: a turn sends the queued blocks with the
        queued statements and the COMMIT — unless more writers are waiting for the lock, then the last of them
        commits (see ``_turn``)."""
        while self._rows or self._blocks:
            async with self._turn():
                # At most GROUP_COMMIT_MAX per turn, so a burst is acknowledged in slices, not all at the end.
                blocks, self._blocks = self._blocks[:GROUP_COMMIT_MAX], self._blocks[GROUP_COMMIT_MAX:]
                await self._send_batch(blocks, commit=self._writers_waiting == 0)

    async def _send_batch(self, blocks: list[QueuedBlock], commit: bool) -> None:
        """In one trip to the database thread (``batch.run_batch``; caller holds the lock): BEGIN unless the
        batch's transaction is open, ``blocks`` each in its savepoint, and when ``commit`` every statement
        ``write`` queued and the COMMIT. Then tell every writer how it went: a block's writer learns its results
        (or ``StatementFailed``) and, with the others, when the COMMIT made them durable."""
        rows: list[Queued] = []
        if commit:
            # Statements queued from now on are for the next batch (the flusher goes on until none is left).
            rows, self._rows = self._rows, []
        batch = self._batch
        begin = batch is None
        if batch is None:
            batch = self._batch = []
        conn = self.conn
        try:
            # aiosqlite has no public call for "run this function on the connection's thread"; ``_execute`` is
            # that call (the one all its public methods go through, the same in every version pyproject allows),
            # and ``_conn`` the sqlite3 connection it hands them.
            result = await conn._execute(run_batch, conn._conn, begin, tuple(block for block, _, _ in blocks),
                                         tuple((sql, params) for sql, params, _ in rows), commit)
        except BaseException as error:  # the transaction failed (or the caller was cancelled): none of it counts
            await self._abort(error, [*(f for _, done, committed in blocks for f in (done, committed)),
                                      *(future for *_, future in rows)])
            if not isinstance(error, Exception):
                raise
            return
        durable: list[asyncio.Future] = []  # resolved by this batch's COMMIT
        for (_, done, committed), outcome in zip(blocks, result.blocks, strict=True):
            if isinstance(outcome, StatementFailed):
                if not done.done():
                    done.set_exception(outcome)
                continue
            if not done.done():  # a writer cancelled while waiting
                done.set_result(outcome)
            durable.append(committed)
        for (*_, future), error in zip(rows, result.rows, strict=True):
            if error is None:
                durable.append(future)
            elif not future.done():
                future.set_exception(error)
        if not commit:
            batch.extend(durable)  # the lock is held: still ``self._batch``
            return
        durable += batch
        self._batch = None
        for future in durable:
            if not future.done():
                future.set_result(None)

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

    async def _commit_batch(self) -> None:
        """Send what ``write`` queued and COMMIT the open transaction (caller holds the lock), in one trip."""
        if self._batch is not None or self._rows:
            await self._send_batch([], commit=True)

    async def _abort(self, error: BaseException, waiting: list[asyncio.Future] | None = None) -> None:
        """Fail every write waiting for the open transaction (the batch's, and ``waiting``), then roll it back."""
        waiting = [*(self._batch or []), *(waiting or [])]
        self._batch = None
        for future in waiting:
            if not future.done():
                # Disk full, read-only file …: the core's StorageUnavailable; anything else a plain failure.
                future.set_exception(unavailable(error) or RuntimeError(f"commit failed: {error!r}"))
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
        with storage_errors():
            return list(await self.conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: tuple = ()) -> aiosqlite.Row | None:
        with storage_errors():
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
