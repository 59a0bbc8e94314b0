"""The booking flows in the chat, through the Assistant on the bundled knowledge base and in-memory stores: /book
step by step (back, "just taken" with the next free slots), the 📅 button under a venue's entry, /mybookings and
cancelling, staff /bookings (approve, decline with a reason, no-show, the day's schedule), the reminder the day
before (once), /forget_me, and the same flow in the console with its keyed buttons."""
from __future__ import annotations

import html
import io

import pytest
from conftest import ROOT
from staff_support import STAFF, make_world

from bot.adapters.console import ConsoleChat
from bot.core.booking import views as V
from bot.core.booking.mine import BookingReminders
from bot.core.dialog.table import TABLE
from bot.core.i18n import texts_for
from bot.core.messages import MAX_ACTION_BYTES

T = texts_for("zh-Hant")
HALL = "積善社區排練廳"
#: make_world's clock: Monday 2 November 2026, 17:00 in the district; the hall books 2 to 30 days ahead.
THURSDAY = "5"


@pytest.fixture(scope="module")
def knowledge_dir():
    return ROOT / "knowledge"


@pytest.fixture
def world(knowledge_dir):
    return make_world(knowledge_dir)


async def book(person, *, venue=HALL, kind="居民團隊", unit=None, contact="138 0000 0000", day=THURSDAY,
               slot="08:30", send=True):
    """The whole /book flow in chat (``contact=None``: declines to leave one); returns the replies to ✅ send."""
    await person.say("/book")
    await person.press(venue)
    await person.press(day)
    await person.press(slot)
    await person.say("舞蹈排練")
    await person.say("12")
    await person.press(kind)
    if unit:
        await person.say(unit)
    if contact:
        await person.press(T("bk.consent_yes"))
        await person.say(contact)
    else:
        await person.press(T("bk.consent_no"))
    await person.press(T("bk.rules_accept"))
    if send:
        return await person.press(T("bk.confirm"))


def buttons(person) -> list[str]:
    return [b.label for r in person.last for row in r.buttons for b in row]


async def test_a_resident_books_step_by_step_and_gets_a_reference_pending_approval(world):
    alice = world.person("tg:501")
    await alice.say("/book")
    assert "<b>積善社區</b>" in alice.text() and HALL in buttons(alice)
    await alice.press(HALL)
    assert "11月4日（三） 至 12月2日（三）" in alice.text()  # the window, in the district's calendar
    await alice.press(THURSDAY)
    assert "11月5日（四）" in alice.text()
    await alice.press("08:30")
    await alice.say("舞蹈排練")
    await alice.say("999")  # over the capacity: asked again, nothing moves
    assert alice.text() == T("bk.bad_people", capacity=40)
    await alice.say("12")
    await alice.press(T("bk.back"))  # back: the number of people again
    assert "最多 40 人" in alice.text()
    await alice.say("15")
    await alice.press("居民團隊")
    await alice.press(T("bk.consent_yes"))
    await alice.say("138 0000 0000")
    assert "軟底鞋" in alice.text()  # the house rules
    await alice.press(T("bk.rules_accept"))
    assert "舞蹈排練" in alice.text() and "15" in alice.text() and "免費" in alice.text()
    replies = await alice.press(T("bk.confirm"))
    text = replies[0].html
    assert "BK-" in text and T("bk.status.pending") in text and T("bk.booked_pending") in text
    [booking] = await _bookings(world, "tg:501")
    assert (booking.people, booking.applicant, booking.purpose) == (15, "group", "舞蹈排練")
    assert (await world.residents.load_state("tg:501")).state == "idle"


async def _bookings(world, user):
    return await world.assistant.deps.bookings.my_bookings(user)


async def test_a_slot_taken_meanwhile_offers_the_next_free_slots(world):
    alice, bob = world.person("tg:501"), world.person("tg:502")
    await book(alice, send=False)
    await book(bob)  # Bob sends the same slot first
    replies = await alice.press(T("bk.confirm"))
    assert replies[0].html == T("booking.slot_taken")
    assert "11月5日（四） 11:00–13:30" in buttons(alice)[0]
    await alice.press("11:00")  # every answer kept: the summary at the new time
    assert "11:00–13:30" in alice.text() and "舞蹈排練" in alice.text()
    replies = await alice.press(T("bk.confirm"))
    assert "BK-" in replies[0].html


async def test_the_calendar_marks_a_day_without_a_free_slot(world):
    alice = world.person("tg:501")
    for i, slot in enumerate(("08:30", "11:00", "13:30", "16:00", "18:30")):
        await book(world.person(f"tg:6{i}"), slot=slot)
    await alice.say("/book")
    await alice.press(HALL)
    assert f"{THURSDAY}✖" in buttons(alice) and "6" in buttons(alice)
    await alice.press(f"{THURSDAY}✖")
    assert T("bk.day_full", day="11月5日（四）") in alice.text()


