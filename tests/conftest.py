import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

KNOWLEDGE_DIR = ROOT / "knowledge"

# Tests build many small bots; the meaning-level model is loaded only by the tests that ask for it
# (tests/test_semantic.py), so commands run as subprocesses and Settings.from_env() match on wording here.
os.environ["SEMANTIC_MATCHING"] = "off"


@pytest.fixture
def commits(monkeypatch) -> list[bool]:
    """Every transaction the SQLite store runs from now on, in order: True for one that ended in COMMIT (the unit
    of work's promise is one COMMIT a message)."""
    from bot.storage import database as database_module

    seen: list[bool] = []
    real = database_module.run_batch

    def counting(conn, begin, blocks, rows, commit):
        seen.append(commit)
        return real(conn, begin, blocks, rows, commit)

    monkeypatch.setattr(database_module, "run_batch", counting)
    return seen


def small_knowledge_base():
    """A five-entry knowledge base for dialog tests (Traditional text, like the real one)."""
    from datetime import date

    from bot.core.knowledge.model import BUILTIN_CATEGORIES, Category, Contact, Entry, KnowledgeBase, Location, Text

    def entry(id_, category, title, questions, answer, **kw):
        return Entry(id=id_, category=category, title=Text.of(title), questions=tuple(questions),
                     answer=Text.of(answer), **kw)

    entries = (
        entry("policy-dibao-apply", "policies", {"zh-Hant": "最低生活保障申請", "en": "Minimum living allowance"},
              ["低保怎麼申請", "最低生活保障要怎麼辦理", "申請低保需要什麼材料"],
              "攜帶身份證、戶口簿和收入證明到社區服務中心「一站式服務」窗口申請。<審核>約 30 天 & 公示 7 天。",
              keywords=("低保",), related=("policy-temporary-aid",), updated=date(2026, 10, 1),
              contact=Contact(phone=Text.of("025-5550-0101"), address=Text.of("沿河社區服務中心一樓"))),
        entry("policy-temporary-aid", "policies", "臨時救助", ["臨時救助怎麼申請", "家裡突然有困難可以申請救助嗎",
                                                            "急難救助去哪裡辦"],
              "因突發事件生活困難的家庭，可向所在街道申請臨時救助。"),
        entry("facility-yanhe-library", "facilities", {"zh-Hant": "沿河社區圖書室", "en": "Yanhe community library"},
              ["沿河社區圖書室幾點開門", "沿河圖書室在哪裡", "沿河社區有圖書館嗎"],
              "沿河社區圖書室週二至週日 9:00-20:00 開放，免費借閱。",
              location=Location(32.031, 118.732),
              contact=Contact(address=Text.of("沿河社區服務中心三樓"), hours=Text.of("週二至週日 9:00-20:00"))),
        entry("facility-mingyuan-gym", "facilities", "明園社區健身房", ["明園社區健身房開放時間", "明園健身房在哪",
                                                                 "明園社區可以免費健身嗎"],
              "明園社區健身房每天 6:00-21:00 免費開放。", location=Location(32.001, 118.712)),
        entry("school-community-school", "schools", "社區學校課程", ["社區學校有什麼課", "社區學校怎麼報名",
                                                                "社區學校上課時間"],
              "社區學校每學期開設書法、太極、智慧手機等課程，憑身份證到社區報名。"),
    )
    categories = tuple(Category(c, Text.of(c)) for c in BUILTIN_CATEGORIES)
    return KnowledgeBase(entries=entries, categories=categories, synonyms=(("最低生活保障", "低保"),))


# The feedback tests' shared fixtures (a module that defines its own `knowledge` or `world` uses that one instead).
@pytest.fixture(scope="module")
def knowledge(tmp_path_factory):
    """The feedback tests' knowledge base (feedback_helpers.write_knowledge), loaded once per module."""
    from feedback_helpers import write_knowledge

    from bot.core.knowledge.service import KnowledgeService

    return KnowledgeService(write_knowledge(tmp_path_factory.mktemp("kb")))


@pytest.fixture(params=["memory", "sqlite"])
async def world(request, knowledge, tmp_path):
    """Every test that takes it runs twice: on the in-memory stores and on SQLite."""
    from feedback_helpers import close_world, open_world

    w = await open_world(request.param, knowledge, tmp_path)
    yield w
    await close_world(w)


def wired_assistant(knowledge, residents=None, clock=None):
    """The composition root's assistant (``build_services``) on in-memory stores — ``residents`` instead of its
    own resident store when given — serving ``knowledge`` and reading ``clock``."""
    import dataclasses

    from bot.app import build_services, build_stores
    from bot.core.staff.tools import utc_now
    from bot.settings import Settings

    stores = build_stores(Settings(), in_memory=True)
    if residents is not None:
        stores = dataclasses.replace(stores, residents=residents)
    return build_services(Settings(knowledge_dir=knowledge.directory), knowledge=knowledge, stores=stores,
                          clock=clock or utc_now).assistant
