"""The /book calendar in the console: printed as a calendar (weekday headings on one line, a week a line), a day
picked by typing its number, the other buttons (months, back, leave) lettered, a day not on screen answered with
"no such button", a full day (✖) doing what pressing it does on Telegram — and nothing else keyed differently.
(What Telegram draws for the same calendar: ``tests/test_booking_telegram_e2e.py``.)"""
from __future__ import annotations

import io

import pytest
from conftest import ROOT
from staff_support import make_world
from test_booking_chat import book
from test_console import HALL, key_of, screen

from bot.adapters.console import ConsoleChat, html_to_plain
from bot.core.booking import views as V
from bot.core.i18n import texts_for
from bot.core.messages import Button

#: make_world's clock: Monday 2 November 2026, 17:00 in the district; the hall books 4 November to 2 December.
NOVEMBER = """\
   一   二   三   四   五   六   日
    ·    ·   [4]  [5]  [6]  [7]  [8]
   [9] [10] [11] [12] [13] [14] [15]
  [16] [17] [18] [19] [20] [21] [22]
  [23] [24] [25] [26] [27] [28] [29]
  [30]   ·    ·    ·    ·    ·    ·
  [a] 2026年12月 ▶
  [b] ◀ 上一步
  [c] ✖ 不預約了"""


async def at_the_calendar(language_code="zh-hant", world=None):
    world = world or make_world(ROOT / "knowledge")
    out = io.StringIO()
    chat = ConsoleChat(world.assistant, output=out, language_code=language_code)
    await chat.send("/book")
    await chat.send(key_of(out, HALL[language_code]))
    return chat, out


async def test_the_date_step_prints_a_month_as_a_calendar():
    chat, out = await at_the_calendar()
    assert NOVEMBER in screen(out, 0)
    assert "[1] 一" not in screen(out, 0) and "] ·" not in screen(out, 0), "headings and blanks are never keyed"


async def test_the_calendar_reads_as_one_in_english_too():
    chat, out = await at_the_calendar("en")
    lines = screen(out, 0).splitlines()
    heading = lines.index("   Mo   Tu   We   Th   Fr   Sa   Su")
    assert lines[heading + 1] == "    ·    ·   [4]  [5]  [6]  [7]  [8]"
    assert lines[heading + 6:heading + 9] == ["  [a] 12/2026 ▶", "  [b] ◀ Back", "  [c] ✖ Stop booking"]


@pytest.mark.parametrize("typed", ["9", "09", "９"])
async def test_typing_a_day_s_number_picks_that_day(typed):
    chat, out = await at_the_calendar()
    seen = len(out.getvalue())
    await chat.send(typed)
    after = screen(out, seen)
    assert "11月9日（一） 的空閒時段" in after and "沒有按鈕" not in after
    assert "  [1] 08:30–11:00" in after, "the slots that follow are numbered as ever"
    await chat.send("1")
    assert "用途" in screen(out, seen), "and a number presses one of them"


async def test_letters_press_the_other_buttons_on_the_calendar():
    chat, out = await at_the_calendar()
    seen = len(out.getvalue())
    await chat.send("A")  # the next month: its days are typed as theirs
    december = screen(out, seen)
    assert "2026年12月；" in december and "  [a] ◀ 2026年11月" in december and "[30]" not in december
    await chat.send("2")
    assert "12月2日（三） 的空閒時段" in screen(out, seen)
    chat, out = await at_the_calendar()
    seen = len(out.getvalue())
    await chat.send("b")  # ◀ back: the venues again
    assert "  [11] 積善社區排練廳" in screen(out, seen), "the venue list keeps its numbers"
    chat, out = await at_the_calendar()
    seen = len(out.getvalue())
    await chat.send("c")  # ✖ leave
    assert "好的，沒有預約。" in screen(out, seen)


