"""Announcements and the weekly digest through the core: residents subscribe (whole district or a community),
staff compose, preview and confirm, the core hands the adapter a ``Broadcast`` that it delivers through its own
``send``; people who blocked the bot are marked inactive and staff get delivered/failed counts."""
import asyncio
from datetime import UTC, datetime, timedelta, timezone
from html import unescape

import pytest
from staff_support import KNOWLEDGE_DIR, OTHER_STAFF, STAFF, make_world

from bot.core.dialog.announce import MAX_CHARS
from bot.core.i18n import texts_for
from bot.core.ports import UnansweredQuestion
from bot.core.staff.audience import communities
from bot.core.staff.broadcast import deliver_all
from bot.core.staff.digest import next_digest_time

T = texts_for("zh-Hant")


@pytest.fixture
def world():
    return make_world(KNOWLEDGE_DIR)


class FakeSender:
    """Stands in for the transport: records deliveries, answers "blocked" or raises for chosen recipients."""

    def __init__(self, blocked=(), broken=()):
        self.blocked, self.broken = set(blocked), set(broken)
        self.sent: dict[str, str] = {}

    async def __call__(self, user: str, html: str) -> str:
        if user in self.broken:
            raise ConnectionError("network down")
        if user in self.blocked:
            return "blocked"
        self.sent[user] = html
        return "sent"


async def test_a_resident_subscribes_to_a_community_and_to_the_district_and_unsubscribes(world):
    resident = world.person("tg:1")
    replies = await resident.say("/subscribe")
    labels = [b.label for row in replies[0].buttons for b in row]
    assert labels[0] == T("sub.all")
    assert set(labels[1:]) == set(communities(world.knowledge.current.kb))
    assert all(len(b.action.encode()) <= 64 for row in replies[0].buttons for b in row)

    await resident.press("沿河社區")
    assert unescape(resident.text()) == T("sub.done", what="沿河社區")
    assert await world.tools.subscriptions.communities_of("tg:1") == ["沿河社區"]
    await resident.say("/subscribe")
    assert T("sub.current", what="沿河社區") in resident.text()
    await resident.press(T("sub.all"))
    assert await world.tools.subscriptions.communities_of("tg:1") == ["*", "沿河社區"]

    assert (await resident.say("/unsubscribe"))[0].html == T("unsub.done")
    assert await world.tools.subscriptions.recipients() == []
    assert (await resident.say("/unsubscribe"))[0].html == T("unsub.none")


async def test_a_forged_community_button_is_stale(world):
    replies = await world.person("tg:1").send(action="sub:ffffffffffff")
    assert T("stale_button") in replies[0].html
    assert await world.tools.subscriptions.recipients() == []


async def test_announce_preview_confirm_deliver_with_a_blocked_recipient(world):
    subs = world.tools.subscriptions
    for user in ("tg:1", "tg:2", "tg:3", "tg:4"):
        await subs.subscribe(user, "*", world.clock())
    staff = world.person(STAFF, staff=True)

    assert (await staff.say("/announce"))[0].html == T("staff.announce_prompt", max=MAX_CHARS)
    await staff.say("明天 9:00-12:00 停水 <請儲水> & 注意")
    preview, body, choose = staff.last
    assert preview.html == T("staff.announce_preview")
    assert body.html == "📢 明天 9:00-12:00 停水 &lt;請儲水&gt; &amp; 注意\n\n<i>/unsubscribe</i>"
    assert choose.buttons[0][0].label == T("staff.announce_to", audience=T("staff.audience_all"), count=4)
    assert (await world.residents.load_state(STAFF)).state == "announce_confirm"

    replies = await staff.press(T("staff.audience_all"))
    [sending] = replies
    assert sending.html == T("staff.announce_sending", audience=T("staff.audience_all"), count=4)
    assert sending.replace  # the preview's buttons disappear, so it cannot be sent twice
    broadcast = sending.broadcast
    assert broadcast.recipients == ("tg:1", "tg:2", "tg:3", "tg:4") and broadcast.html == body.html
    assert (await world.residents.load_state(STAFF)).state == "idle"

    sender = FakeSender(blocked={"tg:2"}, broken={"tg:4"})
    [report] = await broadcast.deliver(sender)
    assert set(sender.sent) == {"tg:1", "tg:3"} and sender.sent["tg:1"] == body.html
    assert report.to == STAFF
    assert report.html == T("staff.announce_done", delivered=2, failed=2, blocked=1)
    assert await subs.recipients() == ["tg:1", "tg:3", "tg:4"]  # the blocked one gets no more

    records = await world.tools.audit.records()
    assert [(r.staff_user, r.action) for r in records] == [(STAFF, "announce"), (STAFF, "announce.delivered")]
    assert records[0].detail.startswith(f"to {T('staff.audience_all')}: 4 recipients; 明天 9:00-12:00 停水")
    assert records[1].detail == "delivered 2, failed 2 (blocked 1)"


