"""Reference numbers: a number that alone shows a submission carries 80 random bits; look-ups of numbers that
show nothing are limited per resident; a linked submission is shown only to its own resident; numbers drawn
before (``FB-`` + date + six digits) keep working, but only for the resident they are linked to."""
from __future__ import annotations

from feedback_helpers import REFERENCE

from bot.core.feedback.model import NewSubmission


async def anonymous_submission(r) -> str:
    await r.say("/feedback")
    await r.press("低保意見")
    await r.press("沒有申請")
    await r.press("⏭")
    await r.press("確認提交")
    assert "已匿名提交" in r.text
    return r.reference()


async def test_an_anonymous_number_is_long_shown_in_full_and_opens_its_submission(world):
    r = world.resident()
    reference = await anonymous_submission(r)
    assert len(reference) == len("FB-XXXX-XXXX-XXXX-XXXX") and r.text.count(reference) >= 1
    neighbour = world.resident("tg:2002")  # a phone borrowed, a new account: the number alone is the key
    await neighbour.say(f"/mystatus {reference.lower().replace('-', ' ')}")
    assert "已收到" in neighbour.text and reference in neighbour.text


async def test_look_ups_of_unknown_numbers_are_limited_per_resident(world):
    owner = world.resident()
    reference = await anonymous_submission(owner)
    guesser = world.resident("tg:6666")
    for n in range(10):
        await guesser.say(f"/mystatus FB-0000-0000-0000-{n:04d}")
        assert "找不到編號" in guesser.text
    await guesser.say(f"/mystatus {reference}")  # even a right number, once the limit is reached
    assert "太多不存在的編號" in guesser.text and "60 分鐘" in guesser.text and "已收到" not in guesser.text
    await owner.say(f"/mystatus {reference}")  # others are not limited by the guesser
    assert "已收到" in owner.text
    world.clock.advance(minutes=30)
    await guesser.say(f"/mystatus {reference}")
    assert "30 分鐘" in guesser.text
    world.clock.advance(minutes=30)
    await guesser.say(f"/mystatus {reference}")
    assert "已收到" in guesser.text


async def test_a_linked_submission_is_shown_only_to_its_resident_until_it_is_unlinked(world):
    r = world.resident(language_code="en")
    await r.say("/feedback")
    await r.press("Other suggestions")
    await r.say("More benches in the park")
    await r.press("Submit")
    await r.press("No, thanks")
    reference = r.reference()
    stranger = world.resident("tg:3003", language_code="en")
    await stranger.say(f"/mystatus {reference}")
    assert "No submission has the reference number" in stranger.text
    await r.say(f"/mystatus {reference}")
    assert "received" in r.text
    await r.say("/forget_me")
    await r.press("Yes")
    await stranger.say(f"/mystatus {reference}")  # unlinked now: the long number alone shows it
    assert "received" in stranger.text


async def test_short_numbers_from_before_keep_working_only_for_their_linked_resident(world, knowledge):
    at = world.clock()
    await world.store.add(NewSubmission(reference="FB-20261120000001", kind="case", language="zh-Hant",
                                        created_at=at, text="路燈壞了", user="tg:1001"))
    await world.store.add(NewSubmission(reference="FB-20261120000002", kind="survey", language="zh-Hant",
                                        created_at=at, consultation_id="dibao", participation="token-x"))
    owner, stranger = world.resident("tg:1001"), world.resident("tg:4004")
    await owner.say("/mystatus fb-20261120000001")
    assert "已收到" in owner.text
    await stranger.say("/mystatus FB-20261120000001")
    assert "找不到編號" in stranger.text
    for who in (owner, stranger):  # a short number never opens an unlinked submission (~20 bits a day)
        await who.say("/mystatus FB-20261120000002")
        assert "找不到編號" in who.text
    assert REFERENCE.fullmatch("FB-20261120000001") is None  # new numbers never look like the old ones