@pytest.mark.parametrize("code, typed, no_button", [
    ("zh-hant", "3", "沒有按鈕 3：輸入方括號中的數字或字母（4–30 / a / b / c）即可按下，或直接輸入問題。"),
    ("zh-hant", "31", "沒有按鈕 31：輸入方括號中的數字或字母（4–30 / a / b / c）"),
    ("zh-hans", "1", "没有按钮 1：输入方括号中的数字或字母（4–30 / a / b / c）即可按下，或直接输入问题。"),
    ("en", "d", "There is no button d: type a number or letter shown in brackets (4–30 / a / b / c) to press it")])
async def test_a_day_not_on_screen_is_no_such_button_in_the_residents_language(code, typed, no_button):
    chat, out = await at_the_calendar(code if code != "zh-hans" else "zh-hant")
    if code == "zh-hans":
        await chat.send("/language")
        await chat.send(key_of(out, "简体中文"))
        await chat.send("/book")
        await chat.send(key_of(out, "积善社区排练厅"))
    seen = len(out.getvalue())
    await chat.send(typed)
    again = screen(out, seen)
    assert no_button in again
    assert again.count("[9]") == 1 and again.count("[c] ") == 1, "the calendar again, once"
    seen = len(out.getvalue())
    await chat.send("9")  # still at the date step: the 9th's free slots
    assert "  [1] 08:30–11:00" in screen(out, seen)


async def test_a_full_day_does_what_pressing_it_does_on_telegram():
    world = make_world(ROOT / "knowledge")
    for i, slot in enumerate(("08:30", "11:00", "13:30", "16:00", "18:30")):  # Thursday 5 November, all taken
        await book(world.person(f"tg:6{i}"), slot=slot)
    telegram = world.person("tg:77")
    await telegram.say("/book")
    await telegram.press(HALL["zh-hant"])
    full = next(b for r in telegram.last for row in r.buttons for b in row if b.label == "5✖")
    pressed = await telegram.press("5✖")

    chat, out = await at_the_calendar(world=world)
    assert "    ·    [4]   [5]✖  [6]   [7]" in screen(out, 0)
    assert chat.incoming_for("5").action == full.action == "bkd:20261105", "the same press as Telegram's"
    seen = len(out.getvalue())
    await chat.send("5")
    after = screen(out, seen)
    assert texts_for("zh-Hant")("bk.day_full", day="11月5日（四）") in after
    assert html_to_plain(pressed[0].html) in after and "  [5]✖" in after, "the same reply, the calendar again"


async def test_screens_without_own_keys_are_numbered_as_before():
    chat, out = await at_the_calendar()
    await chat.send("5")
    seen = len(out.getvalue())
    await chat.send("99")
    assert "沒有按鈕 99：請輸入 1 到 7 的數字" in screen(out, seen), "the slots: numbered, the old wording"
    await chat.send("/menu")
    seen = len(out.getvalue())
    await chat.send("2")
    assert "[1] 沿河社區圖書室" in screen(out, seen)


def test_a_key_is_what_is_typed_and_only_a_pressable_button_has_one():
    assert Button("9", "bkd:20261109", key="9").key == "9"
    for bad in ({"key": ""}, {"key": "A"}, {"key": "1 2"}, {"key": "9", "inert": True},
                {"key": "9", "url": "https://example.org"}):
        with pytest.raises(ValueError, match="key"):
            Button("9", "bkd:20261109", **bad)


def test_the_calendar_marks_its_headings_and_blanks_inert_and_keys_its_days():
    t = texts_for("zh-Hant")
    from datetime import date

    counts = {date(2026, 11, d): 0 if d == 5 else 3 for d in range(4, 31)}
    heading, first_week, *_ = V.calendar_rows(t, counts, 2026, 11)
    assert all(b.inert and b.key is None and b.action == V.NOOP for b in heading)
    assert [(b.label, b.key, b.inert) for b in first_week[:4]] == [
        ("·", None, True), ("·", None, True), ("4", "4", False), ("5✖", "5", False)]