async def test_the_entry_of_a_venue_carries_a_book_button_that_starts_book_there(world):
    alice = world.person("tg:501")
    await alice.say("排練廳週六下午有空嗎")
    if not any("📅" in label for label in buttons(alice)):  # a suggestion first: open the hall's entry
        await alice.press(HALL)
    await alice.press("📅")
    assert "請選擇日期" in alice.text() and HALL in alice.text()


async def test_my_bookings_cancel_after_confirming_and_not_after_the_deadline(world):
    alice = world.person("tg:501")
    await book(alice)
    await alice.say("/mybookings")
    assert T("bk.upcoming") in alice.text() and T("bk.status.pending") in alice.text()
    await alice.press("取消 BK-")
    await alice.press(T("bk.cancel_no"))
    assert alice.text() == T("bk.cancel_kept")
    await alice.say("/mybookings")
    await alice.press("取消 BK-")
    await alice.press(T("bk.cancel_yes"))
    assert "已取消預約" in alice.text()
    await alice.say("/mybookings")
    assert T("bk.status.cancelled") in alice.text() and "取消 BK-" not in " ".join(buttons(alice))

    await book(alice, slot="13:30")
    await alice.say("/mybookings")
    world.clock.advance(days=2, hours=12)  # Thursday 13:00 in the district: past the 24-hour deadline
    await alice.press("取消 BK-")
    await alice.press(T("bk.cancel_yes"))
    assert "已超過取消期限" in alice.text()

    mallory = world.person("tg:666")  # someone else's reference: a stale button, nothing cancelled
    await mallory.send(action=f"{V.ASK_CANCEL}:{(await _bookings(world, 'tg:501'))[0].reference}")
    assert mallory.text().startswith(T("stale_button"))


async def test_staff_approve_decline_with_a_reason_and_the_resident_is_told(world):
    alice, unit = world.person("tg:501"), world.person("tg:502")
    await book(alice)
    await book(unit, kind="社區單位", unit="某某物業公司", contact=None, slot="11:00")
    staff = world.person(STAFF, staff=True)
    replies = await staff.say("/bookings")
    assert "1/2" in staff.text() and "舞蹈排練" in staff.text() and "tg:501" not in staff.text()
    replies = await staff.press(T("bk.staff_approve"))
    [notice] = [r for r in replies if r.to == "tg:501"]
    assert notice.html.startswith("✅ 您的預約已獲批准") and T("bk.status.confirmed") in notice.html
    assert "某某物業公司" in staff.text() and "社區單位" in staff.text() and "tg:502" not in staff.text()
    await staff.press(T("bk.staff_decline"))
    replies = await staff.say("當天已有社區活動")
    [notice] = [r for r in replies if r.to == "tg:502"]
    assert "未獲批准" in notice.html and "當天已有社區活動" in notice.html
    assert T("bk.staff_none") in staff.text()
    actions = [r.action for r in await world.tools.audit.records()]
    assert actions.count("booking.approve") == 1 and actions.count("booking.decline") == 1

    await staff.say("/bookings 2026-11-05")
    assert HALL in staff.text() and "08:30–11:00" in staff.text() and "11:00–13:30" not in staff.text()
    world.clock.advance(days=2, hours=17)  # Thursday 10:00: started, nobody came
    await staff.say("/bookings 2026-11-05")
    await staff.press("未到場")
    assert "未到場" in staff.text()
    assert (await _bookings(world, "tg:501"))[0].status == "no_show"
    assert [r.action for r in await world.tools.audit.records()].count("booking.no_show") == 1


async def test_the_reminder_the_day_before_is_sent_once(world):
    alice = world.person("tg:501")
    await book(alice)
    staff = world.person(STAFF, staff=True)
    await staff.say("/bookings")
    await staff.press(T("bk.staff_approve"))
    job = BookingReminders(world.assistant.deps.bookings, lambda: world.knowledge.current.kb)
    assert await job.due_reminders() == []  # Monday: not yet
    world.clock.advance(days=2, hours=-7)  # Wednesday 10:00 in the district
    [reminder] = await job.due_reminders()
    assert reminder.to == "tg:501" and reminder.html.startswith("⏰") and "11月5日（四） 08:30–11:00" in reminder.html
    assert await job.due_reminders() == []


