"""``/review`` and ``/stats`` end to end: the real Application and services (SQLite, bundled knowledge base) polling
the fake Bot API server. Residents answer a consultation through the buttons; a staff member reviews, marks one in
review, replies (the resident receives it under the reference number with rating buttons and rates it), closes
the other, and gets the charts as photos; a resident trying the same commands and buttons gets nothing."""
from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from fakes.bot_api import BotMessage, FakeBotApi

from bot.adapters.telegram import Tuning, build_application, serving
from bot.app import build_services
from bot.core.i18n import texts_for
from bot.reports.charts import CHARTS
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FAST = Tuning(poll_timeout=1, read_timeout=1.5, connect_timeout=1, reminder_interval=3600,
              knowledge_watch_interval=3600)
STAFF_ID = 9101
T = texts_for("zh-Hant")
REFERENCE = re.compile(r"FB-[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}")


async def complete(resident, *, contact: str | None) -> str:
    """The bundled "社區服務滿意度" consultation through its buttons; returns the reference number."""
    [listing] = await resident.exchange(resident.command("feedback"))
    *_, question = await resident.exchange(resident.press("社區服務滿意度", message=listing), replies=2)
    [question] = await resident.exchange(resident.press("⬜ 社區圖書室", message=question))
    [scale] = await resident.exchange(resident.press("✅ 完成", message=question))
    [hours] = await resident.exchange(resident.press("4 · 比較滿意", message=scale))
    await resident.exchange(resident.press("希望週末也開放", message=hours))
    [summary] = await resident.exchange(resident.say("希望增加兒童閱讀活動"))
    [consent] = await resident.exchange(resident.press("✅ 確認提交", message=summary))
    if contact is None:
        ack = await resident.exchange(resident.press("不用了，謝謝", message=consent))
    else:
        await resident.exchange(resident.press("📞 可以聯繫我", message=consent))
        ack = await resident.exchange(resident.say(contact))
    return reference_in(ack)


def reference_in(messages: list[BotMessage]) -> str:
    found = REFERENCE.search("\n".join(m.text for m in messages))
    assert found, [m.text for m in messages]
    return found.group(0)


def assert_no_bad_requests(api: FakeBotApi) -> None:
    bad = [c for c in api.bad_requests if "not modified" not in c.description]
    assert not bad, [(c.method, c.description) for c in bad]


@pytest.fixture
async def api():
    async with FakeBotApi() as fake:
        yield fake


@contextlib.asynccontextmanager
async def bot_running(api: FakeBotApi, db: Path):
    env = {"SEMANTIC_MATCHING": "off", "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.api_url,
           "BOT_DB": str(db),
           "KNOWLEDGE_DIR": str(ROOT / "knowledge"), "STAFF_IDS": str(STAFF_ID), "EXPORT_SALT": "e2e"}
    services = build_services(Settings.from_env(env, dotenv=None))
    async with serving(build_application(services, FAST)):
        yield services


