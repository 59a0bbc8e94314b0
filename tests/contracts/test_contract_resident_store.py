"""The ``ResidentStore`` contract: ``MemoryResidentStore`` and ``SqliteResidentStore`` behave the same."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.ports import ERASED, ResidentState, UnansweredQuestion

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


async def test_an_unknown_resident_is_idle_with_nothing_remembered(residents):
    state = await residents.load_state("tg:1")
    assert (state.user, state.state, state.data, state.language, state.reminded) == ("tg:1", "idle", {}, None, False)


async def test_state_round_trips_with_unicode_and_nested_data(residents):
    state = ResidentState(user="tg:1", language="zh-Hans", last_language="en", state="fb.question",
                          data={"c": "jobs", "a": {"note": "夜校 <b>", "help": ["a", "b"], "n": 3}, "rep": None},
                          updated_at=T0, reminded=True)
    await residents.save_state(state)
    assert await residents.load_state("tg:1") == state


async def test_saving_again_replaces_and_callers_cannot_mutate_the_store(residents):
    state = ResidentState(user="tg:1", state="fb.summary", data={"a": {"x": 1}}, updated_at=T0)
    await residents.save_state(state)
    state.data["a"]["x"] = 2  # a caller changing its copy after saving
    loaded = await residents.load_state("tg:1")
    assert loaded.data == {"a": {"x": 1}}
    loaded.data["a"]["x"] = 3  # and changing what it loaded
    assert (await residents.load_state("tg:1")).data == {"a": {"x": 1}}
    await residents.save_state(ResidentState(user="tg:1", updated_at=T0))
    assert (await residents.load_state("tg:1")).state == "idle"


async def test_stale_flows_are_non_idle_unreminded_and_older_than_the_limit(residents):
    for user, state, at, reminded in [("old", "fb.question", T0, False), ("new", "fb.question", T0 + timedelta(hours=1),
                                      False), ("idle", "idle", T0, False), ("done", "fb.summary", T0, True)]:
        await residents.save_state(ResidentState(user=user, state=state, updated_at=at, reminded=reminded))
    stale = await residents.stale_flows(T0 + timedelta(minutes=30))
    assert [s.user for s in stale] == ["old"]


async def test_forget_deletes_the_resident_and_nobody_else(residents):
    await residents.save_state(ResidentState(user="tg:1", language="en", state="fb.question", updated_at=T0))
    await residents.save_state(ResidentState(user="tg:2", language="en", updated_at=T0))
    await residents.forget("tg:1")
    await residents.forget("tg:never-seen")
    assert (await residents.load_state("tg:1")).language is None
    assert (await residents.load_state("tg:2")).language == "en"
    assert await residents.stale_flows(T0 + timedelta(days=1)) == []


async def test_unanswered_questions_in_order_and_since(residents):
    for minutes, text in [(0, "明天會下雨嗎"), (10, "火星天氣"), (20, "第三個")]:
        await residents.record_unanswered(UnansweredQuestion(text, "not_found", "zh-Hant", None,
                                                             T0 + timedelta(minutes=minutes)))
    assert [q.question for q in await residents.unanswered()] == ["明天會下雨嗎", "火星天氣", "第三個"]
    since = await residents.unanswered(T0 + timedelta(minutes=10))
    assert [q.question for q in since] == ["火星天氣", "第三個"]
    assert since[0] == UnansweredQuestion("火星天氣", "not_found", "zh-Hant", None, T0 + timedelta(minutes=10))


async def test_forget_erases_the_residents_unanswered_questions_and_keeps_them_counted(residents):
    for user, text in (("tg:1", "我的身份證號是 110101199003071234，可以領低保嗎"), ("tg:2", "火星天氣"),
                       (None, "從前的問題")):
        await residents.record_unanswered(UnansweredQuestion(text, "not_found", "zh-Hant", "policy-dibao", T0,
                                                             user=user))
    assert all(q.user is None for q in await residents.unanswered())  # staff tools never see the asker
    await residents.forget("tg:1")
    kept = await residents.unanswered()
    assert [q.question for q in kept] == [ERASED, "火星天氣", "從前的問題"]
    assert (kept[0].reason, kept[0].nearest_id, kept[0].asked_at) == ("not_found", "policy-dibao", T0)
    await residents.forget("tg:1")  # nothing left of theirs: nothing else changes
    assert [q.question for q in await residents.unanswered()] == [ERASED, "火星天氣", "從前的問題"]
