"""Staff in the console: ``--staff`` enables the staff commands in the terminal chat, and an announcement is
"delivered" by printing it, followed by the report."""
import io
import os
import subprocess
import sys

from staff_support import KNOWLEDGE_DIR, ROOT, copy_knowledge, make_world

from bot.adapters.console import ConsoleChat
from bot.core.i18n import texts_for

T = texts_for("zh-Hant")


async def test_a_console_staff_member_announces_to_the_console_subscriber():
    world = make_world(KNOWLEDGE_DIR)
    out = io.StringIO()
    chat = ConsoleChat(world.assistant, output=out, is_staff=True)
    await chat.run(io.StringIO("/subscribe\n1\n/announce 明天停水\n1\n"), greet=False)
    text = out.getvalue()
    assert "[📢 → console:local] 📢 明天停水" in text
    assert T("staff.announce_done", delivered=1, failed=0, blocked=0) in text


async def test_without_staff_the_console_user_is_a_resident():
    world = make_world(KNOWLEDGE_DIR)
    out = io.StringIO()
    await ConsoleChat(world.assistant, output=out).run(io.StringIO("/reload\n"), greet=False)
    assert out.getvalue().strip() == T("unknown_command")


def test_run_bot_console_staff_flag_enables_staff_commands(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "STAFF_IDS")}
    env["KNOWLEDGE_DIR"] = str(copy_knowledge(tmp_path, regression=False))
    run = subprocess.run([sys.executable, "run_bot.py", "--console", "--memory", "--staff"], input="/reload\n",
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert T("staff.reload_unchanged") in run.stdout


def test_python_m_bot_chat_staff_reviews_what_is_in_bot_db(tmp_path):
    # Submissions in BOT_DB are what /review shows: the console chat uses that database unless --memory.
    import asyncio

    from bot.app import build_services
    from bot.settings import Settings

    db = tmp_path / "bot.sqlite3"

    async def seed():
        services = build_services(Settings(knowledge_dir=KNOWLEDGE_DIR, db_path=db))
        await services.open()
        try:
            return await services.feedback.open_case("tg:1001", "社區有沒有修鞋的地方？", "zh-Hant")
        finally:
            await services.close()

    reference = asyncio.run(seed())
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "STAFF_IDS")}
    env["BOT_DB"] = str(db)
    chat = [sys.executable, "-m", "bot", "chat", "--staff"]
    run = subprocess.run(chat, input="/review\n", capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert reference in run.stdout and "修鞋" in run.stdout
    assert f"Database: {db.resolve()}" in run.stderr
    run = subprocess.run(chat + ["--memory"], input="/review\n", capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=60)
    assert T("review.empty") in run.stdout and "Database: in memory" in run.stderr