async def test_staff_reviews_replies_and_closes_and_gets_the_charts(api, tmp_path):
    async with bot_running(api, tmp_path / "bot.sqlite3") as services:
        cai = api.resident(3401, first_name="Cai", language_code="zh-hant")
        dong = api.resident(3402, first_name="Dong", language_code="zh-hant")
        first = await complete(cai, contact="電話 138-0000-0000")
        second = await complete(dong, contact=None)
        staff = api.resident(STAFF_ID, first_name="Staff", language_code="zh-hant")

        [card] = await staff.exchange(staff.command("review"))
        assert first in card.text and "社區服務滿意度" in card.text and "希望增加兒童閱讀活動" in card.text
        assert "電話 138-0000-0000" in card.text and "（待處理 2 項）" in card.text
        shown = card.text.replace(first, "")  # a random reference number may hold the digits 3401 by chance
        assert "3401" not in shown and "3402" not in shown, "residents' ids are never shown"
        assert card.button_labels() == ["🔎 標為處理中", "💬 回覆", "✔️ 結案", "⏭ 下一項"]

        [card] = await staff.exchange(staff.press("🔎 標為處理中", message=card))
        assert card.edits == 1 and "狀態：處理中" in card.text
        [prompt] = await staff.exchange(staff.press("💬 回覆", message=card))
        assert first in prompt.text
        confirmation, next_card = await staff.exchange(staff.say("謝謝建議，兒童閱讀活動下月起每週六舉行。"),
                                                       replies=2)
        assert first in confirmation.text and "回覆已發給" in confirmation.text
        assert second in next_card.text

        await api.wait_until(lambda: any(first in m.text and "週六" in m.text for m in cai.inbox),
                             what="the reply in the resident's chat")
        reply = next(m for m in cai.inbox if first in m.text and "週六" in m.text)
        assert "區裡工作人員的回覆" in reply.text and reply.button_labels() == ["1", "2", "3", "4", "5"]
        [thanks] = await cai.exchange(cai.press("5", message=reply))
        assert "5/5" in thanks.text

        [asked] = await staff.exchange(staff.press("✔️ 結案", message=next_card))
        assert "不回覆就結案嗎" in asked.text and asked.message_id == next_card.message_id
        closed, end = await staff.exchange(staff.press("✔️ 不回覆，結案", message=asked), replies=2)
        assert second in closed.text and "已結案" in closed.text and closed.message_id == next_card.message_id
        assert end.text == T("review.empty")

        assert (await services.feedback.lookup(first)).replies[0].rating == 5
        assert (await services.feedback.lookup(second)).status == "closed"
        records = await services.staff.audit.records()
        assert [(r.staff_user, r.action) for r in records] == [
            (f"tg:{STAFF_ID}", "feedback.status"), (f"tg:{STAFF_ID}", "feedback.reply"),
            (f"tg:{STAFF_ID}", "feedback.status")]
        assert records[0].detail.endswith("received → in_review") and records[2].detail.endswith("→ closed")

        messages = await staff.exchange(staff.command("stats"), replies=1 + len(CHARTS), timeout=30)
        assert "問卷意見 2 份" in messages[0].text and "已回覆 50%" in messages[0].text
        photos = [m for m in messages if m.kind == "photo"]
        assert len(photos) == len(CHARTS) and photos[0].text.startswith("本週共 2 份，最多的是")  # captions
        assert photos[4].text == "這段時間沒有資料。"  # no unanswered question
        assert re.search(r"場地共開放 [\d.]+ 小時，沒有任何預約。$", photos[-1].text)  # the rooms chart: none booked
        assert all(m.file["content"].startswith(b"\x89PNG") for m in photos)
        assert_no_bad_requests(api)
    assert not api.unanswered_queries


async def test_a_resident_gets_nothing_from_review_and_stats(api, tmp_path):
    async with bot_running(api, tmp_path / "bot.sqlite3") as services:
        cai = api.resident(3501, first_name="Cai", language_code="zh-hant")
        reference = await complete(cai, contact=None)
        mallory = api.resident(3666, first_name="Mallory", language_code="zh-hant")
        for name, payload in (("review", ""), ("review", reference), ("stats", ""), ("stats", "30")):
            [reply] = await mallory.exchange(mallory.command(name, payload))
            assert reply.text == T("unknown_command"), (name, payload)
        for data in (f"rv:cl:{reference}", f"rv:re:{reference}", f"rv:ir:{reference}", "rv:nx:x"):
            [reply] = await mallory.exchange(mallory.press_data(data, None))
            assert reply.text.startswith(T("stale_button")), data
        [reply] = await mallory.exchange(mallory.say("這是偽造的回覆"))
        assert reference not in reply.text
        stored = await services.feedback.lookup(reference)
        assert stored.status == "received" and stored.replies == ()
        assert await services.staff.audit.records() == []
        assert not [m for m in mallory.inbox if m.kind == "photo"]
        assert not [m for m in cai.inbox if "工作人員的回覆" in m.text]
    assert not api.unanswered_queries
