"""Staff hear of a new room request at once: a resident's request awaiting approval reaches every staff member in
STAFF_IDS who has not turned this off, as the desk's card with approve / decline, in their own language; approving
or declining from that message works as on the desk and the resident is told; ``/bookings notices off|on`` and the
🔕 button stop and restart them; a room confirmed at once, a staff member taken off STAFF_IDS, the staff member who
asked, and group chats get nothing. Through the Assistant on the bundled knowledge base and in-memory stores."""
from __future__ import annotations

import dataclasses
import io

import pytest
from conftest import ROOT
from staff_support import OTHER_STAFF, STAFF, Clock, Person, make_world
from test_booking_chat import HALL, T, book

from bot.adapters.console import ConsoleChat
from bot.app import build_services, build_stores
from bot.core.booking import views as V
from bot.core.booking.memory_store import MemoryStaffNoticeStore
from bot.core.errors import StorageUnavailable
from bot.core.i18n import texts_for
from bot.core.messages import MAX_ACTION_BYTES, Incoming
from bot.settings import Settings

EN = texts_for("en")
CALLIGRAPHY = "健園社區書畫室"  # requests are confirmed at once
RESIDENT = "tg:501"
NEW_REQUEST = "新的預約申請待審核"


@pytest.fixture(scope="module")
def knowledge_dir():
    return ROOT / "knowledge"


@pytest.fixture
def world(knowledge_dir):
    return make_world(knowledge_dir)


def to_staff(replies) -> dict[str, object]:
    return {r.to: r for r in replies if r.to is not None}


def labels(reply) -> list[str]:
    return [b.label for row in reply.buttons for b in row]


async def test_a_request_awaiting_approval_reaches_every_staff_member_with_the_card_and_approve_decline(world):
    replies = await book(world.person(RESIDENT), contact=None)
    assert replies[0].to is None and T("bk.booked_pending") in replies[0].html  # the resident's answer first
    notices = to_staff(replies)
    assert set(notices) == {STAFF, OTHER_STAFF}
    [booking] = await world.assistant.deps.bookings.my_bookings(RESIDENT)
    for notice in notices.values():
        assert notice.html.startswith(f"📅 <b>{NEW_REQUEST}</b>")
        assert booking.reference in notice.html and HALL in notice.html and "舞蹈排練" in notice.html
        assert "11月5日（四） 08:30–11:00" in notice.html and "501" not in notice.html  # never who asked
        assert labels(notice) == [T("bk.staff_approve"), T("bk.staff_decline"), T("bk.notices_stop")]
        actions = [b.action for row in notice.buttons for b in row]
        assert actions[:2] == [f"{V.STAFF}:a:{booking.reference}", f"{V.STAFF}:d:{booking.reference}"]
        assert all(len(a.encode()) <= MAX_ACTION_BYTES for a in actions)


async def test_approving_from_the_notice_confirms_it_and_the_resident_is_told(world):
    notices = to_staff(await book(world.person(RESIDENT), contact=None))
    staff, other = world.person(STAFF, staff=True), world.person(OTHER_STAFF, staff=True)
    staff.last, other.last = [notices[STAFF]], [notices[OTHER_STAFF]]  # what each found in their chat
    replies = await staff.press(T("bk.staff_approve"))
    [told] = [r for r in replies if r.to == RESIDENT]
    assert told.html.startswith("✅ 您的預約已獲批准") and T("bk.status.confirmed") in told.html
    assert T("bk.staff_none") in staff.text()  # and then the desk: nothing else is waiting
    [booking] = await world.assistant.deps.bookings.my_bookings(RESIDENT)
    assert booking.status == "confirmed"
    assert [r.action for r in await world.tools.audit.records()] == ["booking.approve"]
    await other.press(T("bk.staff_approve"))  # a colleague's copy of the same request: already decided
    assert other.text() == T("booking.wrong_status")


async def test_declining_from_the_notice_asks_the_reason_and_the_resident_reads_it(world):
    notices = to_staff(await book(world.person(RESIDENT), contact=None))
    staff = world.person(STAFF, staff=True)
    staff.last = [notices[STAFF]]
    await staff.press(T("bk.staff_decline"))
    replies = await staff.say("當天已有社區活動")
    [told] = [r for r in replies if r.to == RESIDENT]
    assert "未獲批准" in told.html and "當天已有社區活動" in told.html


