"""Store interfaces the core depends on. ``bot.core.memory_store`` and ``bot.storage.sqlite`` implement them and
pass the same contract tests (``tests/contracts/``)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.core.language import Lang

#: Largest integer a store keeps (SQLite's INTEGER is 64-bit signed): ids from outside are checked against it.
MAX_STORED_INT = 2**63 - 1


def clean_text(text: str) -> str:
    """``text`` with lone surrogates (``"\ud800"``: no character, and no UTF-8 either) replaced by U+FFFD, so every
    store can keep it; a surrogate pair becomes its character. Text that is already clean is returned as it is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


_encode_json = json.JSONEncoder(ensure_ascii=False).encode


def encode_data(data: object) -> str:
    """A dialog state's ``data`` as JSON text: what a store that keeps JSON writes, and what the Assistant compares
    to tell whether a message changed the state (one encoding serves both); lone surrogates a resident's text may
    carry are replaced (``clean_text``). The encoder is built once: this runs on every message."""
    return clean_text(_encode_json(data))


#: What replaces a resident's free text (questions, case text, typed answers) after ``/forget_me``.
ERASED = "[erased]"


@dataclass(slots=True)
class ResidentState:
    """What the bot remembers of one person between messages: a ``/language`` choice and where they are in a flow.

    ``state`` is a name from the dialog's transition table; ``data`` is JSON-serialisable flow data (survey answers
    so far, the entry list page, …). ``updated_at`` lets the reminder job find flows left half-way.
    """

    user: str
    language: Lang | None = None  # chosen with /language; None means "follow what the resident types"
    last_language: Lang | None = None  # the language of their last message, for button presses
    state: str = "idle"
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
    reminded: bool = False
    #: ``data`` as the store read it, in ``encode_data``'s form, or None: lets the Assistant's change check skip
    #: encoding the state it was given. Read only right after loading, before anything can change ``data``.
    loaded_data: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class UnansweredQuestion:
    """A question the bot could not answer (or whose suggestions the resident rejected), kept for staff.

    ``user`` (the asker) is stored only so that ``/forget_me`` can erase the question; staff tools never show it."""

    question: str
    reason: str  # "not_found" | "none_of_these"
    language: str
    nearest_id: str | None
    asked_at: datetime
    user: str | None = None


class ResidentStore(Protocol):
    async def load_state(self, user: str) -> ResidentState: ...

    async def save_state(self, state: ResidentState, data_json: str | None = None) -> None:
        """``data_json``: ``encode_data(state.data)``, when the caller has just computed it (not computed again)."""
        ...

    async def stale_flows(self, older_than: datetime) -> list[ResidentState]:
        """Residents left in a non-idle state since before ``older_than`` and not yet reminded."""
        ...

    async def forget(self, user: str) -> None:
        """Delete everything remembered of ``user`` (``/forget_me``); the next message starts afresh. Their
        unanswered questions stay counted, with the text replaced by ``ERASED`` and no asker."""
        ...

    async def record_unanswered(self, question: UnansweredQuestion) -> None: ...

    async def unanswered(self, since: datetime | None = None) -> list[UnansweredQuestion]: ...
