"""What the Telegram front end needs from the composition root (``bot.app.Services``), and where it keeps it.

The adapter depends on these shapes, not on ``bot.app``, so it can be built around any object that has them.
"""
from __future__ import annotations

from typing import Protocol

from telegram.ext import Application, CallbackContext

from bot.core.messages import Incoming, Reply
from bot.settings import Settings

SERVICES_KEY = "services"


class AssistantPort(Protocol):
    async def handle(self, incoming: Incoming) -> list[Reply]: ...

    def command_menu(self, lang: str) -> list[tuple[str, str]]: ...

    async def due_reminders(self) -> list[Reply]: ...


class ServicesPort(Protocol):
    settings: Settings
    assistant: AssistantPort

    async def open(self) -> None: ...

    async def close(self) -> None: ...


def services_of(owner: Application | CallbackContext) -> ServicesPort:
    """The services an application was built with (kept in ``bot_data``, which PTB shares with every callback)."""
    return owner.bot_data[SERVICES_KEY]
