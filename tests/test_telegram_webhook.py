"""Webhook mode: the real Application serves PTB's webhook server on 127.0.0.1; updates are POSTed to it the way
Telegram does, and only requests carrying the secret token (``X-Telegram-Bot-Api-Secret-Token``) are processed."""
from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import aiohttp
import pytest
from fakes.bot_api import FakeBotApi

from bot.adapters.telegram import Tuning, build_application, serving
from bot.adapters.telegram.webhook import MAX_BODY_BYTES
from bot.app import build_services
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cret-Token_for_tests"
PUBLIC_URL = "https://bot.example.org/telegram/hook"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def webhook_bot(tmp_path):
    async with FakeBotApi() as api:
        port = free_port()
        settings = Settings.from_env({
            "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.api_url, "BOT_DB": str(tmp_path / "bot.sqlite3"),
            "KNOWLEDGE_DIR": str(ROOT / "knowledge"), "WEBHOOK_URL": PUBLIC_URL, "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port), "SEMANTIC_MATCHING": "off"}, dotenv=None)
        application = build_application(build_services(settings), Tuning(read_timeout=2, connect_timeout=1))
        async with serving(application):
            async with aiohttp.ClientSession() as http:
                yield api, http, f"http://127.0.0.1:{port}/telegram/hook"


async def test_webhook_is_registered_with_the_secret_and_polling_is_off(webhook_bot):
    api, _, _ = webhook_bot
    assert api.webhook["url"] == PUBLIC_URL
    assert api.webhook["secret_token"] == SECRET
    assert set(api.webhook["allowed_updates"]) == {"message", "callback_query"}
    assert not api.calls_of("getUpdates")


async def test_only_updates_with_the_right_secret_are_processed(webhook_bot):
    api, http, hook = webhook_bot
    mia = api.resident(3001, language_code="zh-hant")

    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
        update = api.new_update(mia.message_update(text="/start"))
        async with http.post(hook, json=update, headers=headers) as response:
            assert response.status == 403
    assert not mia.deliveries

    update = api.new_update(mia.message_update(text="/start"))
    async with http.post(hook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
        assert response.status == 200
    await api.wait_until(lambda: mia.deliveries, what="the welcome")
    [welcome] = mia.inbox
    assert welcome.buttons

    # A button press arrives the same way and is answered.
    button = welcome.buttons[0][0]
    query_update = api.new_update(mia.button_update(button["callback_data"], welcome))
    query_id = query_update["callback_query"]["id"]
    async with http.post(hook, json=query_update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
        assert response.status == 200
    await api.wait_until(lambda: query_id in api.answered_queries and len(mia.deliveries) >= 2,
                         what="the category page")
    assert not api.bad_requests


async def test_malformed_bodies_are_refused_without_stopping_the_server(webhook_bot, caplog):
    caplog.set_level(logging.INFO)
    api, http, hook = webhook_bot
    secret = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    nina = api.resident(3002, first_name="王小明")
    unparseable = api.new_update(nina.message_update(poll={"id": "p", "question": "我的電話是13800138000"}))
    cases = [
        (b"not json", 400), (b"\xff\xfe{}", 400), (b"[1, 2]", 400), (b'{"no": "update_id"}', 400),
        (b"{" + b" " * (MAX_BODY_BYTES + 10) + b"}", 413),
        (json.dumps(unparseable).encode(), 200),  # skipped, as polling skips it: Telegram must not resend it
    ]
    for body, status in cases:
        async with http.post(hook, data=body, headers={**secret, "Content-Type": "application/json"}) as response:
            assert response.status == status, body[:40]
    async with http.post(hook, json=api.new_update(nina.message_update(text="/help")), headers=secret) as response:
        assert response.status == 200
    await api.wait_until(lambda: nina.deliveries, what="the help text")
    assert "13800138000" not in caplog.text and "王小明" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
