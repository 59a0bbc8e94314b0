"""The bot token never reaches a log, a traceback or the terminal, whatever python-telegram-bot raises, and the
real entry point (``run_bot.py``) exits non-zero with one plain line when Telegram refuses to talk to it."""
from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

from fakes.bot_api import FakeBotApi

from bot.adapters.telegram.logs import REDACTED, RepeatLimiter, protect_logs, secret_variants

ROOT = Path(__file__).resolve().parent.parent


async def run_entry_point(api: FakeBotApi, tmp_path: Path, **env: str) -> tuple[int, str]:
    """``run_bot.py`` against ``api`` until it exits by itself; its exit status and everything it printed."""
    environ = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.api_url,
               "BOT_DB": str(tmp_path / "bot.sqlite3"), "KNOWLEDGE_DIR": str(ROOT / "knowledge"),
               "LOG_LEVEL": "DEBUG", **env}
    process = await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "run_bot.py"), cwd=tmp_path,
                                                   env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode, (out + err).decode()


def assert_no_secret(api: FakeBotApi, printed: str) -> None:
    secret = api.token.split(":", 1)[1]
    assert secret not in printed
    assert api.token not in printed


async def test_a_token_telegram_rejects_ends_the_bot_with_one_plain_line(tmp_path):
    async with FakeBotApi() as api:
        wrong = FakeBotApi(token="123456:WRONG-token-never-to-be-printed_xyz")  # only for its token
        code, printed = await run_entry_point(api, tmp_path, TELEGRAM_BOT_TOKEN=wrong.token)
    assert code == 1
    assert printed.strip().splitlines()[-1] == "Telegram rejected the bot token (401): check TELEGRAM_BOT_TOKEN"
    assert "Traceback" not in printed
    assert "WRONG-token-never-to-be-printed_xyz" not in printed


async def test_a_wrong_api_url_answering_404_ends_the_bot_with_one_plain_line(tmp_path):
    async with FakeBotApi() as api:
        code, printed = await run_entry_point(api, tmp_path, TELEGRAM_API_URL=f"{api.url}/not-the-api/bot")
        assert code == 1
        assert (printed.strip().splitlines()[-1]
                == "Telegram rejected the bot token (404): check TELEGRAM_API_URL and TELEGRAM_BOT_TOKEN")
        assert_no_secret(api, printed)


async def test_a_crash_with_the_token_in_the_error_exits_cleanly_without_it(tmp_path):
    async with FakeBotApi() as api:
        # A proxy in front of the Bot API refusing the request and quoting its path, token included.
        api.fail("getMe", status=403, description=f"Forbidden: access to /bot{api.token}/getMe denied")
        code, printed = await run_entry_point(api, tmp_path)
        assert code == 1
        assert (printed.strip().splitlines()[-1]
                == "The Telegram bot stopped after an unexpected error (Forbidden); see the log above")
        assert REDACTED in printed, "the error was logged, with the token redacted"
        assert_no_secret(api, printed)


def test_secrets_are_redacted_in_messages_arguments_tracebacks_and_url_quoted_forms(caplog):
    token = "987654:ABCdef-redact_me_please"
    protect_logs([token])
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("test.secrets")
    log.warning("calling https://api.telegram.org/bot%s/getMe", token)
    log.info("quoted %s", token.replace(":", "%3A"))
    try:
        raise RuntimeError(f"The token `{token}` was rejected by the server.")
    except RuntimeError:
        log.exception("start-up failed")
    printed = caplog.text
    assert "redact_me_please" not in printed and "ABCdef" not in printed
    assert printed.count(REDACTED) >= 3
    assert "ABCdef-redact_me_please" in secret_variants([token])


def test_a_repeated_error_is_logged_once_per_window_then_with_the_count():
    now = [0.0]
    limiter = RepeatLimiter(window=60, clock=lambda: now[0])

    def record(update_id: int) -> logging.LogRecord:
        return logging.LogRecord("bot", logging.WARNING, __file__, 1, "update %s failed", (update_id,), None)

    passed = [limiter.filter(record(i)) for i in range(100)]
    assert passed.count(True) == 1
    now[0] = 61
    later = record(101)
    assert limiter.filter(later)
    assert "repeated 99 more times" in later.getMessage()