async def test_forget_me_erases_the_contact_and_the_link_but_keeps_the_booking_for_the_figures(world):
    alice = world.person("tg:501")
    await book(alice)
    [booking] = await _bookings(world, "tg:501")
    await alice.say("/forget_me")
    await alice.press(T("fb.forget_yes"))
    svc = world.assistant.deps.bookings
    kept = await svc.store.get(booking.reference)
    assert kept.user is None and not kept.has_contact and await svc.store.contact(booking.reference) is None
    assert (kept.venue_id, kept.applicant, kept.people, kept.slot) == (booking.venue_id, "group", 12, booking.slot)
    await alice.say("/mybookings")
    assert alice.text() == T("bk.mine_none")


def test_every_booking_button_fits_telegram_and_no_row_is_unreachable():
    assert len(f"{V.DO_CANCEL}:BK-XXXX-XXXX-XXXX-XXXX".encode()) <= MAX_ACTION_BYTES
    assert len(f"{V.STAFF}:a:BK-XXXX-XXXX-XXXX-XXXX".encode()) <= MAX_ACTION_BYTES
    assert len(f"{V.VENUE}:{'x' * 40}".encode()) <= MAX_ACTION_BYTES
    rows = [row for row in TABLE if row.feature == "booking"]
    assert {"command:book", "command:mybookings", "command:bookings"} <= {row.trigger for row in rows}
    assert all(row.handler.__doc__ for row in rows)


async def test_the_console_books_with_numbered_buttons(world):
    """The same flow in the console: buttons are numbers, except on the calendar (a day is typed as its number)
    and where a number is typed (the number of people): there the other buttons are letters and "12" is the answer
    (more in ``tests/test_console.py`` and ``tests/test_console_calendar.py``)."""
    out = io.StringIO()
    chat = ConsoleChat(world.assistant, output=out)

    def number(label: str) -> str:
        for line in reversed(out.getvalue().splitlines()):
            text = line.strip()
            if text.startswith("[") and (text.endswith(f"] {label}") or label in text and len(label) > 2):
                return text[1:].split("]", 1)[0]
        raise AssertionError(f"no numbered button {label!r}")

    async def line(text: str) -> None:
        await chat.run(io.StringIO(text + "\n"), greet=False)

    await line("/book")
    await line(number(HALL))
    await line(THURSDAY)  # the calendar: a day is typed as its number
    await line(number("08:30"))
    await line("舞蹈排練")
    await line("12")
    for label in ("居民團隊", T("bk.consent_no"), T("bk.rules_accept"), T("bk.confirm")):
        await line(number(label))
    assert "BK-" in out.getvalue() and "待審核" in out.getvalue()


async def test_stats_has_a_line_on_the_rooms(world):
    await book(world.person("tg:501"))
    staff = world.person(STAFF, staff=True)
    await staff.say("/stats")
    assert "📅 場地使用（近 4 週）" in staff.text() and "待審核 1 個" in staff.text()


@pytest.mark.parametrize("code, lang, line, caption", [
    ("zh-hant", "zh-Hant", "已預約 2 小時",
     "2026-10-13 至 2026-11-09，11 個場地的開放時數有 <1% 已預約（2.5／2552 小時）；"
     "最少用的是「沿河社區居民議事室」（0%），最常用的是「積善社區排練廳」（1%）。"),
    ("zh-hans", "zh-Hans", "已预约 2 小时",
     "2026-10-13 至 2026-11-09，11 个场地的开放时数有 <1% 已预约（2.5／2552 小时）；"
     "最少用的是“沿河社区居民议事室”（0%），最常用的是“积善社区排练厅”（1%）。"),
    ("en", "en", "2 h booked",
     "2026-10-13 to 2026-11-09: <1% of the 11 rooms' open hours were booked (2.5 of 2552 h); least used "
     "“Yanhe Community residents' meeting room” (0%), most used “Jishan Community rehearsal hall” (1%).")])
async def test_stats_ends_with_the_rooms_chart_drawn_from_the_lines_figures(world, monkeypatch, code, lang, line,
                                                                            caption):
    """The sixth image: each room's share of its open hours over the last 4 weeks, captioned in the staff member's
    language — from the same ``weekly_usage`` rows as the line above it (one computation per /stats)."""
    from bot.core.booking import usage

    await book(world.person("tg:501"))  # Thursday 5 November, 08:30-11:00, a resident group
    staff = world.person(STAFF, staff=True, language_code=code)
    await staff.say("/bookings")
    await staff.press(texts_for(lang)("bk.staff_approve"))
    world.clock.advance(days=7)  # Monday 9 November: the booking is in the last 4 weeks
    figured = usage.weekly_usage
    calls = []
    monkeypatch.setattr(usage, "weekly_usage", lambda *a: calls.append(a) or figured(*a))
    replies = await staff.say("/stats")
    assert len(calls) == 1
    assert line in staff.text()
    rooms = replies[-1].image
    assert rooms.filename == "rooms.png" and rooms.png.startswith(b"\x89PNG") and len(replies) == 7
    assert html.unescape(rooms.caption) == caption
