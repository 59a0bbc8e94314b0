"""``/review`` through the core (``Assistant.handle``) on the in-memory and SQLite stores: residents send real
submissions and cases, a staff member walks through them pressing only the buttons the cards offer — mark in
review, reply (the resident gets it under the reference number with rating buttons), close, next — and every
status change and reply lands in the audit log. Residents' user keys never appear in what staff see."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from feedback_helpers import STAFF_ID, plain
from staff_support import Person

from bot.core.feedback.model import NewSubmission

STAFF = f"tg:{STAFF_ID}"
ANNA, BO, CHEN = "tg:1001", "tg:1002", "tg:1003"
USER_KEY = re.compile(r"tg:\d+")


def staff_of(world) -> Person:
    return Person(world.assistant, STAFF, True, "zh-hant")


async def submit_jobs(world, user=ANNA, contact: str | None = None) -> str:
    """A resident answers the jobs consultation: graduate, skills + referrals, 5, a note; optionally contact."""
    r = world.resident(user, "zh-hant")
    await r.say("/feedback")
    await r.press("就業幫扶")
    await r.press("高校畢業生")
    await r.press("技能培訓")
    await r.press("崗位推薦")
    await r.press("完成")
    await r.press("5 ·")
    await r.say("希望多辦 <招聘會> & 講座")
    await r.press("確認提交")
    if contact is None:
        await r.press("不用了")
    else:
        await r.press("可以聯繫")
        await r.say(contact)
    return r.reference()


async def submit_dibao(world, user=BO) -> str:
    """An anonymous consultation: never linked to the resident."""
    r = world.resident(user, "zh-hant")
    await r.say("/feedback")
    await r.press("低保意見")
    await r.press("沒有申請")
    await r.press("⏭")
    await r.press("確認提交")
    return r.reference()


async def send_case(world, user=CHEN, question="社區有沒有賣 <飛機票> 的地方") -> str:
    """A question sent to staff, through the use case the "send to staff" button calls (whether the matcher
    answers this question is not this test's business)."""
    return await world.feedback.open_case(user, question, "zh-Hant")


def text_of(replies) -> str:
    return "\n".join(plain(r.html) for r in replies)


def labels_of(replies) -> list[str]:
    return [b.label for r in replies for row in r.buttons for b in row]


async def test_review_walks_the_waiting_items_oldest_first_with_readable_answers(world):
    jobs = await submit_jobs(world)
    world.clock.advance(minutes=5)
    dibao = await submit_dibao(world)
    world.clock.advance(minutes=5)
    case = await send_case(world)
    staff = staff_of(world)

    first = await staff.say("/review")
    card = text_of(first)
    # Anonymous submissions are stored to the hour (17:35 → 17:00), so the anonymous one comes first.
    assert dibao in card and "低保意見（匿名）" in card and "2026-11-26 17:00 ·" in card
    assert "您家領取低保嗎？" in card and "→ 沒有申請" in card and "低保金夠用嗎" not in card, "not asked"
    assert "匿名或居民已解除關聯" in card and "（待處理 3 項）" in card
    assert labels_of(first) == ["🔎 標為處理中", "💬 回覆", "✔️ 結案", "⏭ 下一項"]

    second = await staff.press("下一項")
    card = text_of(second)
    assert second[0].replace and jobs in card and "就業幫扶" in card and "2026-11-26 17:30" in card
    assert "• 您屬於哪一類？\n   → 高校畢業生" in card
    assert "需要哪些幫助？\n   → 技能培訓、崗位推薦" in card and "→ 5 · 很滿意" in card
    assert "<招聘會> & 講座" in card and "&lt;招聘會&gt; &amp; 講座" in second[0].html, "resident text escaped"
    assert "匿名" not in card

    third = await staff.press("下一項")
    assert case in text_of(third) and "向工作人員提問" in text_of(third)
    assert "❓ 社區有沒有賣 <飛機票> 的地方" in text_of(third)

    end = await staff.press("下一項")
    assert "後面沒有待處理的項目了" in text_of(end) and "3 項" in text_of(end)
    for replies in (first, second, third, end):
        assert not USER_KEY.search(text_of(replies) + " ".join(b.action for r in replies for row in r.buttons
                                                               for b in row))
    assert await world.tools.audit.records() == [], "looking changes nothing"


async def test_mark_in_review_updates_the_card_in_place_and_is_audited(world):
    reference = await submit_jobs(world)
    staff = staff_of(world)
    await staff.say("/review")
    [card] = await staff.press("標為處理中")
    assert card.replace and "狀態：處理中" in plain(card.html)
    assert labels_of([card]) == ["🔎 處理中 ✓", "💬 回覆", "✔️ 結案", "⏭ 下一項"], "every button keeps its place"
    assert (await world.feedback.lookup(reference)).status == "in_review"
    [record] = await world.tools.audit.records()
    assert (record.staff_user, record.action, record.detail) == (STAFF, "feedback.status",
                                                                 f"{reference}: received → in_review")


async def test_a_reply_reaches_the_resident_under_the_reference_and_asks_for_a_rating(world):
    reference = await submit_jobs(world, contact="電話 138-0000-0000")
    world.clock.advance(minutes=1)
    await send_case(world)
    staff = staff_of(world)
    card = await staff.say("/review")
    assert "📞 居民同意聯繫：電話 138-0000-0000" in text_of(card)
    prompt = await staff.press("回覆")
    assert reference in text_of(prompt) and (await world.residents.load_state(STAFF)).state == "review_reply"
    world.clock.advance(hours=3)
    text = "您好，下週三起社區有 <技能培訓> 班，歡迎報名。"
    replies = await staff.say(text)

    [to_resident] = [r for r in replies if r.to is not None]
    assert to_resident.to == ANNA and reference in plain(to_resident.html)
    assert "&lt;技能培訓&gt;" in to_resident.html
    assert labels_of([to_resident]) == ["1", "2", "3", "4", "5"]
    mine = [r for r in replies if r.to is None]
    assert "回覆已發給" in plain(mine[0].html) and not USER_KEY.search(text_of(mine))
    assert "向工作人員提問" in plain(mine[-1].html), "the next waiting item follows"
    assert (await world.residents.load_state(STAFF)).state == "idle"

    stored = await world.feedback.lookup(reference)
    assert stored.status == "answered" and stored.replies[0].text.startswith("您好，下週三起")
    anna = world.resident(ANNA, "zh-hant")
    anna.last = [to_resident]
    await anna.press("5")
    assert "5/5" in anna.text
    assert (await world.feedback.lookup(reference)).replies[0].rating == 5
    records = await world.tools.audit.records()
    assert [(r.action, r.detail) for r in records] == [
        ("feedback.reply", f"{reference}: {len(text)} characters, sent to the resident")]

    again = await staff.say(f"/review {reference}")
    assert "💬 已回覆（2026-11-26）：您好，下週三起" in text_of(again) and "（居民評分 5/5）" in text_of(again)


async def test_a_reply_to_an_anonymous_submission_is_stored_and_readable_by_number(world):
    reference = await submit_dibao(world)
    staff = staff_of(world)
    await staff.say("/review")
    prompt = await staff.press("回覆")
    assert "匿名或居民已解除關聯" in text_of(prompt)
    replies = await staff.say("謝謝您的意見，低保標準明年會調整。")
    assert all(r.to is None for r in replies)
    assert "無法通知居民" in plain(replies[0].html)
    bo = world.resident(BO, "zh-hant")
    await bo.say(f"/mystatus {reference}")
    assert "低保標準明年會調整" in bo.text
    [record] = await world.tools.audit.records()
    assert record.detail.endswith("stored only (anonymous or unlinked)")


async def test_close_is_audited_and_the_next_waiting_item_follows(world):
    jobs = await submit_jobs(world)
    world.clock.advance(minutes=1)
    case = await send_case(world)
    staff = staff_of(world)
    await staff.say("/review")
    await staff.press("結案")
    done, following = await staff.press("不回覆，結案")
    assert done.replace and f"{jobs} 已結案" in plain(done.html)
    assert case in plain(following.html) and "（待處理 1 項）" in plain(following.html)
    assert (await world.feedback.lookup(jobs)).status == "closed"
    await staff.press("結案")
    last = await staff.press("不回覆，結案")
    assert "目前沒有待處理的意見或提問" in text_of(last)
    assert [r.detail for r in await world.tools.audit.records()] == [f"{jobs}: received → closed",
                                                                   f"{case}: received → closed"]
    closed = await staff.say(f"/review {jobs}")
    assert "狀態：已結案" in text_of(closed)
    assert labels_of(closed) == ["🔎 處理中 ✓", "💬 回覆", "✔️ 已結案", "⏭ 下一項"]
    again = await staff.press("已結案")
    assert "狀態：已結案" in text_of(again) and len(await world.tools.audit.records()) == 2, "nothing changes"


async def test_buttons_keep_their_places_and_closing_without_a_reply_asks_first(world):
    # The console numbers the buttons: [2] must still mean "reply" after [1] "mark in review" was pressed.
    reference = await submit_jobs(world)
    staff = staff_of(world)
    first = await staff.say("/review")
    after = await staff.press("標為處理中")
    positions = [[b.action.split(":")[1] for r in replies for row in r.buttons for b in row]
                 for replies in (first, after)]
    assert positions[0] == positions[1] == ["ir", "re", "cl", "nx"]

    asked = await staff.press("結案")
    assert "還沒有回覆" in text_of(asked) and "不回覆就結案嗎" in text_of(asked)
    assert labels_of(asked) == ["↩️ 返回", "✔️ 不回覆，結案"]
    assert (await world.feedback.lookup(reference)).status == "in_review", "nothing closed yet"
    back = await staff.press("返回")
    assert reference in text_of(back) and labels_of(back)[1] == "💬 回覆"

    await staff.press("回覆")
    await staff.say("已安排專人聯繫您。")
    staff.last = await staff.say(f"/review {reference}")
    closed = await staff.press("結案")  # replied: no question, it just closes
    assert f"{reference} 已結案" in text_of(closed)
    assert (await world.feedback.lookup(reference)).status == "closed"


async def test_refused_replies_keep_waiting_and_cancel_leaves_nothing_behind(world):
    reference = await submit_jobs(world)
    staff = staff_of(world)
    await staff.say("/review")
    await staff.press("回覆")
    too_long = await staff.say("長" * 3001)
    assert "3001" in text_of(too_long) and "3000" in text_of(too_long)
    blank = await staff.say("   ")
    assert text_of(blank) == "請輸入您的回答。"
    assert (await world.residents.load_state(STAFF)).state == "review_reply"
    staff.last = await staff.say("/review")  # leaves the reply unwritten
    assert (await world.residents.load_state(STAFF)).state == "idle"
    await staff.press("回覆")
    cancelled = await staff.press("取消回覆")
    assert cancelled[0].replace and reference in text_of(cancelled)
    assert (await world.residents.load_state(STAFF)).state == "idle"
    stale = await staff.send(action=f"rv:cx:{reference}")
    assert "這個按鈕已經過期了" in text_of(stale), "no reply being written any more"
    assert (await world.feedback.lookup(reference)).replies == ()
    assert await world.tools.audit.records() == []


async def test_review_by_number_unknown_numbers_and_forged_buttons(world):
    reference = await submit_jobs(world)
    staff = staff_of(world)
    assert reference in text_of(await staff.say(f"/review {reference.lower()}"))
    assert "用法" in text_of(await staff.say("/review 低保"))
    assert "找不到編號" in text_of(await staff.say("/review FB-20990101000000"))
    for forged in ("rv", "rv:zz:" + reference, "rv:cl:FB-1 OR 1=1", "rv:cl:", f"rv:cl:{reference}:x"):
        replies = await staff.send(action=forged)
        assert "這個按鈕已經過期了" in text_of(replies) and all(r.to is None for r in replies), forged
    assert "找不到編號" in text_of(await staff.send(action="rv:cl:FB-20990101000000"))
    assert (await world.feedback.lookup(reference)).status == "received"
    assert await world.tools.audit.records() == []


async def test_nothing_waiting(world):
    assert text_of(await staff_of(world).say("/review")) == "✅ 目前沒有待處理的意見或提問。"


async def test_you_said_we_did_reaches_everyone_who_answered_a_consultation(world):
    await submit_jobs(world, user=ANNA)
    await submit_jobs(world, user=BO)
    await submit_dibao(world, user=CHEN)  # anonymous: nobody to reach
    staff = staff_of(world)
    await staff.say("/announce")
    preview = await staff.say("根據大家的意見，社區下月起開設夜間技能培訓班。")
    buttons = labels_of(preview)
    assert "📤 「就業幫扶」的作答者（2）" in buttons
    assert not any("低保" in b for b in buttons), "anonymous answers cannot be reached"
    [sending] = await staff.press("「就業幫扶」的作答者")
    assert sending.broadcast is not None and sending.broadcast.recipients == (ANNA, BO)
    sent: list[str] = []

    async def send(user, html):
        sent.append(user)
        return "sent"

    [report] = await sending.broadcast.deliver(send)
    assert sent == [ANNA, BO] and report.to == STAFF
    assert [r.action for r in await world.tools.audit.records()] == ["announce", "announce.delivered"]


async def test_old_submissions_in_the_store_show_their_stored_values_when_questions_were_removed(world):
    at = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    from bot.core.feedback.model import Answer

    await world.store.add(NewSubmission(reference="FB-20261120000001", kind="survey", language="zh-Hant",
                                        created_at=at, consultation_id="jobs", user=ANNA,
                                        answers=(Answer("status", "grad", 0), Answer("gone", ("a", "b"), 1))))
    card = text_of(await staff_of(world).say("/review"))
    assert "2026-11-20 10:00" in card, "district time"
    assert "• gone\n   → a / b" in card and "→ 高校畢業生" in card
