"""Policy feedback end to end: the real Application and services (SQLite, bundled knowledge) polling the fake Bot
API server; residents press the inline buttons the bot sent, as in ``test_telegram_e2e.py``."""
from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path

import pytest
from fakes.bot_api import BotMessage, FakeBotApi

from bot.adapters.telegram import Tuning, build_application, serving
from bot.adapters.telegram.render import deliver
from bot.app import build_services
from bot.core.language import detect_script
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FAST = Tuning(poll_timeout=1, read_timeout=1.5, connect_timeout=1, reminder_interval=3600)
REFERENCE = re.compile(r"FB-[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}")


@pytest.fixture
async def api():
    async with FakeBotApi() as fake:
        yield fake


def settings_for(api: FakeBotApi, db: Path) -> Settings:
    env = {"SEMANTIC_MATCHING": "off", "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.api_url,
           "BOT_DB": str(db),
           "KNOWLEDGE_DIR": str(ROOT / "knowledge"), "EXPORT_SALT": "e2e-salt"}
    return Settings.from_env(env, dotenv=None)


@contextlib.asynccontextmanager
async def bot_running(settings: Settings):
    services = build_services(settings)
    application = build_application(services, FAST)
    async with serving(application):
        yield services, application


@pytest.fixture
async def bot(api, tmp_path):
    async with bot_running(settings_for(api, tmp_path / "bot.sqlite3")) as running:
        yield running
    assert not api.unanswered_queries, "every button press gets answerCallbackQuery"


def assert_no_bad_requests(api: FakeBotApi) -> None:
    bad = [c for c in api.bad_requests if "not modified" not in c.description]
    assert not bad, [(c.method, c.description) for c in bad]


def reference_in(messages: list[BotMessage]) -> str:
    found = REFERENCE.search("\n".join(m.text for m in messages))
    assert found, [m.text for m in messages]
    return found.group(0)


LANGUAGES = {
    "zh-hant": dict(title="社區服務滿意度", used="社區圖書室", done="✅ 完成", overall="4 · 比較滿意",
                    hours="希望週末也開放", typed="希望增加兒童閱讀活動", submit="✅ 確認提交",
                    consent="📞 可以聯繫我", refuse="不用了，謝謝", script="zh-Hant"),
    "zh-hans": dict(title="社区服务满意度", used="社区图书室", done="✅ 完成", overall="4 · 比较满意",
                    hours="希望周末也开放", typed="希望增加儿童阅读活动", submit="✅ 确认提交",
                    consent="📞 可以联系我", refuse="不用了，谢谢", script="zh-Hans"),
    "en": dict(title="Community services", used="Reading room", done="✅ Done", overall="4 · Satisfied",
               hours="Please open at weekends too", typed="More reading events for children", submit="✅ Submit",
               consent="📞 Yes, you may contact me", refuse="No, thanks", script="en"),
}


async def complete(resident, labels: dict, *, contact: str | None) -> list[BotMessage]:
    """/feedback → community services → every question → submit → consent given (with ``contact``) or refused."""
    [listing] = await resident.exchange(resident.command("feedback"))
    intro_and_question = await resident.exchange(resident.press(labels["title"], message=listing), replies=2)
    question = intro_and_question[-1]
    [question] = await resident.exchange(resident.press(f"⬜ {labels['used']}", message=question))
    assert question.edits == 1 and f"☑️ {labels['used']}" in question.button_labels(), "ticked in place"
    [scale] = await resident.exchange(resident.press(labels["done"], message=question))
    [hours] = await resident.exchange(resident.press(labels["overall"], message=scale))
    [text_question] = await resident.exchange(resident.press(labels["hours"], message=hours))
    [summary] = await resident.exchange(resident.say(labels["typed"]))
    assert labels["typed"] in summary.text and labels["used"] in summary.text
    [consent] = await resident.exchange(resident.press(labels["submit"], message=summary))
    if contact is None:
        return await resident.exchange(resident.press(labels["refuse"], message=consent))
    await resident.exchange(resident.press(labels["consent"], message=consent))
    return await resident.exchange(resident.say(contact))


async def test_a_full_consultation_in_each_language(api, bot):
    services, _ = bot
    residents = {code: api.resident(3000 + i, language_code=code) for i, code in enumerate(LANGUAGES)}
    acks = await asyncio.gather(*(complete(r, LANGUAGES[code], contact=None) for code, r in residents.items()))
    for (code, _resident), ack in zip(residents.items(), acks, strict=True):
        reference = reference_in(ack)
        assert detect_script(ack[0].text.replace(reference, "")) == LANGUAGES[code]["script"]
        stored = await services.feedback.lookup(reference)
        assert stored.language == LANGUAGES[code]["script"] and len(stored.answers) == 4
    assert_no_bad_requests(api)


