"""Shared by the feedback tests: a small knowledge directory with test consultations, a clock the test moves, a
resident who presses the buttons the bot offered, and a "world" (knowledge, stores, service, assistant) on the
in-memory or the SQLite stores."""
from __future__ import annotations

import dataclasses
import html
import re
from dataclasses import dataclass
from pathlib import Path

from players import Clock, button_action, button_labels  # noqa: F401 - Clock is re-exported

import bot.core.feedback  # noqa: F401  (registers the consultations section before any knowledge is loaded)
from bot.app import Stores, build_services, build_stores
from bot.core.dialog.assistant import Assistant
from bot.core.feedback.service import FeedbackService
from bot.core.knowledge.service import KnowledgeService
from bot.core.messages import Incoming, Reply
from bot.core.staff.tools import StaffTools
from bot.settings import Settings

ENTRIES_YAML = """\
entries:
  - id: policy-dibao-apply
    category: policies
    title: {zh-Hant: 最低生活保障申請, en: Minimum living allowance}
    questions: [低保怎麼申請, 最低生活保障要怎麼辦理, how to apply for the minimum living allowance]
    answer: {zh-Hant: 攜帶身份證到社區服務中心申請。, en: Bring your ID card to the community service centre.}
  - id: facility-yanhe-library
    category: facilities
    title: 沿河社區圖書室
    questions: [沿河社區圖書室幾點開門, 沿河圖書室在哪裡]
    answer: 沿河社區圖書室週二至週日 9:00-20:00 開放。
"""

CONSULTATIONS_YAML = """\
consultations:
  - id: jobs
    title: {zh-Hant: 就業幫扶, zh-Hans: 就业帮扶, en: Job support}
    description: {zh-Hant: 關於就業服務的意見。, en: About job services.}
    questions:
      - id: status
        type: single
        prompt: {zh-Hant: 您屬於哪一類？, en: Which describes you?}
        options:
          - {id: grad, label: {zh-Hant: 高校畢業生, en: Graduate}}
          - {id: leaver, label: {zh-Hant: 兩后生, en: School leaver}}
          - {id: other, label: {zh-Hant: 其他, en: Other}}
      - id: help
        type: multiple
        prompt: {zh-Hant: 需要哪些幫助？, en: What help do you need?}
        ask_if: {question: status, any_of: [grad, leaver]}
        options:
          - {id: skills, label: {zh-Hant: 技能培訓, en: Skills training}}
          - {id: referrals, label: {zh-Hant: 崗位推薦, en: Job referrals}}
          - {id: loans, label: {zh-Hant: 創業貸款, en: Start-up loans}}
      - id: rating
        type: scale
        prompt: {zh-Hant: 對就業服務滿意嗎？, en: Are you satisfied with job services?}
        labels:
          1: {zh-Hant: 很不滿意, en: Very dissatisfied}
          3: {zh-Hant: 一般, en: Neutral}
          5: {zh-Hant: 很滿意, en: Very satisfied}
      - id: note
        type: text
        required: false
        max_length: 50
        prompt: {zh-Hant: 還有什麼建議？, en: Any other suggestion?}
  - id: dibao
    anonymous: true
    title: {zh-Hant: 低保意見（匿名）, en: Allowance survey (anonymous)}
    questions:
      - id: receiving
        type: single
        prompt: {zh-Hant: 您家領取低保嗎？, en: Do you receive the allowance?}
        options:
          - {id: receiving, label: {zh-Hant: 正在領取, en: We receive it}}
          - {id: never, label: {zh-Hant: 沒有申請, en: Never applied}}
      - id: adequacy
        type: scale
        prompt: {zh-Hant: 低保金夠用嗎？, en: Is it enough?}
        ask_if: {question: receiving, any_of: [receiving]}
        labels: {1: {zh-Hant: 遠遠不夠, en: Far from enough}, 5: {zh-Hant: 完全夠, en: Fully}}
      - id: comment
        type: text
        required: false
        max_length: 100
        prompt: {zh-Hant: 其他意見？, en: Anything else?}
  - id: closed-one
    open: false
    title: 已結束的問卷
    questions:
      - {id: q, type: text, prompt: 隨便說說}
  - id: other
    title: {zh-Hant: 其他意見建議, en: Other suggestions}
    questions:
      - id: suggestion
        type: text
        max_length: 200
        prompt: {zh-Hant: 請寫下您的建議：, en: Please write your suggestion.}
"""

