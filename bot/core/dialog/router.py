"""A router per feature (as aiogram's ``Router``): each feature declares its own triggers, states and button
prefixes once, beside its handlers; ``table.py`` only collects the routers and checks them at start-up.

A row says: in ``state`` (``*`` = any), on ``trigger``, run ``handler``; afterwards the resident is either where
they were (a rejected or repeated input never moves anyone) or in one of ``goes_to``. Triggers:

- ``command:NAME`` — ``/NAME [payload]``; ``command:*`` catches unknown commands;
- ``action:PREFIX`` — a button whose action is ``PREFIX`` or ``PREFIX:ARGS``;
- ``text`` — anything typed that is not a command; ``location``; ``unsupported`` (stickers, photos, …).

Rows for a specific state win over ``*`` rows. ``staff`` rows answer non-staff exactly as an unknown command.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field

from bot.core.dialog.context import Context
from bot.core.messages import Reply

Handler = Callable[[Context], Awaitable[list[Reply]]]

IDLE = "idle"
ANY = "*"


class RouteConflict(RuntimeError):
    """Two features claim the same trigger in the same state, or the same button prefix: a programming error,
    raised when the table is collected (at start-up)."""


@dataclass(frozen=True, slots=True)
class Transition:
    state: str
    trigger: str
    handler: Handler
    goes_to: tuple[str, ...] = ()
    staff: bool = False
    doc: str = ""
    #: The router (feature) that declared the row.
    feature: str = ""


@dataclass
class Router:
    """The rows of one feature. ``command``, ``action`` and ``on`` add a row; ``action`` also claims the button
    prefix for this feature (no other feature may route it)."""

    name: str
    rows: list[Transition] = field(default_factory=list)

    def on(self, state: str, trigger: str, handler: Handler, goes_to: Iterable[str] = (), *, staff: bool = False,
           doc: str = "") -> None:
        self.rows.append(Transition(state, trigger, handler, tuple(goes_to), staff, doc, self.name))

    def command(self, name: str, handler: Handler, goes_to: Iterable[str] = (), *, state: str = ANY,
                staff: bool = False, doc: str = "") -> None:
        self.on(state, f"command:{name}", handler, goes_to, staff=staff, doc=doc)

    def action(self, prefix: str, handler: Handler, goes_to: Iterable[str] = (), *, state: str = ANY,
               staff: bool = False, doc: str = "") -> None:
        self.on(state, f"action:{prefix}", handler, goes_to, staff=staff, doc=doc)

    def text(self, state: str, handler: Handler, goes_to: Iterable[str] = (), *, staff: bool = False,
             doc: str = "") -> None:
        self.on(state, "text", handler, goes_to, staff=staff, doc=doc)

    @property
    def prefixes(self) -> set[str]:
        return {row.trigger.partition(":")[2] for row in self.rows if row.trigger.startswith("action:")}


class Table:
    """Every feature's rows, checked: no (state, trigger) twice, no button prefix routed by two features."""

    def __init__(self, routers: Iterable[Router]):
        self.routers = tuple(routers)
        self.rows: tuple[Transition, ...] = tuple(row for router in self.routers for row in router.rows)
        self._rows: dict[tuple[str, str], Transition] = {}
        owners: dict[str, str] = {}
        problems = []
        for router in self.routers:
            for prefix in sorted(router.prefixes):
                if owners.setdefault(prefix, router.name) != router.name:
                    problems.append(f"button prefix {prefix!r} claimed by {owners[prefix]} and {router.name}")
        for row in self.rows:
            first = self._rows.setdefault((row.state, row.trigger), row)
            if first is not row:
                problems.append(f"{row.trigger} in state {row.state!r} claimed by {first.feature} "
                                f"({first.handler.__name__}) and {row.feature} ({row.handler.__name__})")
        if problems:
            raise RouteConflict("; ".join(problems))

    def __iter__(self) -> Iterator[Transition]:  # rows in declaration order
        return iter(self.rows)

    def find(self, state: str, trigger: str) -> Transition | None:
        """The row for ``trigger`` in ``state``: a row for that state first, then a ``*`` row."""
        return self._rows.get((state, trigger)) or self._rows.get((ANY, trigger))

    def staff_commands(self) -> list[Transition]:
        """The staff commands, in declaration order (``/staff`` lists them)."""
        return [row for row in self.rows if row.staff and row.trigger.startswith("command:")]

    def describe(self) -> str:
        """The table as aligned text, for staff and developers."""
        lines = [f"{'state':<22} {'trigger':<24} {'handler':<26} {'feature':<14} goes to"]
        for row in self.rows:
            name = f"{row.handler.__module__.rsplit('.', 1)[-1]}.{row.handler.__name__}"
            staff = " (staff)" if row.staff else ""
            lines.append(f"{row.state:<22} {row.trigger:<24} {name:<26} {row.feature:<14} "
                         f"{', '.join(row.goes_to) or '(stays)'}{staff}")
        return "\n".join(lines)
