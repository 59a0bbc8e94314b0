"""What a handler gets: the message, the resident's state, their language, the knowledge base and the stores."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from bot.core.i18n import Texts
from bot.core.knowledge.service import KnowledgeSnapshot
from bot.core.language import Lang
from bot.core.messages import Incoming
from bot.core.ports import ResidentStore, ResidentState


@dataclass
class Dependencies:
    """Long-lived collaborators, built once by the composition root."""

    residents: ResidentStore
    clock: Callable[[], datetime]
    extras: dict[str, Any] = field(default_factory=dict)  # feature services (feedback, staff), by name


@dataclass
class Context:
    """One message being handled. ``arg`` is the command payload, the button's argument or the text typed."""

    incoming: Incoming
    state: ResidentState
    lang: Lang
    t: Texts
    knowledge: KnowledgeSnapshot
    deps: Dependencies
    arg: str = ""

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    def goto(self, state: str, data: dict[str, Any] | None = None) -> None:
        """Move the resident to ``state`` (must be allowed by the transition table), replacing its flow data."""
        self.state.state = state
        if data is not None:
            self.state.data = data
