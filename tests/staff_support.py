"""Shared by the staff tests: an assistant wired with in-memory staff tools, a clock the test moves, and people
(staff or residents) who type and press the buttons the bot offered."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import players
from players import button_action

from bot.app import build_services
from bot.core.dialog.assistant import Assistant
from bot.core.knowledge.service import KnowledgeService
from bot.core.memory_store import MemoryResidentStore
from bot.core.messages import Incoming, Reply
from bot.core.staff.tools import StaffTools
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"
STAFF = "tg:100"
OTHER_STAFF = "tg:101"


class Clock(players.Clock):
    """Starts on a Monday morning, when the weekly digest is due."""

    def __init__(self, start: datetime = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)):
        super().__init__(start)


@dataclass
class World:
    knowledge: KnowledgeService
    residents: MemoryResidentStore
    tools: StaffTools
    assistant: Assistant
    clock: Clock

    def person(self, user: str, *, staff: bool = False, language_code: str | None = "zh-hant") -> Person:
        return Person(self.assistant, user, staff, language_code)


def copy_knowledge(tmp_path: Path, *, regression: bool = True) -> Path:
    """A private copy of the bundled knowledge directory, safe to edit. ``regression=False`` leaves out the
    sample regression questions, for tests of the reload mechanics that must not depend on how today's matcher
    does on them (``test_kb_test_passes_on_the_bundled_knowledge_base`` watches that)."""
    target = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE_DIR, target)
    if not regression:
        (target / "regression.yaml").unlink()
    return target


def make_world(directory: Path | None = None, *, loader=None, staff_users=(STAFF, OTHER_STAFF),
               settle: bool = False) -> World:
    """Knowledge from ``directory`` (or ``loader``) and the composition root's services on in-memory stores."""
    clock = Clock()
    knowledge = KnowledgeService(directory or Path("unused"), loader=loader)
    settings = Settings(knowledge_dir=knowledge.directory,
                        staff_ids=frozenset(int(user.removeprefix("tg:")) for user in staff_users))
    services = build_services(settings, clock=clock, in_memory=True, knowledge=knowledge, settle_watcher=settle)
    assert services.staff is not None and isinstance(services.residents, MemoryResidentStore)
    return World(knowledge, services.residents, services.staff, services.assistant, clock)


class Person:
    """Types and presses buttons of the replies they got last."""

    def __init__(self, assistant: Assistant, user: str, staff: bool, language_code: str | None):
        self.assistant, self.user, self.staff, self.language_code = assistant, user, staff, language_code
        self.last: list[Reply] = []

    async def send(self, **kw) -> list[Reply]:
        self.last = await self.assistant.handle(Incoming(user=self.user, is_staff=self.staff,
                                                         language_code=self.language_code, **kw))
        return self.last

    async def say(self, text: str) -> list[Reply]:
        return await self.send(text=text)

    async def press(self, label_part: str) -> list[Reply]:
        return await self.send(action=self.button(label_part))

    def button(self, label_part: str) -> str:
        return button_action(self.last, label_part)

    def text(self) -> str:
        return "\n".join(r.html for r in self.last)
