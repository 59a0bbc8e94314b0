"""End to end through the real Application and the fake Bot API server: a resident's question goes unanswered and
they tap 🔔; staff teach it with one tap from /teach; the resident is told with the answer, and their next
identical question is answered. A forged teach button from a resident changes nothing."""
from __future__ import annotations

from html import unescape

import pytest

from bot.core.i18n import texts_for
from fakes.bot_api import FakeBotApi
from test_staff_telegram_e2e import STAFF_ID, bot_running, kb_dir  # noqa: F401 - the fixture

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
