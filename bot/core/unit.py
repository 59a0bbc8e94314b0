"""One unit of work per message: handlers stage their writes, the Assistant commits them with the resident's state.

A handler that must store something as part of a step (a feedback submission, a booking, its cancellation) does
not write it itself. It asks the feature's store to *prepare* the write (``FeedbackStore.stage_add``,
``BookingStore.stage_add`` → a ``Write``) and stages
it on the context (``Context.stage``) with what to answer once it is stored and what to answer when it is refused.
After the handler returns, the Assistant hands every staged write and the resident's new state to the
``UnitOfWork``, which makes them all-or-nothing — on SQLite in one transaction, so one COMMIT — and only then
builds the acknowledgement. Nothing staged is ever acknowledged before it is durable.

The two implementations of the port, passing the same contract tests (``tests/contracts/``):

- ``bot.storage.unit.SqliteUnitOfWork``: every staged write's statements and the state's upsert in one block on
  the one database file (``Database.run_block``, group committed);
- ``MemoryUnitOfWork`` (below): checks every staged write, then applies them, then saves the state.

A ``Write`` is opaque to the core: only the unit of work of the same backend knows how to make it (the SQLite
store's writes carry statements, the in-memory store's a check and an apply).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.core.errors import CoreError
from bot.core.messages import Reply
from bot.core.ports import ResidentState, ResidentStore


@runtime_checkable
class Write(Protocol):
    """A write a store prepared and has not made; a ``UnitOfWork`` of the same backend makes it."""


@dataclass
class Staged:
    """A write a handler staged (``Context.stage``) and what to answer about it, once the unit is committed."""

    write: Write
    #: The acknowledgement, built once the write is durable (it may name what the commit settled, a reference).
    then: Callable[[], list[Reply]]
    #: The answer when the store refuses the write (``Refused.error``); None: the refusal is raised on.
    refused: Callable[[Exception], Awaitable[list[Reply]]] | None = None
    #: After a refusal: the write to try instead (a reference number drawn again), or None to give up.
    retry: Callable[[Exception], Write | None] | None = None


class Refused(CoreError):
    """A staged write was refused by its store for a reason of the domain (a duplicate reference, a second
    submission, …): nothing of the unit was written. ``index``: which of the staged writes; ``error``: what the
    store raised (``DuplicateReference``, ``AlreadySubmitted``, …)."""

    def __init__(self, index: int, error: Exception):
        super().__init__(f"staged write {index} refused: {error!r}")
        self.index = index
        self.error = error


class UnitOfWork(Protocol):
    async def commit(self, writes: Sequence[Write], state: ResidentState | None = None,
                     data_json: str | None = None) -> None:
        """Make every write of ``writes`` and save ``state`` (None: leave it) all or nothing; return only once it
        is durable. Raises ``Refused`` when a write is refused by its store (then nothing is written) and
        ``StorageUnavailable`` when the storage fails (then nothing is known to be written). ``data_json``:
        ``encode_data(state.data)`` when the caller has it."""
        ...


class MemoryWrite:
    """An in-memory store's prepared write: ``check`` raises the store's refusal and changes nothing; ``apply``
    cannot fail."""

    def __init__(self, check: _Step, apply: _Step):
        self.check = check
        self.apply = apply


class _Step(Protocol):
    def __call__(self) -> None: ...


class MemoryUnitOfWork:
    """``UnitOfWork`` over the in-memory stores: every write checked before any is applied, then the state saved
    (in memory nothing fails half-way)."""

    def __init__(self, residents: ResidentStore):
        self.residents = residents

    async def commit(self, writes: Sequence[Write], state: ResidentState | None = None,
                     data_json: str | None = None) -> None:
        memory = [_memory(write) for write in writes]
        for index, write in enumerate(memory):
            try:
                write.check()
            except CoreError as refused:
                raise Refused(index, refused) from None
        for write in memory:
            write.apply()
        if state is not None:
            await self.residents.save_state(state, data_json)


def _memory(write: Write) -> MemoryWrite:
    if not isinstance(write, MemoryWrite):
        raise TypeError(f"the in-memory unit of work cannot make {type(write).__name__} (another backend's write)")
    return write
