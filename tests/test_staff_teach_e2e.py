"""End to end through the real Application and the fake Bot API server: a resident's question goes unanswered and
they tap 🔔; staff teach it with one tap from /teach; the resident is told with the answer, and their next
identical question is answered. A forged teach button from a resident changes nothing. A teach that would break
a regression question is refused and writes nothing; two staff teaching the same question at once write it once."""
from __future__ import annotations

import asyncio
import contextlib
import shutil
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from fakes.bot_api import FakeBotApi
from test_staff_telegram_e2e import FAST, ROOT, STAFF_ID, bot_running, kb_dir  # noqa: F401 - the fixture

from bot.adapters.telegram import build_application, serving
from bot.app import build_services
from bot.core.i18n import texts_for
from bot.core.ports import UnansweredQuestion
from bot.settings import Settings

OTHER_STAFF_ID = 9002

T = texts_for("zh-Hant")
JOBLESS = "老公失業了在家，有沒有什麼補助可以領"

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


@pytest.fixture
async def api():
    async with FakeBotApi() as fake:
        yield fake


async def test_staff_teach_from_the_chat_and_the_resident_is_answered(api, tmp_path, kb_dir):  # noqa: F811
    async with bot_running(api, tmp_path / "bot.sqlite3", kb_dir) as services:
        resident = api.resident(4242, first_name="Alice", language_code="zh-hant")
        [reply] = await resident.exchange(resident.say(JOBLESS))
        assert reply.text.startswith(T("not_found"))
        await resident.exchange(resident.press(T("teach.notify_button")))
        assert resident.inbox[-1].text == T("teach.notify_set")

        mallory = api.resident(666, first_name="Mallory")
        [stale] = await mallory.exchange(mallory.press_data("tc:s", None))
        assert stale.text.startswith(T("stale_button"))

        staff = api.resident(STAFF_ID, first_name="Staff")
        [card] = await staff.exchange(staff.command("teach"))
        assert f"「{JOBLESS}」" in card.text and "4242" not in card.text and "Alice" not in card.text
        await staff.exchange(staff.press(lambda b: b["text"].startswith("➕ 失業登記")), replies=2)
        await api.wait_until(lambda: any(m.text.startswith("🔔 ") and "失業登記" in m.text for m in resident.inbox),
                             what="the resident's notice")
        assert any(unescape(m.text).startswith(f"✅ 「{JOBLESS}」") for m in staff.inbox)

        [answer] = await resident.exchange(resident.say(JOBLESS))
        assert answer.text.startswith("失業登記")
        assert JOBLESS in (kb_dir / "policies.yaml").read_text(encoding="utf-8")
        [record] = await services.staff.taught.taught()
        assert record.staff_user == f"tg:{STAFF_ID}" and record.entry_id == "policy-unemployment-registration"
        assert await services.residents.unanswered() == []


@contextlib.asynccontextmanager
async def two_staff_running(api: FakeBotApi, db: Path, kb: Path):
    env = {"SEMANTIC_MATCHING": "off", "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.api_url,
           "BOT_DB": str(db), "KNOWLEDGE_DIR": str(kb), "STAFF_IDS": f"{STAFF_ID},{OTHER_STAFF_ID}"}
    services = build_services(Settings.from_env(env, dotenv=None))
    async with serving(build_application(services, FAST)):
        yield services


def knowledge_bytes(kb: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(kb.glob("*.yaml"))}


async def test_a_refused_teach_leaves_every_file_byte_for_byte_unchanged(api, tmp_path):
    """With the sample's regression questions: attaching 低保怎麼申請 to 失業登記 would send a regression question
    there too, so it is refused with the reason and nothing is written."""
    kb = tmp_path / "kb"
    shutil.copytree(ROOT / "knowledge", kb)
    async with two_staff_running(api, tmp_path / "bot.sqlite3", kb) as services:
        resident = api.resident(4243, language_code="zh-hant")
        await services.residents.record_unanswered(UnansweredQuestion(
            "低保怎麼申請", "none_of_these", "zh-Hant", None, datetime.now(UTC)))
        before = knowledge_bytes(kb)
        staff = api.resident(STAFF_ID, first_name="Staff")
        await staff.exchange(staff.command("teach"))
        await staff.exchange(staff.press(T("teach.button_pick")))
        await staff.exchange(staff.press(T("category.policies")))
        await staff.exchange(staff.press(lambda b: b["text"] == "失業登記"))
        await api.wait_until(lambda: any(unescape(m.text).startswith("❌") for m in staff.inbox), what="the refusal")
        refusal = next(unescape(m.text) for m in staff.inbox if unescape(m.text).startswith("❌"))
        assert "policy-minimum-living-allowance-apply" in refusal
        assert knowledge_bytes(kb) == before
        [answer] = await resident.exchange(resident.say("低保怎麼申請"))
        assert "失業登記" not in answer.text.splitlines()[0]


async def test_two_staff_teaching_the_same_question_at_once_write_it_once(api, tmp_path, kb_dir):  # noqa: F811
    async with two_staff_running(api, tmp_path / "bot.sqlite3", kb_dir) as services:
        resident = api.resident(4244, language_code="zh-hant")
        await resident.exchange(resident.say(JOBLESS))
        first, second = api.resident(STAFF_ID, first_name="A"), api.resident(OTHER_STAFF_ID, first_name="B")
        await first.exchange(first.command("teach"))
        await second.exchange(second.command("teach"))

        def attach(b: dict) -> bool:
            return b["text"].startswith("➕ 失業登記")

        await asyncio.gather(first.press(attach), second.press(attach))
        await api.wait_until(lambda: len(first.inbox) > 1 and len(second.inbox) > 1, what="both staff answered")
        await api.wait_until(lambda: any(unescape(m.text).startswith(f"✅ 「{JOBLESS}」")
                                         for m in (*first.inbox, *second.inbox)), what="one teach landed")
        assert (kb_dir / "policies.yaml").read_text(encoding="utf-8").count(JOBLESS) == 1
        assert len(await services.staff.taught.taught()) == 1
        [answer] = await resident.exchange(resident.say(JOBLESS))
        assert answer.text.startswith("失業登記")
