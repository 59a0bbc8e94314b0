"""The unit of work of a message on the SQLite file (``bot.core.unit``): every staged write's statements and the
resident's dialog state in one block (``Database.run_block``), so one COMMIT makes them all durable — a submission
and the end of its flow acknowledged after one COMMIT, not two."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from bot.core.ports import ResidentState
from bot.core.unit import Refused, Write
from bot.storage.database import Database, Statement, StatementFailed
from bot.storage.residents import SqliteResidentStore


class SqliteWrite:
    """A SQLite store's prepared write: its statements (none needs an earlier one's result), what an
    IntegrityError of each means for the domain, and ``finished``, called once the write has been tried (stored or
    not), for the store's caches."""

    def __init__(self, db: Database, *, finished: Callable[[], None] = lambda: None):
        self.db = db
        self.statements: list[Statement] = []
        #: statement index → the error of the domain its IntegrityError means (``DuplicateReference``, …), or a
        #: function of the IntegrityError for a statement that keeps two rules (told apart by SQLite's extended
        #: error code: a statement more in a block costs more than a look at the code)
        self.meaning: dict[int, Exception | Callable[[sqlite3.IntegrityError], Exception]] = {}
        self.finished = finished

    def add(self, statement: Statement,
            conflict: Exception | Callable[[sqlite3.IntegrityError], Exception] | None = None) -> None:
        if conflict is not None:
            self.meaning[len(self.statements)] = conflict
        self.statements.append(statement)

    async def run(self) -> None:
        """This write alone, in a block of its own; raises the domain error a conflict means."""
        try:
            await self.db.run_block(self.statements)
        except StatementFailed as failed:
            raise self.refusal(failed.error, failed.index) from None

    def refusal(self, error: Exception, index: int) -> Exception:
        """What the failure of statement ``index`` means: the domain error of a conflict, else ``error`` itself."""
        if isinstance(error, sqlite3.IntegrityError) and index in self.meaning:
            meaning = self.meaning[index]
            return meaning if isinstance(meaning, Exception) else meaning(error)
        return error


class SqliteUnitOfWork:
    """``UnitOfWork`` over the SQLite stores of one database file."""

    def __init__(self, db: Database, residents: SqliteResidentStore):
        self.db = db
        self.residents = residents

    async def commit(self, writes: Sequence[Write], state: ResidentState | None = None,
                     data_json: str | None = None) -> None:
        mine = [_sqlite(write, self.db) for write in writes]
        statements: list[Statement] = []
        starts = []
        for write in mine:
            starts.append(len(statements))
            statements.extend(write.statements)
        # The state rides last in the block: rolled back with it when a write is refused. ``in_block`` is None
        # while an older save of this resident is queued (it would overwrite this one): saved after, in order.
        carried = self.residents.in_block(state, data_json) if state is not None else None
        if carried is not None:
            statements.append(carried)
        try:
            if statements:
                await self.db.run_block(statements)
        except BaseException as failed:
            if carried is not None:
                assert state is not None, "carried is only made from a state"
                self.residents.not_saved(state.user)
            if isinstance(failed, StatementFailed) and failed.index < len(statements) - (carried is not None):
                index = max(i for i, start in enumerate(starts) if start <= failed.index)
                error = mine[index].refusal(failed.error, failed.index - starts[index])
                if error is not failed.error:
                    raise Refused(index, error) from None
                raise failed.error from None
            if isinstance(failed, StatementFailed):
                raise failed.error from None
            raise
        finally:
            for write in mine:
                write.finished()
        if state is not None and carried is None:
            await self.residents.save_state(state, data_json)


def _sqlite(write: Write, db: Database) -> SqliteWrite:
    if not isinstance(write, SqliteWrite) or write.db is not db:
        raise TypeError(f"the SQLite unit of work cannot make {type(write).__name__} (another database's write)")
    return write