async def test_a_community_announcement_reaches_that_community_and_district_subscribers_only(world):
    subs = world.tools.subscriptions
    await subs.subscribe("tg:1", "沿河社區", world.clock())
    await subs.subscribe("tg:2", "明園社區", world.clock())
    await subs.subscribe("tg:3", "*", world.clock())
    staff = world.person(STAFF, staff=True)
    await staff.say("/announce 沿河社區服務中心週六停電")  # the text right after the command: straight to preview
    replies = await staff.press("沿河社區")
    assert replies[0].broadcast.recipients == ("tg:1", "tg:3")


async def test_an_empty_audience_keeps_the_preview_and_a_new_text_replaces_it(world):
    await world.tools.subscriptions.subscribe("tg:1", "沿河社區", world.clock())
    staff = world.person(STAFF, staff=True)
    await staff.say("/announce")
    await staff.say("第一版")
    replies = await staff.press("明園社區")
    assert replies[0].html == T("staff.announce_nobody", audience="明園社區") and replies[0].broadcast is None
    await staff.say("第二版")
    assert "第二版" in staff.last[1].html
    replies = await staff.press(T("staff.audience_all"))
    assert "第二版" in replies[0].broadcast.html


async def test_cancel_too_long_and_stale_buttons(world):
    await world.tools.subscriptions.subscribe("tg:1", "*", world.clock())
    staff = world.person(STAFF, staff=True)
    await staff.say("/announce")
    replies = await staff.say("長" * (MAX_CHARS + 1))
    assert replies[0].html == T("staff.announce_too_long", length=MAX_CHARS + 1, max=MAX_CHARS)
    assert (await world.residents.load_state(STAFF)).state == "announce_text"
    await staff.say("好的通知")
    send_action = staff.button(T("staff.audience_all"))
    replies = await staff.press(T("staff.announce_cancel_button"))
    assert replies[0].html == T("staff.announce_cancelled")
    replies = await staff.send(action=send_action)  # the old preview's button, after cancelling
    assert T("stale_button") in replies[0].html and replies[0].broadcast is None
    assert await world.tools.audit.records() == []


async def test_delivery_keeps_a_bounded_number_of_sends_in_flight():
    in_flight = peak = 0

    async def slow_send(user, html):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001)
        in_flight -= 1
        return "sent"

    result = await deliver_all([f"tg:{i}" for i in range(200)], "x", slow_send, concurrency=7)
    assert result.delivered == 200 and peak == 7


class StallingSender(FakeSender):
    """Delivers to the first ``until`` recipients, then every send hangs: the bot is stopped at that point."""

    def __init__(self, until: int):
        super().__init__()
        self.until = until
        self.stalled = asyncio.Event()

    async def __call__(self, user: str, html: str) -> str:
        if len(self.sent) >= self.until:
            self.stalled.set()
            await asyncio.Event().wait()  # forever, until cancelled
        return await super().__call__(user, html)


async def confirmed_announcement(world, recipients: int):
    for i in range(recipients):
        await world.tools.subscriptions.subscribe(f"tg:{i:03d}", "*", world.clock())
    staff = world.person(STAFF, staff=True)
    await staff.say("/announce 週六社區義診")
    [sending] = await staff.press(T("staff.audience_all"))
    return sending.broadcast


async def test_an_announcement_stopped_halfway_resumes_with_the_people_still_waiting(world):
    broadcast = await confirmed_announcement(world, 100)
    first = StallingSender(until=40)
    delivery = asyncio.create_task(broadcast.deliver(first))
    await first.stalled.wait()
    delivery.cancel()  # the bot stops (deploy, restart): what was sent so far is written before it goes
    with pytest.raises(asyncio.CancelledError):
        await delivery

    world.clock.advance(minutes=10)
    [notice] = await world.tools.announcements.resume()  # the next start
    assert notice.to == STAFF
    assert notice.html == T("staff.announce_resumed", created="2026-11-02 17:00", count=60)
    second = FakeSender()
    [report] = await notice.broadcast.deliver(second)
    assert set(first.sent) | set(second.sent) == {f"tg:{i:03d}" for i in range(100)}
    assert not set(first.sent) & set(second.sent)  # nobody gets it twice
    assert report.html == T("staff.announce_done", delivered=100, failed=0, blocked=0)
    assert await world.tools.announcements.resume() == []  # finished: nothing left for the start after


