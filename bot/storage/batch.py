"""One group commit as the database thread runs it: every queued block in its own savepoint, then every queued
statement, then COMMIT, all in one call on aiosqlite's thread (``Database`` explains why trips cost).

Running the whole batch there also makes failures cheap to sort out: a failing block is rolled back to its
savepoint and the others go on, and a failing multi-row statement (which undoes itself) is run again one row at a
time, so that only the writer of the bad row hears of it — no further trips. Nothing here touches the event loop.
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

#: ``INSERT … VALUES (?, …) …``: the one group of placeholders a multi-row statement repeats.
_VALUES = re.compile(r"^(?P<head>\s*INSERT\b.*?\bVALUES\s*)(?P<group>\([?,\s]*\))(?P<tail>.*)$",
                     re.IGNORECASE | re.DOTALL)
#: Rows per multi-row statement, within SQLite's 32,766 bound parameters.
MULTIROW_MAX = 500


@dataclass(frozen=True)
class Statement:
    """One statement of a ``run_block`` block; ``many``: ``params`` is a list of parameter tuples
    (``executemany``)."""

    sql: str
    params: tuple | list[tuple] = ()
    many: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a statement of a block did: the cursor's ``lastrowid`` and ``rowcount``."""

    lastrowid: int | None
    rowcount: int


class StatementFailed(Exception):
    """A statement of a ``run_block`` block failed and the block was rolled back: ``index`` is its position in the
    block, ``error`` what SQLite raised."""

    def __init__(self, index: int, error: BaseException):
        super().__init__(f"statement {index} of the block failed: {error!r}")
        self.index = index
        self.error = error


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


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Per block: its statements' outcomes, or why it was rolled back; per queued statement: None, or the error
    it raised (it changed nothing)."""

    blocks: list[list[Outcome] | StatementFailed]
    rows: list[Exception | None]


def run_batch(conn: sqlite3.Connection, begin: bool, blocks: Sequence[Sequence[Statement]],
              rows: Sequence[tuple[str, tuple]], commit: bool) -> BatchResult:
    """On the database thread: BEGIN (unless the batch's transaction is open), ``blocks``, the queued ``rows``
    (SQL, parameters) and COMMIT (when ``commit``). Raises only when the transaction itself failed (BEGIN,
    a savepoint, COMMIT): then none of it counts."""
    if begin:
        conn.execute("BEGIN IMMEDIATE")
    outcomes = [_run_block(conn, block) for block in blocks]
    errors = _run_rows(conn, rows)
    if commit:
        conn.execute("COMMIT")
    return BatchResult(outcomes, errors)


def _execute(conn: sqlite3.Connection, statement: Statement) -> sqlite3.Cursor:
    if statement.many:
        return conn.executemany(statement.sql, statement.params)
    return conn.execute(statement.sql, statement.params)


def _run_block(conn: sqlite3.Connection, statements: Sequence[Statement]) -> list[Outcome] | StatementFailed:
    conn.execute("SAVEPOINT block")
    outcomes = []
    for index, statement in enumerate(statements):
        try:
            cursor = _execute(conn, statement)
        except Exception as error:  # noqa: BLE001 - the block's writer gets it
            conn.execute("ROLLBACK TO block")
            conn.execute("RELEASE block")
            return StatementFailed(index, error)
        outcomes.append(Outcome(cursor.lastrowid, cursor.rowcount))
    conn.execute("RELEASE block")
    return outcomes


def _run_rows(conn: sqlite3.Connection, rows: Sequence[tuple[str, tuple]]) -> list[Exception | None]:
    """Each run of the same statement as few statements as ``multirow`` makes; a failing one is run again row by
    row (queued statements are idempotent, see ``Database.write``) to find whose row failed."""
    errors: list[Exception | None] = [None] * len(rows)
    start = 0
    while start < len(rows):
        sql = rows[start][0]
        end = start
        while end < len(rows) and rows[end][0] == sql:
            end += 1
        for chunk in range(start, end, MULTIROW_MAX):
            indices = range(chunk, min(chunk + MULTIROW_MAX, end))
            [statement] = multirow(sql, [rows[i][1] for i in indices])
            try:
                _execute(conn, statement)
            except Exception:  # noqa: BLE001 - found and reported row by row below
                for i in indices:
                    try:
                        conn.execute(sql, rows[i][1])
                    except Exception as error:  # noqa: BLE001 - a failed statement undoes itself
                        errors[i] = error
        start = end
    return errors
