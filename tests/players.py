"""What every test that plays a person needs: a hand-moved clock and finding the buttons the bot offered."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.messages import Reply


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def button_labels(replies: list[Reply]) -> list[str]:
    return [b.label for r in replies for row in r.buttons for b in row]


def button_action(replies: list[Reply], label_part: str) -> str:
    """The action of the first offered button whose label contains ``label_part`` (a person can only press
    what they were shown)."""
    for reply in replies:
        for row in reply.buttons:
            for button in row:
                if label_part in button.label:
                    return button.action
    raise AssertionError(f"no button with {label_part!r} in {button_labels(replies)}")