#: Reference numbers as residents see them: FB- + four groups of four Crockford base32 characters (80 bits).
REFERENCE = re.compile(r"FB-[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}")


def write_knowledge(directory: Path, consultations: str = CONSULTATIONS_YAML) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "entries.yaml").write_text(ENTRIES_YAML, encoding="utf-8")
    (directory / "consultations.yaml").write_text(consultations, encoding="utf-8")
    return directory


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


class Resident:
    """Plays one resident through ``Assistant.handle``: types, and presses only buttons the bot offered."""

    def __init__(self, world: World, user: str = "tg:1001", language_code: str | None = None):
        self.world, self.user, self.language_code = world, user, language_code
        self.last: list[Reply] = []

    async def send(self, **kw) -> list[Reply]:
        self.last = await self.world.assistant.handle(Incoming(user=self.user, language_code=self.language_code,
                                                               **kw))
        return self.last

    async def say(self, text: str) -> list[Reply]:
        return await self.send(text=text)

    async def press(self, label_part: str) -> list[Reply]:
        return await self.send(action=self.button(label_part))

    async def forge(self, action: str) -> list[Reply]:
        """Callback data the bot never offered (an old message, or a tampered client)."""
        return await self.send(action=action)

    def button(self, label_part: str) -> str:
        return button_action(self.last, label_part)

    def buttons(self) -> list[str]:
        return button_labels(self.last)

    def actions(self) -> list[str]:
        return [b.action for r in self.last for row in r.buttons for b in row]

    @property
    def text(self) -> str:
        return "\n".join(plain(r.html) for r in self.last)

    def reference(self) -> str:
        found = REFERENCE.search(self.text)
        assert found, f"no reference number in {self.text!r}"
        return found.group(0)

    async def state(self) -> str:
        return (await self.world.residents.load_state(self.user)).state


#: The staff member of the worlds below (``STAFF_IDS``).
STAFF_ID = 9000


@dataclass
class World:
    knowledge: KnowledgeService
    residents: object
    store: object
    feedback: FeedbackService
    assistant: Assistant
    clock: Clock
    tools: StaffTools
    database: object | None = None

    def resident(self, user: str = "tg:1001", language_code: str | None = None) -> Resident:
        return Resident(self, user, language_code)


def build_world(knowledge: KnowledgeService, clock: Clock, stores: Stores, salt: str = "test-salt") -> World:
    """The composition root's services (``build_services``) on ``stores``, with ``clock`` and ``knowledge``."""
    services = build_services(Settings(knowledge_dir=knowledge.directory, export_salt=salt,
                                       staff_ids=frozenset({STAFF_ID})),
                              clock=clock, knowledge=knowledge, stores=stores, settle_watcher=False)
    assert services.feedback is not None and services.staff is not None
    return World(knowledge, stores.residents, stores.feedback, services.feedback, services.assistant, clock,
                 services.staff, stores.database)


def memory_stores(**replace) -> Stores:
    """The in-memory stores, with some replaced (e.g. by a store that fails on purpose)."""
    return dataclasses.replace(build_stores(Settings(), in_memory=True), **replace)


def memory_world(knowledge: KnowledgeService, clock: Clock | None = None) -> World:
    return build_world(knowledge, clock or Clock(), memory_stores())


async def sqlite_world(knowledge: KnowledgeService, path: Path, clock: Clock | None = None) -> World:
    stores = build_stores(Settings(db_path=path))
    await stores.database.open()
    return build_world(knowledge, clock or Clock(), stores)


async def open_world(kind: str, knowledge: KnowledgeService, tmp_path: Path) -> World:
    """A world on the in-memory stores (``"memory"``) or on a fresh SQLite file (``"sqlite"``): the two
    parameters of every test that must behave the same on both."""
    if kind == "memory":
        return memory_world(knowledge)
    return await sqlite_world(knowledge, tmp_path / "bot.sqlite3")


async def close_world(world: World) -> None:
    """Check the SQLite file is intact and close it (nothing to do for the in-memory stores)."""
    if world.database is not None:
        assert await world.database.integrity_check() == "ok"
        await world.database.close()