async def test_notices_off_sends_nothing_and_on_sends_them_again(world):
    staff, other = world.person(STAFF, staff=True), world.person(OTHER_STAFF, staff=True)
    await staff.say("/bookings notices off")
    assert staff.text() == T("bk.notices_off")
    notices = to_staff(await book(world.person(RESIDENT), contact=None))
    assert set(notices) == {OTHER_STAFF}
    other.last = [notices[OTHER_STAFF]]
    await other.press("🔕")  # the button under the notice
    assert other.text() == T("bk.notices_off")
    assert to_staff(await book(world.person("tg:502"), slot="11:00", contact=None)) == {}
    await other.say("/bookings notices")
    assert other.text() == T("bk.notices_status_off")
    await other.press("🔔")
    assert other.text() == T("bk.notices_on")
    await staff.say("/bookings notices on")
    assert set(to_staff(await book(world.person("tg:503"), slot="13:30", contact=None))) == {STAFF, OTHER_STAFF}
    details = [(r.staff_user, r.detail) for r in await world.tools.audit.records() if r.action == "booking.notices"]
    assert details == [(STAFF, "off"), (OTHER_STAFF, "off"), (OTHER_STAFF, "on"), (STAFF, "on")]
    await staff.say("/bookings notices maybe")
    assert staff.text() == T("bk.staff_usage")


async def test_a_room_confirmed_at_once_tells_no_staff_member(world):
    replies = await book(world.person(RESIDENT), venue=CALLIGRAPHY, slot="09:00", kind="居民個人", contact=None)
    assert T("bk.booked_confirmed") in replies[0].html
    assert to_staff(replies) == {}


async def test_a_staff_member_no_longer_in_staff_ids_is_told_nothing(knowledge_dir):
    world = make_world(knowledge_dir, staff_users=(STAFF,))  # tg:101 was staff once and left notices on
    await world.assistant.deps.booking_notices.store.set_notices(OTHER_STAFF, True, world.clock())
    assert set(to_staff(await book(world.person(RESIDENT), contact=None))) == {STAFF}
    former = world.person(OTHER_STAFF)  # not staff any more: the buttons of the notice are stale for them
    await former.send(action=f"{V.NOTICES}:off")
    assert former.text().startswith(T("stale_button"))


async def test_each_staff_member_reads_the_notice_in_their_own_language(world):
    state = await world.residents.load_state(STAFF)
    state.language = "en"
    await world.residents.save_state(state)
    notices = to_staff(await book(world.person(RESIDENT), contact=None))
    assert notices[STAFF].html.startswith("📅 <b>New request awaiting approval</b>")
    assert "Jishan Community rehearsal hall" in notices[STAFF].html and "awaiting approval" in notices[STAFF].html
    assert labels(notices[STAFF]) == [EN("bk.staff_approve"), EN("bk.staff_decline"), EN("bk.notices_stop")]
    assert notices[OTHER_STAFF].html.startswith(f"📅 <b>{NEW_REQUEST}</b>")


class UnreadableNotices(MemoryStaffNoticeStore):
    async def notices_off(self) -> list[str]:
        raise StorageUnavailable("disk I/O error")


async def test_settings_that_cannot_be_read_cost_the_notices_never_the_residents_reference(knowledge_dir):
    stores = dataclasses.replace(build_stores(Settings(), in_memory=True), booking_notices=UnreadableNotices())
    settings = Settings(knowledge_dir=knowledge_dir, staff_ids=frozenset({100, 101}))
    services = build_services(settings, clock=Clock(), in_memory=True, stores=stores)
    replies = await book(Person(services.assistant, RESIDENT, False, "zh-hant"), contact=None)
    assert "BK-" in replies[0].html and T("bk.booked_pending") in replies[0].html
    assert to_staff(replies) == {}
    [booking] = await services.bookings.pending()  # staff find it on the desk
    assert booking.user == RESIDENT


async def test_a_staff_member_booking_a_room_is_not_sent_their_own_request(world):
    assert set(to_staff(await book(world.person(STAFF, staff=True), contact=None))) == {OTHER_STAFF}


async def test_nothing_of_it_in_a_group_chat(world):
    staff_in_group = Incoming(user=STAFF, text="/bookings notices off", is_staff=True, chat="group")
    [reply] = await world.assistant.handle(staff_in_group)
    assert reply.html == T("unknown_command")
    assert await world.assistant.deps.booking_notices.store.notices_enabled(STAFF)
    for text in ("/book", "/bookings"):  # a resident's /book: a link to the private chat, nobody else told
        replies = await world.assistant.handle(Incoming(user=RESIDENT, text=text, chat="group"))
        assert all(r.to is None for r in replies)


async def test_the_console_shows_a_notice_for_someone_else_with_whom_it_is_for(world):
    """A console chat is one person: a notice for a staff member is printed with who it is for and its buttons'
    labels, but not numbered (they are pressed in that staff member's chat, not here)."""
    out = io.StringIO()
    chat = ConsoleChat(world.assistant, output=out, user=RESIDENT)
    chat.render(await book(world.person(RESIDENT), contact=None))
    printed = out.getvalue()
    assert f"[→ {STAFF}] 📅 {NEW_REQUEST}" in printed and f"[→ {OTHER_STAFF}]" in printed
    assert f"({T('bk.staff_approve')} · {T('bk.staff_decline')} · {T('bk.notices_stop')})" in printed
    assert chat.choices == []  # nothing of the notice can be pressed as a number in the resident's terminal
