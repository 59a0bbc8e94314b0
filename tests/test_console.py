"""The console chat: numbered buttons (lettered where a number is typed), /quit, end of input, and the real entry point
on the bundled knowledge."""
import io
import os
import subprocess
import sys

import pytest
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


# --- where the step asks for a typed number, buttons are letters ------------------------------------------------

HALL = {"zh-hant": "積善社區排練廳", "en": "Jishan Community rehearsal hall"}


def key_of(out: io.StringIO, label: str) -> str:
    """The key printed for the last button shown with ``label`` (whole label, or part of a longer one)."""
    for line in reversed(out.getvalue().splitlines()):
        text = line.strip()
        if text.startswith("[") and "] " in text:
            key, shown = text[1:].split("] ", 1)
            if shown == label or (len(label) > 2 and label in shown):
                return key
    raise AssertionError(f"no button {label!r} on screen")


def screen(out: io.StringIO, since: int) -> str:
    return out.getvalue()[since:]


async def at_the_people_step(language_code="zh-hant"):
    """A console chat on the bundled knowledge base, /book typed and the venue, day, slot and purpose given."""
    from staff_support import make_world

    world = make_world(ROOT / "knowledge")
    out = io.StringIO()
    chat = ConsoleChat(world.assistant, output=out, language_code=language_code)
    await chat.send("/book")
    await chat.send(key_of(out, HALL[language_code]))
    await chat.send("5")  # Thursday 5 November (make_world's clock: Monday the 2nd): a day is typed as its number
    await chat.send(key_of(out, "08:30"))
    await chat.send("舞蹈排練" if language_code == "zh-hant" else "Dance rehearsal")  # the language follows the text
    return chat, out


@pytest.mark.parametrize("people", ["12", "2", "２"])
async def test_on_the_people_step_a_bare_number_is_the_number_of_people(people):
    chat, out = await at_the_people_step()
    asked = screen(out, 0).rsplit("大約多少人參加", 1)[1]
    assert "[a] ◀ 上一步" in asked and "[b] ✖ 不預約了" in asked and "[1]" not in asked and "[2]" not in asked
    seen = len(out.getvalue())
    await chat.send(people)
    after = screen(out, seen)
    assert "以什麼身分申請" in after and "沒有按鈕" not in after and "不預約" not in after.split("[")[0]
    assert "[1] 居民個人" in after, "the next step has buttons only: numbered as everywhere"
    for label in ("居民團隊", "不留聯繫方式", "✅ 我已閱讀並遵守"):
        await chat.send(key_of(out, label))
    assert f"人數：{int(people)}\n" in screen(out, seen)
    await chat.send(key_of(out, "✅ 送出預約"))
    assert "BK-" in screen(out, seen) and "待審核" in screen(out, seen)


async def test_on_the_people_step_a_letter_presses_a_button():
    chat, out = await at_the_people_step()
    seen = len(out.getvalue())
    await chat.send("A")  # ◀ back: the purpose again
    assert "用途" in screen(out, seen) and "大約多少人參加" not in screen(out, seen)
    await chat.send("舞蹈排練")
    seen = len(out.getvalue())
    await chat.send("b")  # ✖ leave
    assert "好的，沒有預約。" in screen(out, seen)


async def test_over_the_capacity_is_the_booking_s_refusal_not_a_missing_button():
    chat, out = await at_the_people_step()
    seen = len(out.getvalue())
    await chat.send("99")
    assert "請輸入 1 至 40 之間的數字" in screen(out, seen) and "沒有按鈕" not in screen(out, seen)
    await chat.send("b")  # the buttons on screen are still the people step's
    assert "好的，沒有預約。" in screen(out, seen)


@pytest.mark.parametrize("code, no_button", [("zh-hant", "沒有按鈕 c：輸入按鈕的字母（a / b）"),
                                              ("en", "There is no button c: type a button's letter (a / b)")])
async def test_a_letter_with_no_button_says_so_in_the_residents_language(code, no_button):
    chat, out = await at_the_people_step(code)
    seen = len(out.getvalue())
    await chat.send("c")
    again = screen(out, seen)
    assert no_button in again and again.count("[a] ") == 1 and again.count("[b] ") == 1
    await chat.send("12")  # still at the people step
    assert key_of(out, "居民團隊" if code == "zh-hant" else "resident group") == "2"


async def test_a_phone_number_is_typed_where_the_contact_is_asked():
    chat, out = await at_the_people_step()
    await chat.send("12")
    for label in ("居民團隊", "✅ 同意，留下聯繫方式"):
        await chat.send(key_of(out, label))
    seen = len(out.getvalue())
    await chat.send("13800000000")
    await chat.send(key_of(out, "✅ 我已閱讀並遵守"))
    assert "聯繫方式：13800000000" in screen(out, seen) and "沒有按鈕" not in screen(out, seen)


async def test_a_consultation_s_text_answer_and_contact_may_be_bare_numbers_and_a_scale_stays_numbered():
    from staff_support import make_world

    world = make_world(ROOT / "knowledge")
    out = io.StringIO()
    chat = ConsoleChat(world.assistant, output=out, language_code="zh-hant")
    await chat.send("/feedback")
    await chat.send(key_of(out, "新成長勞動力就業幫扶"))
    for choice in ("1", "1"):  # choices: numbered, a number presses one (a graduate, working)
        await chat.send(choice)
    scale = screen(out, 0).rsplit("就業服務滿意嗎", 1)[1]
    assert "[3] 3 · 一般" in scale, "a scale keeps its numbers: button 3 is the answer 3"
    await chat.send("3")
    text_question = screen(out, 0).rsplit("對就業幫扶還有什麼建議", 1)[1]
    assert "[a] ⬅️ 上一題" in text_question and "[b] ⏭ 跳過" in text_question and "[1]" not in text_question
    await chat.send("30")  # a text answer that is a bare number
    summary = screen(out, 0).rsplit("請確認您的回答", 1)[1]
    assert "→ 3 · 一般" in summary and "→ 30" in summary
    for label in ("✅ 確認提交", "📞 可以聯繫我"):
        await chat.send(key_of(out, label))
    seen = len(out.getvalue())
    await chat.send("13800000000")
    assert "已提交" in screen(out, seen) and "沒有按鈕" not in screen(out, seen)


async def test_on_ordinary_menus_a_bare_number_still_presses_a_button():
    chat, out = await at_the_people_step()
    await chat.send("12")
    seen = len(out.getvalue())
    await chat.send("99")
    assert "沒有按鈕 99" in screen(out, seen)
    await chat.send(key_of(out, "居民團隊"))
    assert "同意，留下聯繫方式" in screen(out, seen)
    await chat.send("/menu")
    seen = len(out.getvalue())
    await chat.send("2")
    assert "[1] 沿河社區圖書室" in screen(out, seen)