async def test_back_skip_cancel_and_invalid_inputs(api, bot):
    services, _ = bot
    ann = api.resident(3101, language_code="zh-hant")
    [listing] = await ann.exchange(ann.command("feedback"))
    [_, first] = await ann.exchange(ann.press("保障性住房建設與分配", message=listing), replies=2)
    [again] = await ann.exchange(ann.say("廉租房"))  # text where a button is expected
    assert "請用題目下方的按鈕" in again.text
    [refused] = await ann.exchange(ann.press_data("fa:housing-type:castle", first))  # forged option
    assert "不是題目的選項" in refused.text
    [refused] = await ann.exchange(ann.press_data("fa:transparency:9", first))  # another question, out of range
    assert "屬於另一道題" in refused.text
    [applied] = await ann.exchange(ann.press("廉租房", message=first))
    [transparency] = await ann.exchange(ann.press("申請過，還在等待", message=applied))
    [refused] = await ann.exchange(ann.press_data("fa:transparency:0", transparency))
    assert "1 到 5" in refused.text
    [back] = await ann.exchange(ann.press("⬅️ 上一題", message=transparency))
    assert "您家申請過嗎" in back.text
    [problems] = await ann.exchange(ann.press("沒有申請過", message=back))  # transparency no longer applies
    assert "遇到過哪些問題" in problems.text
    [comment] = await ann.exchange(ann.press("⏭ 跳過", message=problems))
    [too_long] = await ann.exchange(ann.say("長" * 10_000))
    assert "10000 個字" in too_long.text and "800" in too_long.text
    [cancelled] = await ann.exchange(ann.press("✖️ 取消", message=comment))
    assert "沒有保存" in cancelled.text
    [stale] = await ann.exchange(ann.press_data("fs:comment", comment))  # a button of the abandoned flow
    assert stale.text
    assert await services.feedback.store.submissions() == []
    assert_no_bad_requests(api)


async def test_a_restart_in_the_middle_resumes_the_consultation(api, tmp_path):
    settings = settings_for(api, tmp_path / "bot.sqlite3")
    bea = api.resident(3201, language_code="zh-hant")
    async with bot_running(settings):
        [listing] = await bea.exchange(bea.command("feedback"))
        [_, question] = await bea.exchange(bea.press("其他意見建議", message=listing), replies=2)
    async with bot_running(settings) as (services, _):
        [summary] = await bea.exchange(bea.say("社區路燈壞了很久"))
        assert "請確認您的回答" in summary.text and "社區路燈壞了很久" in summary.text
        [consent] = await bea.exchange(bea.press("✅ 確認提交", message=summary))
        ack = await bea.exchange(bea.press("不用了，謝謝", message=consent))
        assert (await services.feedback.lookup(reference_in(ack))).answers[0].value == "社區路燈壞了很久"
    assert question.text and not api.unanswered_queries
    assert_no_bad_requests(api)


async def test_consent_mystatus_staff_reply_and_rating_round_trip(api, bot):
    services, application = bot
    cai = api.resident(3301, language_code="zh-hant")
    dong = api.resident(3302, language_code="zh-hant")
    cai_ack, dong_ack = await asyncio.gather(complete(cai, LANGUAGES["zh-hant"], contact="電話 138-0000-0000"),
                                             complete(dong, LANGUAGES["zh-hant"], contact=None))
    cai_ref, dong_ref = reference_in(cai_ack), reference_in(dong_ack)
    assert await services.feedback.store.contact(cai_ref) == "電話 138-0000-0000"
    assert await services.feedback.store.contact(dong_ref) is None

    [status] = await cai.exchange(cai.command("mystatus"))
    assert cai_ref in status.text and "已收到" in status.text and dong_ref not in status.text

    # Staff reply (the staff UI is another feature): the service's use case, delivered by the adapter.
    replies = await services.feedback.reply(cai_ref, "已轉交社區，週末開放將從下月起試行。")
    [message] = await cai.exchange(deliver(application.bot, replies, None))
    assert cai_ref in message.text and "週末開放" in message.text
    assert message.button_labels() == ["1", "2", "3", "4", "5"]
    [thanks] = await cai.exchange(cai.press("5", message=message))
    assert "5/5" in thanks.text
    [status] = await cai.exchange(cai.command("mystatus"))
    assert "已回覆" in status.text and "週末開放" in status.text and "5/5" in status.text
    # Another resident cannot rate it, even with the right callback data.
    await dong.exchange(dong.press_data(message.find_button("1")["callback_data"], None))
    assert (await services.feedback.lookup(cai_ref)).replies[0].rating == 5
    assert_no_bad_requests(api)


async def test_anonymous_consultation_and_helpful_buttons(api, bot):
    services, _ = bot
    eli = api.resident(3401, language_code="en")
    [listing] = await eli.exchange(eli.command("feedback"))
    [intro, question] = await eli.exchange(eli.press("Living allowance (anonymous)",
                                                     message=listing), replies=2)
    assert "anonymous" in intro.text
    [difficulties] = await eli.exchange(eli.press("Never applied", message=question))
    [comment] = await eli.exchange(eli.press("⏭ Skip", message=difficulties))
    [summary] = await eli.exchange(eli.press("⏭ Skip", message=comment))
    [ack] = await eli.exchange(eli.press("✅ Submit", message=summary))  # no consent question
    reference = reference_in([ack])
    assert "will not list" in ack.text and not (await services.feedback.lookup(reference)).linked
    answer = await eli.exchange(eli.say("how to apply for the minimum living allowance"))
    first = next(m for m in answer if m.find_button("👍 Helpful"))
    [thanks] = await eli.exchange(eli.press("👍 Helpful", message=first))
    assert "glad it helped" in thanks.text
    assert len(await services.feedback.store.votes()) == 1
    assert_no_bad_requests(api)
