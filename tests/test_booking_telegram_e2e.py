"""Bookings end to end through the real Application and the fake Bot API server, on SQLite: a resident books and
staff approve — the resident is told; a unit's request is declined with a reason — the unit is told why; the
reminder the day before arrives once; a resident cancels; a restart in the middle of a booking resumes it; staff
are sent each new request, approve it from that message, and stop those messages with 🔕."""
from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes.bot_api import FakeBotApi
from players import Clock
from test_staff_telegram_e2e import FAST, ROOT, STAFF_ID

from bot.adapters.telegram import build_application, serving
from bot.adapters.telegram.application import SCHEDULER_KEY
from bot.app import build_services
from bot.core.i18n import texts_for
from bot.core.jobs import BOOKING_REMINDERS
from bot.settings import Settings

T = texts_for("zh-Hant")
HALL = "積善社區排練廳"
NEW_REQUEST = "新的預約申請待審核"
#: Monday 2 November 2026, 17:00 in the district: the hall books Wednesday 4 November to 2 December.
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


@pytest.fixture
async def api():
    async with FakeBotApi() as fake:
        yield fake


@contextlib.asynccontextmanager
async def running(api: FakeBotApi, db: Path, clock: Clock):
    env = {"SEMANTIC_MATCHING": "off", "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.api_url,
           "BOT_DB": str(db), "KNOWLEDGE_DIR": str(ROOT / "knowledge"), "STAFF_IDS": str(STAFF_ID)}
    services = build_services(Settings.from_env(env, dotenv=None), clock=clock)
    async with serving(build_application(services, FAST)) as application:
        yield services, application


async def press(person, label: str):
    return await person.exchange(person.press(lambda b: label in b["text"]))


async def book_until_summary(person, *, kind: str, unit: str | None = None, slot: str = "08:30"):
    await person.exchange(person.command("book"))
    await press(person, HALL)
    await person.exchange(person.press("5"))  # Thursday 5 November
    await press(person, slot)
    await person.exchange(person.say("舞蹈排練"))
    await person.exchange(person.say("12"))
    await press(person, kind)
    if unit:
        await person.exchange(person.say(unit))
    await press(person, T("bk.consent_yes"))
    await person.exchange(person.say("138 0000 0000"))
    await press(person, T("bk.rules_accept"))


async def test_book_approve_decline_remind_and_cancel(api, tmp_path):
    clock = Clock(START)
    async with running(api, tmp_path / "bot.sqlite3", clock) as (services, application):
        alice = api.resident(4242, first_name="Alice")
        await book_until_summary(alice, kind="居民團隊")
        [booked] = await press(alice, T("bk.confirm"))
        assert "BK-" in booked.text and "待審核" in booked.text

        unit = api.resident(4343, first_name="Bob")
        await book_until_summary(unit, kind="社區單位", unit="某某物業公司", slot="11:00")
        [booked] = await press(unit, T("bk.confirm"))
        assert "BK-" in booked.text

        staff = api.resident(STAFF_ID, first_name="Staff")
        # Each request was also sent to the staff member as it was made (test below); here they use the desk.
        await api.wait_until(lambda: sum(NEW_REQUEST in m.text for m in staff.inbox) == 2, what="two notices")
        [card] = await staff.exchange(staff.command("bookings"))
        assert "1/2" in card.text and "舞蹈排練" in card.text and "4242" not in card.text and "Alice" not in card.text
        await press(staff, "批准")
        await api.wait_until(lambda: any("已獲批准" in m.text for m in alice.inbox), what="Alice told")
        assert "某某物業公司" in staff.inbox[-1].text and "4343" not in staff.inbox[-1].text
        await press(staff, "拒絕")
        await staff.exchange(staff.say("當天已有社區活動"))
        await api.wait_until(lambda: any("未獲批准" in m.text and "當天已有社區活動" in m.text for m in unit.inbox),
                             what="the unit told why")

        scheduler = application.bot_data[SCHEDULER_KEY]
        clock.advance(days=1, hours=2)  # Tuesday 19:00 in the district: Alice's booking is on Thursday
        await scheduler.run_once(BOOKING_REMINDERS)
        assert not any(m.text.startswith("⏰") for m in alice.inbox)
        clock.advance(days=1)  # Wednesday: the day before
        await scheduler.run_once(BOOKING_REMINDERS)
        await api.wait_until(lambda: any(m.text.startswith("⏰") for m in alice.inbox), what="the reminder")
        await scheduler.run_once(BOOKING_REMINDERS)
        assert sum(m.text.startswith("⏰") for m in alice.inbox) == 1
        assert not any(m.text.startswith("⏰") for m in unit.inbox)  # declined: no reminder

        clock.advance(days=-2)  # back to Monday: still before the cancellation deadline
        await alice.exchange(alice.command("mybookings"))
        await press(alice, "取消 BK-")
        [done] = await press(alice, T("bk.cancel_yes"))
        assert "已取消預約" in done.text
        [mine] = await alice.exchange(alice.command("mybookings"))
        assert T("bk.status.cancelled") in mine.text


