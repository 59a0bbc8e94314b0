"""What goes into the core (an ``Incoming`` message) and what comes out (``Reply`` objects).

Adapters translate a transport's updates into ``Incoming`` and render ``Reply`` objects back; the core never sees a
Telegram object. Reply text is HTML in Telegram's subset (``<b>``, ``<i>``, ``<a href>``, ``<code>``) with every
piece of knowledge-base text escaped by the core; the console adapter turns it into plain text.
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

#: Telegram's limit for callback data, in bytes. Every ``Button.action`` must fit.
MAX_ACTION_BYTES = 64
#: What a private-chat link may carry to the bot's ``/start`` (Telegram's deep-link rule).
PRIVATE_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{0,64}")
#: Where a message was written: a private chat with the bot, or a chat others read (group, supergroup, channel).
ChatKind = Literal["private", "group"]


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: ``label`` is shown, ``action`` comes back to the core when pressed (ASCII, ≤ 64 bytes).

    ``url`` opens a link instead; ``private`` opens the person's private chat with the bot, which then receives
    ``/start <private>`` ("" for a plain ``/start``): the adapter knows the bot's address, the core does not.

    Two fields for a text front end, set by the step that knows, ignored by Telegram (which draws every button the
    same and sends its ``action`` when pressed): ``inert`` — the button is only a label (a calendar's weekday
    heading, a blank cell; pressing it does nothing), so a text front end never gives it a key; ``key`` — what a
    text front end lets the person type to press it (a calendar day: its number), instead of a key of its own
    choosing. The console prints a row of only inert and keyed buttons on one line, as a grid
    (``bot/adapters/console.py``). A key is lowercase without spaces: the console matches what is typed that way."""

    label: str
    action: str = ""
    url: str | None = None
    private: str | None = None
    inert: bool = False
    key: str | None = None

    def __post_init__(self) -> None:
        if self.url is None and len(self.action.encode()) > MAX_ACTION_BYTES:
            raise ValueError(f"button action longer than {MAX_ACTION_BYTES} bytes: {self.action!r}")
        if self.key is not None and (not self.key or self.key != "".join(self.key.lower().split())):
            raise ValueError(f"button key must be lowercase, without spaces, not empty: {self.key!r}")
        if self.key is not None and (self.inert or self.url is not None or self.private is not None):
            raise ValueError(f"only a button that sends its action is pressed by a key: {self.label!r}")
        if self.private is not None and not PRIVATE_PAYLOAD.fullmatch(self.private):
            raise ValueError(f"private-chat payload must be 0-64 of A-Z a-z 0-9 _ -: {self.private!r}")


@dataclass(frozen=True, slots=True)
class Venue:
    """A place Telegram can show on a map (``sendVenue``); the console prints it as text."""

    lat: float
    lon: float
    title: str
    address: str


@dataclass(frozen=True, slots=True)
class Image:
    """A PNG picture (a chart) with an optional caption (HTML)."""

    png: bytes
    caption: str = ""
    filename: str = "chart.png"


@dataclass(frozen=True, slots=True)
class Document:
    """A file to send (an export)."""

    content: bytes
    filename: str
    caption: str = ""


#: What happened to one message of a broadcast: ``blocked`` means the person blocked the bot (Telegram's 403).
DeliveryStatus = Literal["sent", "blocked", "failed"]
#: The adapter's way to send one broadcast message: ``await send(user_key, html)`` → its ``DeliveryStatus``.
Send = Callable[[str, str], Awaitable[DeliveryStatus]]


@dataclass(frozen=True, slots=True)
class Broadcast:
    """One message for many people (an announcement), delivered by the adapter in the background.

    The adapter calls ``await broadcast.deliver(send)`` with its own ``send`` (rate-limited by the transport) and
    then sends the replies it returns (the delivered/failed report for the staff member who sent it). The core
    does the rest: which recipients, concurrency, marking people who blocked the bot, the audit entry.
    """

    html: str
    recipients: tuple[str, ...]
    deliver: Callable[[Send], Awaitable[list[Reply]]] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Reply:
    """One message from the bot.

    ``to`` is None for the person who wrote; otherwise the ``user`` key of another person (a resident who receives
    a staff reply, a subscriber who receives an announcement). ``replace`` asks the adapter to edit the message whose
    button was pressed instead of sending a new one, where the transport can.

    ``typed_number`` says that the step waits for something typed that may be a bare number — how many people, a
    phone number, the free-text answer to a consultation question — so a bare number must reach the core as text,
    never as a button. The step knows this, the adapter cannot guess it: the console, where a button is pressed by
    typing its key, then keys this reply's buttons with letters (``bot/adapters/console.py``); Telegram, where
    buttons are pressed and text is typed, ignores it.
    """

    html: str = ""
    buttons: tuple[tuple[Button, ...], ...] = ()
    venue: Venue | None = None
    image: Image | None = None
    document: Document | None = None
    to: str | None = None
    replace: bool = False
    broadcast: Broadcast | None = None  # an announcement to deliver to many people (see ``Broadcast``)
    typed_number: bool = False  # a bare number typed now is the answer, not a button (see above)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a person did: typed text or a command, pressed a button, shared a location, or sent something else.

    ``user`` is a stable, transport-scoped key (``"tg:12345"``, ``"console:local"``). ``unsupported`` names what the
    person sent when the core cannot read it (``"sticker"``, ``"photo"``, …). ``chat`` is where it was written:
    in a ``"group"`` others read along, so the core answers knowledge questions there and nothing personal.
    """

    user: str
    text: str | None = None
    action: str | None = None
    location: tuple[float, float] | None = None
    language_code: str | None = None
    is_staff: bool = False
    unsupported: str | None = None
    display_name: str | None = field(default=None, compare=False)
    chat: ChatKind = "private"

    @property
    def command(self) -> tuple[str, str] | None:
        """``("/start", "payload")`` for a command message (bot suffix ``@name`` dropped), else None."""
        if not self.text or not self.text.startswith("/"):
            return None
        head, _, rest = self.text.strip().partition(" ")
        name = head.split("@", 1)[0].lower()
        if len(name) < 2 or not name[1:].replace("_", "").isalnum():
            return None
        return name, rest.strip()
