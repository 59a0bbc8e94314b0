"""States and transitions of the whole conversation, in one table.

A row says: in ``state`` (``*`` = any), on ``trigger``, run ``handler``; afterwards the resident is either where
they were (a rejected or repeated input never moves anyone) or in one of ``goes_to``. Triggers:

- ``command:NAME`` — ``/NAME [payload]``; ``command:*`` catches unknown commands;
- ``action:PREFIX`` — a button whose action is ``PREFIX`` or ``PREFIX:ARGS``;
- ``text`` — anything typed that is not a command; ``location``; ``unsupported`` (stickers, photos, …).

Rows for a specific state win over ``*`` rows. ``staff`` rows answer non-staff exactly as an unknown command.
``python -m bot chat --table`` prints the table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from bot.core.dialog import qa
from bot.core.dialog.context import Context
from bot.core.messages import Reply

Handler = Callable[[Context], Awaitable[list[Reply]]]

IDLE = "idle"
ANY = "*"


@dataclass(frozen=True, slots=True)
class Transition:
    state: str
    trigger: str
    handler: Handler
    goes_to: tuple[str, ...] = ()
    staff: bool = False
    doc: str = ""


TABLE: tuple[Transition, ...] = (
    # --- everywhere --------------------------------------------------------------------------------------------
    Transition(ANY, "command:start", qa.start, (IDLE,), doc="welcome + categories; /start ENTRY opens an entry"),
    Transition(ANY, "command:help", qa.help_, doc="what the bot can do"),
    Transition(ANY, "command:menu", qa.menu, (IDLE,), doc="category menu"),
    Transition(ANY, "command:language", qa.language_menu, doc="choose zh-Hant / zh-Hans / en / automatic"),
    Transition(ANY, "command:cancel", qa.cancel, (IDLE,), doc="leave any flow"),
    Transition(ANY, "command:*", qa.unknown_command, doc="unknown command"),
    Transition(ANY, "action:lang", qa.set_language, doc="remember the language"),
    Transition(ANY, "action:menu", qa.menu_in_place, (IDLE,), doc="category menu"),
    Transition(ANY, "action:cat", qa.category_page, (IDLE,), doc="a page of a category's entries"),
    Transition(ANY, "action:e", qa.show_entry, (IDLE,), doc="an entry's answer"),
    Transition(ANY, "location", qa.nearby, doc="nearest facilities"),
    Transition(ANY, "unsupported", qa.unsupported, doc="stickers, photos, voice …"),
    # --- idle: questions ---------------------------------------------------------------------------------------
    Transition(IDLE, "text", qa.question, (IDLE,), doc="answer, 'did you mean' buttons, or not found"),
    Transition(IDLE, "action:none", qa.none_of_these, (IDLE,), doc="the suggestions were wrong: record the miss"),
)


def find(state: str, trigger: str) -> Transition | None:
    """The row for ``trigger`` in ``state``: a row for that state first, then a ``*`` row."""
    for wanted in (state, ANY):
        for row in TABLE:
            if row.state == wanted and row.trigger == trigger:
                return row
    return None


def describe() -> str:
    """The table as aligned text, for staff and developers."""
    lines = [f"{'state':<22} {'trigger':<24} {'handler':<26} goes to"]
    for row in TABLE:
        name = f"{row.handler.__module__.rsplit('.', 1)[-1]}.{row.handler.__name__}"
        staff = " (staff)" if row.staff else ""
        lines.append(f"{row.state:<22} {row.trigger:<24} {name:<26} {', '.join(row.goes_to) or '(stays)'}{staff}")
    return "\n".join(lines)