async def test_telegram_draws_the_calendar_as_a_grid_of_buttons(api, tmp_path):
    """What Telegram is sent for the month: a row of weekday headings and a row a week, blank cells and headings
    buttons that do nothing (``bk0``), a day its number — each button only a label and callback data:
    the console's keys and inert marks (``Button.key``, ``Button.inert``) never reach Telegram."""
    def day(n: int) -> dict:
        return {"text": str(n), "callback_data": f"bkd:202611{n:02d}"}

    blank = {"text": "·", "callback_data": "bk0"}
    clock = Clock(START)
    async with running(api, tmp_path / "bot.sqlite3", clock):
        alice = api.resident(4242, first_name="Alice")
        await alice.exchange(alice.command("book"))
        [calendar] = await press(alice, HALL)
        assert calendar.buttons == [
            [{"text": w, "callback_data": "bk0"} for w in "一二三四五六日"],
            [blank, blank, *(day(n) for n in range(4, 9))],
            *([day(n) for n in range(first, first + 7)] for first in (9, 16, 23)),
            [day(30), *[blank] * 6],
            [{"text": "2026年12月 ▶", "callback_data": "bkm:202612"}],
            [{"text": T("bk.back"), "callback_data": "bkb"}, {"text": T("bk.quit"), "callback_data": "bkx"}]]


async def test_a_restart_in_the_middle_of_a_booking_resumes_it(api, tmp_path):
    clock = Clock(START)
    db = tmp_path / "bot.sqlite3"
    alice = api.resident(4242, first_name="Alice")
    async with running(api, db, clock):
        await alice.exchange(alice.command("book"))
        await press(alice, HALL)
        await alice.exchange(alice.press("5"))
        await press(alice, "08:30")
        await alice.exchange(alice.say("舞蹈排練"))
    async with running(api, db, clock) as (services, _):
        [asked] = await alice.exchange(alice.say("12"))  # the next step, as if nothing had happened
        assert asked.text == T("bk.ask_kind")
        await press(alice, "居民個人")
        await press(alice, T("bk.consent_no"))
        await press(alice, T("bk.rules_accept"))
        [booked] = await press(alice, T("bk.confirm"))
        assert "BK-" in booked.text and "11月5日（四） 08:30–11:00" in booked.text
        [stored] = await services.bookings.my_bookings("tg:4242")
        assert (stored.purpose, stored.people, stored.has_contact) == ("舞蹈排練", 12, False)


async def test_staff_are_sent_a_new_request_approve_it_from_there_and_can_stop_the_messages(api, tmp_path):
    """The staff member is sent the request the moment it is made, approves it from that message, and the
    resident is told; after 🔕 the next request waits on the desk (/bookings) without a message."""
    clock = Clock(START)
    async with running(api, tmp_path / "bot.sqlite3", clock):
        staff = api.resident(STAFF_ID, first_name="Staff")
        alice = api.resident(4242, first_name="Alice")
        await book_until_summary(alice, kind="居民團隊")
        [booked] = await press(alice, T("bk.confirm"))
        reference = booked.text.split("BK-", 1)[1].split()[0]
        await api.wait_until(lambda: any(NEW_REQUEST in m.text for m in staff.inbox), what="the staff notice")
        [notice] = [m for m in staff.inbox if NEW_REQUEST in m.text]
        assert f"BK-{reference}" in notice.text and "舞蹈排練" in notice.text
        assert "4242" not in notice.text and "Alice" not in notice.text
        assert notice.button_labels() == [T("bk.staff_approve"), T("bk.staff_decline"), T("bk.notices_stop")]

        await staff.exchange(staff.press(T("bk.staff_approve"), notice))
        await api.wait_until(lambda: any("已獲批准" in m.text for m in alice.inbox), what="Alice told")

        [off] = await staff.exchange(staff.press(T("bk.notices_stop"), notice))
        assert off.text == T("bk.notices_off")
        bob = api.resident(4343, first_name="Bob")
        await book_until_summary(bob, kind="居民團隊", slot="11:00")
        await press(bob, T("bk.confirm"))
        [card] = await staff.exchange(staff.command("bookings"))  # on the desk, but no message came by itself
        assert "舞蹈排練" in card.text and "1/1" in card.text
        assert sum(NEW_REQUEST in m.text for m in staff.inbox) == 1