async def test_an_announcement_interrupted_over_a_day_ago_is_not_resumed_and_staff_hear_who_missed_it(world):
    broadcast = await confirmed_announcement(world, 10)
    first = StallingSender(until=4)
    delivery = asyncio.create_task(broadcast.deliver(first))
    await first.stalled.wait()
    delivery.cancel()
    await asyncio.gather(delivery, return_exceptions=True)

    world.clock.advance(hours=25)  # the bot stayed down for a day: "this Saturday" may be in the past
    notice, report = await world.tools.announcements.resume()
    assert notice.broadcast is None and notice.to == STAFF
    assert notice.html == T("staff.announce_not_resumed", created="2026-11-02 17:00", missed=6)
    assert report.html == T("staff.announce_done", delivered=4, failed=0, blocked=0)
    assert (await world.tools.audit.records())[-1].detail == (
        "delivered 4, failed 0 (blocked 0), not sent 6 (interrupted, not resumed)")


# --- the weekly digest ----------------------------------------------------------------------------------------

async def test_digest_opt_in_by_command_and_button(world):
    staff = world.person(STAFF, staff=True)
    replies = await staff.say("/digest")
    assert replies[0].html == T("staff.digest_status_off")
    await staff.press(T("staff.button_on"))
    assert staff.last[0].html == T("staff.digest_on") and staff.last[0].replace
    assert await world.tools.digests.digest_enabled(STAFF)
    assert (await staff.say("/digest"))[0].html == T("staff.digest_status_on")
    assert (await staff.say("/digest off"))[0].html == T("staff.digest_off")
    assert not await world.tools.digests.digest_enabled(STAFF)
    assert [r.detail for r in await world.tools.audit.records()] == ["on", "off"]


async def test_the_weekly_digest_lists_unanswered_questions_for_staff_who_opted_in(world):
    for hours, question in enumerate(["垃圾分類怎麼做", "垃圾怎麼分類", "社區有沒有游泳池"]):
        await world.residents.record_unanswered(UnansweredQuestion(
            question=question, reason="not_found", language="zh-Hant", nearest_id=None,
            asked_at=world.clock() - timedelta(hours=hours)))
    await world.residents.record_unanswered(UnansweredQuestion(  # older than a week: not in this digest
        question="停車位怎麼租", reason="not_found", language="zh-Hant", nearest_id=None,
        asked_at=world.clock() - timedelta(days=8)))
    assert await world.tools.digest.weekly_digest() == []  # nobody opted in

    await world.person(STAFF, staff=True).say("/digest on")
    await world.tools.digests.set_digest("tg:999", True, world.clock())  # opted in, since removed from STAFF_IDS
    [digest] = await world.tools.digest.weekly_digest()
    assert digest.to == STAFF
    since = (world.clock() - timedelta(days=7)).date().isoformat()
    lines = digest.html.splitlines()
    assert lines[0] == T("staff.digest_title", count=3, groups=2, since=since)
    assert lines[1].startswith("• 2× 垃圾分類怎麼做 → ") and "service-waste-sorting" in lines[1]
    assert lines[2].startswith("• 1× 社區有沒有游泳池")
    assert "停車位" not in digest.html
    assert lines[-1] == T("staff.digest_footer", since=since)


async def test_an_empty_week_still_gets_a_digest(world):
    staff = world.person(OTHER_STAFF, staff=True)
    await staff.say("/language")
    await staff.press("English")  # messages nobody asked for follow the /language choice
    await staff.say("/digest on")
    [digest] = await world.tools.digest.weekly_digest()
    assert digest.to == OTHER_STAFF and digest.html.startswith("📊 <b>Weekly digest</b>: no unanswered questions")


def test_the_digest_goes_out_on_monday_morning_in_the_district():
    china = timezone(timedelta(hours=8))
    sunday_night = datetime(2026, 11, 1, 23, 0, tzinfo=china)
    assert next_digest_time(sunday_night) == datetime(2026, 11, 2, 9, 0, tzinfo=china)
    monday_nine = datetime(2026, 11, 2, 9, 0, tzinfo=china)
    assert next_digest_time(monday_nine) == datetime(2026, 11, 9, 9, 0, tzinfo=china)
    assert next_digest_time(datetime(2026, 11, 2, 0, 30, tzinfo=UTC)) == monday_nine  # 08:30 there
    assert next_digest_time(datetime(2026, 11, 2, 1, 30, tzinfo=UTC)) == monday_nine + timedelta(days=7)
