"""What a handler gets: the message, the resident's state, their language, the knowledge base and the stores."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.core.errors import ConfigurationError
from bot.core.i18n import Texts
from bot.core.knowledge.service import KnowledgeSnapshot
from bot.core.language import Lang
from bot.core.messages import Incoming, Reply
from bot.core.ports import ResidentState, ResidentStore, encode_data
from bot.core.unit import Staged, UnitOfWork, Write

if TYPE_CHECKING:  # the services import dialog helpers (render); only their types are needed here
    from bot.core.booking.notices import BookingStaffNotices
    from bot.core.booking.service import BookingService
    from bot.core.dialog.router import Table
    from bot.core.feedback.service import FeedbackService
    from bot.core.staff.ports import SubscriptionStore
    from bot.core.staff.teach import Teacher
    from bot.core.staff.tools import StaffTools


#: A resident's state as ``snapshot`` compares it: the flow state, the chosen and last language, ``data`` as JSON.
StateSnapshot = tuple[str, Lang | None, Lang | None, str]


def snapshot(state: ResidentState, data_json: str | None = None) -> StateSnapshot:
    """What decides whether a message changed the resident's state and it must be saved (not when it was saved).

    ``data`` is compared as the JSON text a store writes (``data_json`` if the caller has it): as safe as comparing
    its ``repr`` (equal text, equal data as stored), and the text of a changed state is then saved as it is, where
    ``repr`` before and after plus the store's own encoding cost three encodings a message."""
    return state.state, state.language, state.last_language, encode_data(state.data) if data_json is None else data_json


def stamp(state: ResidentState, now: datetime) -> None:
    """Mark a changed state as it is saved: changed now, so the reminder clock starts again."""
    state.updated_at = now
    state.reminded = False


#: Erases what one feature keeps about a resident (called with the user key) when they ask ``/forget_me``.
Eraser = Callable[[str], Awaitable[object]]


class WiringError(ConfigurationError):
    """The composition root left a service out: raised when the ``Dependencies`` are built, at start-up."""


@dataclass(frozen=True)
class Dependencies:
    """Long-lived collaborators, built once by the composition root (``bot.app.build_services``); a handler reaches
    each as a typed field (``ctx.deps.feedback``). Every field is required: a service left out fails here, at
    start-up, never as a resident's "unknown command"."""

    residents: ResidentStore
    #: Makes a message's staged writes and the resident's state durable together (``bot.core.unit``).
    unit: UnitOfWork
    clock: Callable[[], datetime]
    feedback: FeedbackService
    staff: StaffTools
    #: ``/teach`` (``staff.teacher``).
    teach: Teacher
    #: Announcement subscriptions, which residents manage themselves (``/subscribe``).
    subscriptions: SubscriptionStore
    #: Community venues: ``/book``, ``/mybookings`` and staff ``/bookings`` (``bot.core.booking``).
    bookings: BookingService
    #: Staff told of each new request awaiting approval (``bot.core.booking.notices``).
    booking_notices: BookingStaffNotices
    #: What each feature keeps about a resident beyond its dialog state, registered by the feature
    #: (``StaffTools.erasers``); ``/forget_me`` runs them all, then drops the state.
    erasers: tuple[Eraser, ...] = ()

    def __post_init__(self) -> None:
        missing = [f.name for f in fields(self) if getattr(self, f.name) is None]
        if missing:
            raise WiringError(f"the composition root did not wire: {', '.join(missing)}")


@dataclass
class Context:
    """One message being handled. ``arg`` is the command payload, the button's argument or the text typed."""

    incoming: Incoming
    state: ResidentState
    lang: Lang
    t: Texts
    knowledge: KnowledgeSnapshot
    deps: Dependencies
    #: Every feature's routes (``table.TABLE``), for handlers that list them (``/staff``).
    table: Table
    arg: str = ""
    #: Writes the handler staged (``stage``): the Assistant commits them with the resident's state, in one unit.
    staged: list[Staged] = field(default_factory=list)

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    def goto(self, state: str, data: dict[str, Any] | None = None) -> None:
        """Move the resident to ``state`` (must be allowed by the transition table), replacing its flow data."""
        self.state.state = state
        if data is not None:
            self.state.data = data

    def stage(self, write: Write, *, then: Callable[[], list[Reply]],
              refused: Callable[[Exception], Awaitable[list[Reply]]] | None = None,
              retry: Callable[[Exception], Write | None] | None = None) -> None:
        """Stage ``write`` (prepared by a store, e.g. ``FeedbackStore.stage_add``) for the unit of work of this
        message: once the handler has returned, the Assistant makes every staged write and the resident's state
        durable in one transaction (``bot.core.unit``), then answers ``then()`` after the handler's own replies.
        When the store refuses the write, ``retry`` may give another to try; otherwise nothing staged is stored,
        the state is saved alone and ``refused(error)`` is answered instead. When storage fails, nothing is
        acknowledged ("not saved, try again later")."""
        self.staged.append(Staged(write, then, refused, retry))
