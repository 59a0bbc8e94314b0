"""Polling goes on past an update python-telegram-bot cannot parse, and the log never carries a resident's words
above DEBUG. The real Application polls the fake Bot API."""
from __future__ import annotations

import logging

import pytest
from fakes.bot_api import FakeBotApi
from test_telegram_e2e import bot_running, settings_for, texts

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

SECRET_WORDS = "我的電話是13800138000"  # what the resident wrote: must not be logged above DEBUG
NAME = "王小明"


def broken_poll(api: FakeBotApi, user_id: int) -> dict:
    """A message with a ``poll`` lacking fields the Bot API requires (``options``, ``total_voter_count``, …)."""
    resident = api.resident(user_id, first_name=NAME)
    return resident.message_update(poll={"id": "p1", "question": SECRET_WORDS})


@pytest.mark.parametrize("level", [logging.INFO, logging.DEBUG])
async def test_an_update_that_cannot_be_parsed_is_skipped_once_and_everybody_else_is_answered(tmp_path, caplog,
                                                                                               level):
    caplog.set_level(level)
    async with FakeBotApi() as api, bot_running(settings_for(api, tmp_path / "bot.sqlite3")):
        alice = api.resident(4001, language_code="zh-hant")
        await alice.exchange(alice.command("help"))  # polling is up
        polls_before = len(api.calls_of("getUpdates"))
        bad_id = await api.inject(broken_poll(api, 4002))
        replies = await alice.exchange(alice.say("沿河社區圖書室幾點開門"), replies=2, timeout=10)
        assert "圖書室" in texts(replies)
        await api.wait_until(lambda: api.pending_updates == 0, what="the broken update confirmed (offset past it)")
        assert len(api.calls_of("getUpdates")) - polls_before < 10, "no re-fetching loop"
    skipped = [r for r in caplog.records if str(bad_id) in r.getMessage() and "skipped" in r.getMessage()]
    assert len(skipped) == 1
    above_debug = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records if r.levelno > logging.DEBUG)
    assert SECRET_WORDS not in above_debug and NAME not in above_debug
    assert not [r for r in caplog.records if r.levelno >= logging.CRITICAL]


async def test_a_failing_update_is_logged_without_the_residents_words(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with FakeBotApi() as api, bot_running(settings_for(api, tmp_path / "bot.sqlite3", )) as services:
        bob = api.resident(4101, first_name=NAME, language_code="zh-hant")
        await bob.exchange(bob.command("help"))

        original = services.assistant.handle

        async def failing(incoming):  # a bug whose exception quotes what the resident typed
            if incoming.text == SECRET_WORDS:
                raise KeyError(incoming.text)
            return await original(incoming)

        services.assistant.handle = failing
        [apology] = await bob.exchange(bob.say(SECRET_WORDS))
        assert apology.text == services.assistant.error_text("zh-Hant")
    logged = caplog.text
    assert "KeyError" in logged and "failed" in logged
    assert SECRET_WORDS not in logged and NAME not in logged
