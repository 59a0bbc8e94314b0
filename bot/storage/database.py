"""The one SQLite database file: opening it with the right pragmas, migrating it, and write transactions.

One connection does all writing (SQLite allows one writer at a time anyway); ``transaction()`` serialises writers
inside this process with a lock and uses ``BEGIN IMMEDIATE`` so a write never fails half-way on a lock upgrade.

Group commit: with ``synchronous=FULL`` every COMMIT waits for the disk, so writers that queue up while a
transaction is open add their blocks to it (each in its own SAVEPOINT, so one failing block rolls back alone) and
the last of them commits for all. Every writer still resumes only after the COMMIT that made its block durable.
"""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import aiosqlite

from bot.storage.migrations import MIGRATIONS

BUSY_TIMEOUT_MS = 5000
#: Most write blocks one COMMIT carries; bounds how long the first of them waits for its acknowledgement.
GROUP_COMMIT_MAX = 64


class Database:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._writers_waiting = 0
        self._batch: list[asyncio.Future] | None = None  # one future per block of the open transaction
        self._flusher: asyncio.Task | None = None

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
        self._writers_waiting += 1
        try:
            await self._write_lock.acquire()
        except BaseException:
            self._writers_waiting -= 1
            self._flush_if_abandoned()
            raise
        self._writers_waiting -= 1
        conn = self.conn
        committed: asyncio.Future | None = None
        try:
            if self._batch is None:
                await conn.execute("BEGIN IMMEDIATE")
                self._batch = []
            # Savepoints of the same name nest and ROLLBACK TO names the newest: this block's. They are not
            # released one by one (a round trip each); the COMMIT releases them all.
            await conn.execute("SAVEPOINT block")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK TO block")
                raise
            committed = asyncio.get_running_loop().create_future()
            self._batch.append(committed)
        finally:
            # The last writer in the queue commits for everyone in the batch.
            if self._batch is not None and (self._writers_waiting == 0 or len(self._batch) >= GROUP_COMMIT_MAX):
                await self._commit_batch()
            self._write_lock.release()
        if committed is not None:
            await committed  # raises what the COMMIT raised

    async def _commit_batch(self) -> None:
        """COMMIT the open transaction (caller holds the lock) and tell every block's writer how it went."""
        batch, self._batch = self._batch, None
        if batch is None:
            return
        try:
            await self.conn.execute("COMMIT")
        except BaseException as error:
            if self.conn.in_transaction:
                await self.conn.execute("ROLLBACK")
            for future in batch:
                if not future.done():
                    future.set_exception(RuntimeError(f"commit failed: {error!r}"))
            return
        for future in batch:
            if not future.done():  # a writer cancelled while waiting
                future.set_result(None)

    def _flush_if_abandoned(self) -> None:
        """A queued writer gave up (cancelled): if it was the one expected to commit, commit in a task."""
        if self._writers_waiting == 0 and self._batch is not None and not self._write_lock.locked():
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
