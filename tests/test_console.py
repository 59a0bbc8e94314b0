"""The console chat: numbered buttons, /quit, end of input, and the real entry point on the bundled knowledge."""
import io
import os
import subprocess
import sys

from conftest import ROOT, small_knowledge_base, wired_assistant

from bot.adapters.console import ConsoleChat, html_to_plain
from bot.core.knowledge.service import KnowledgeService


def make_chat():
    out = io.StringIO()
    knowledge = KnowledgeService("unused", loader=lambda _: small_knowledge_base())
    return ConsoleChat(wired_assistant(knowledge), output=out), out


def test_html_becomes_plain_text():
    assert html_to_plain("<b>A &amp; B</b> &lt;3") == "A & B <3"


async def test_buttons_are_numbered_and_a_number_presses_one():
    chat, out = make_chat()
    await chat.run(io.StringIO("2\n1\n/quit\nnever read\n"))
    text = out.getvalue()
    assert "[1] 社區服務" in text and "[2] 公共設施" in text
    assert "[1] 沿河社區圖書室" in text  # page of facilities
    assert "週二至週日" in text  # the answer after pressing 1
    assert "🗺️ 沿河社區圖書室" in text  # the venue, as text
    assert "never read" not in text


async def test_end_of_input_exits_cleanly():
    chat, out = make_chat()
    assert await chat.run(io.StringIO("低保怎麼申請\n"), greet=False) == 0
    assert "最低生活保障申請" in out.getvalue()


def run_bot(args, stdin, env_extra=None, tmp_path=None):
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update({"BOT_DB": str(tmp_path / "bot.sqlite3")} if tmp_path else {})
    env.update(env_extra or {})
    return subprocess.run([sys.executable, str(ROOT / "run_bot.py"), *args], input=stdin, capture_output=True,
                          text=True, env=env, cwd=tmp_path or ROOT, timeout=60)


def test_piped_question_prints_the_answer_and_exits_zero(tmp_path):
    done = run_bot([], "低保怎么申请\n", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "低保" in done.stdout and "申请" in done.stdout
    assert "Traceback" not in done.stderr


def test_invalid_knowledge_base_refuses_to_start_with_file_and_line(tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "bad.yaml").write_text("entries:\n  - id: Bad Id\n    category: services\n", encoding="utf-8")
    done = run_bot(["--kb", str(kb)], "", tmp_path=tmp_path)
    assert done.returncode == 1
    assert "bad.yaml:2:" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_setting_is_reported_in_plain_words(tmp_path):
    done = run_bot([], "", env_extra={"STAFF_IDS": "alice"}, tmp_path=tmp_path)
    assert done.returncode == 2
    assert "STAFF_IDS" in done.stderr and "Traceback" not in done.stderr


async def test_a_number_with_no_button_says_so_and_shows_the_buttons_again():
    chat, out = make_chat()
    await chat.run(io.StringIO("99\n"))
    text = out.getvalue()
    assert "沒有按鈕 99" in text and "高齡津貼" not in text
    assert text.count("[4] 惠民政策") == 2  # the menu, then again after the wrong number


def test_piped_into_head_ends_quietly(tmp_path):
    # `echo 低保怎么申请 | python run_bot.py | head -5`: the reader leaves early; no BrokenPipeError.
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["BOT_DB"] = str(tmp_path / "bot.sqlite3")
    done = subprocess.run(f"yes 低保怎么申请 | head -50 | {sys.executable} {ROOT / 'run_bot.py'} | head -5",
                          shell=True, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert len(done.stdout.splitlines()) == 5
    assert "BrokenPipeError" not in done.stderr and "Traceback" not in done.stderr


def test_log_lines_never_appear_in_the_conversation(tmp_path):
    done = run_bot([], "/announce hello\n低保怎么申请\n", tmp_path=tmp_path)
    assert "WARNING" not in done.stdout and "staff trigger" not in done.stdout
    assert "staff trigger" in done.stderr  # on stderr, which a terminal session sends to a file instead


def test_in_a_terminal_the_console_logs_to_a_file_beside_the_database(tmp_path):
    from bot.runner import console_log_file
    from bot.settings import Settings

    settings = Settings(db_path=tmp_path / "bot.sqlite3")
    assert console_log_file(settings, stderr_is_terminal=True) == tmp_path / "console.log"
    assert console_log_file(settings, stderr_is_terminal=False) is None


def test_the_console_says_which_database_it_uses(tmp_path):
    done = run_bot([], "", tmp_path=tmp_path)
    assert f"Database: {(tmp_path / 'bot.sqlite3').resolve()}" in done.stderr
    done = run_bot(["--memory"], "", tmp_path=tmp_path)
    assert "Database: in memory" in done.stderr


def test_the_console_finds_nearby_facilities_by_name_or_point_since_it_cannot_share_a_location(tmp_path):
    done = run_bot(["--memory"], "/help\n/near 沿河\n/near 32.0,118.7\n/near 火星\n", tmp_path=tmp_path)
    text = done.stdout
    assert "/near 沿河" in text, "/help says how to do it without sharing a location"
    assert "離您最近的社區設施" in text and "[1] 沿河社區圖書室 · 10 公尺" in text
    assert text.count("離您最近的社區設施") == 2, "a typed point works too"
    assert "找不到「火星」" in text


async def test_the_console_picks_up_an_edited_knowledge_file(tmp_path):
    """The knowledge watcher runs in the console as in Telegram (``bot.core.jobs``, started by the runner): an
    edited answer is served without a restart."""
    import asyncio

    from feedback_helpers import write_knowledge

    from bot.app import build_services
    from bot.runner import console_scheduler
    from bot.settings import Settings

    directory = write_knowledge(tmp_path / "kb")
    services = build_services(Settings(knowledge_dir=directory), in_memory=True, settle_watcher=False)
    out = io.StringIO()
    chat = ConsoleChat(services.assistant, output=out)
    scheduler = console_scheduler(services, chat, watch_interval=0.05)
    await services.open()
    scheduler.start()
    try:
        await chat.send("沿河社區圖書室幾點開門")
        assert "9:00-20:00" in out.getvalue()
        before = services.knowledge.current
        entries = directory / "entries.yaml"
        entries.write_text(entries.read_text(encoding="utf-8").replace("9:00-20:00", "8:00-21:00"), encoding="utf-8")
        for _ in range(200):
            if services.knowledge.current is not before:
                break
            await asyncio.sleep(0.05)
        seen = len(out.getvalue())
        await chat.send("沿河社區圖書室幾點開門")
        answer = out.getvalue()[seen:]
        assert "8:00-21:00" in answer and "9:00-20:00" not in answer
    finally:
        await scheduler.stop()
        await services.close()
