"""The ``FeedbackStore`` contract: ``MemoryFeedbackStore`` and ``SqliteFeedbackStore`` behave the same."""
from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.feedback.model import Answer, HelpfulVote, NewSubmission
from bot.core.feedback.ports import AlreadyParticipated, AlreadySubmitted, DuplicateReference
from bot.core.ports import ERASED

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ANSWERS = (Answer("status", "grad", 0), Answer("help", ("skills", "loans"), 1), Answer("rating", 4, 2),
           Answer("note", "夜校 <b>&", 3))


def survey(reference="FB-20261126000001", user="tg:1", at=T0, **kw) -> NewSubmission:
    return NewSubmission(reference=reference, kind="survey", language="zh-Hant", created_at=at,
                         consultation_id=kw.pop("consultation_id", "jobs"), answers=kw.pop("answers", ANSWERS),
                         user=user, **kw)


def case(reference, user="tg:1", at=T0, text="明天會下雨嗎") -> NewSubmission:
    return NewSubmission(reference=reference, kind="case", language="zh-Hant", created_at=at, text=text, user=user)


async def test_a_submission_round_trips_with_every_answer_type(feedback):
    await feedback.add(survey(contact="電話 138"))
    stored = await feedback.get("FB-20261126000001")
    assert stored.answers == ANSWERS
    assert (stored.kind, stored.consultation_id, stored.language, stored.status) == ("survey", "jobs", "zh-Hant",
                                                                                      "received")
    assert stored.created_at == stored.updated_at == T0
    assert stored.linked and stored.has_contact and stored.replies == ()
    assert await feedback.contact("FB-20261126000001") == "電話 138"
    assert await feedback.get("FB-nope") is None


async def test_a_duplicate_reference_writes_nothing(feedback):
    await feedback.add(survey())
    with pytest.raises(DuplicateReference):
        await feedback.add(survey(user="tg:2", consultation_id="other", contact="x"))
    assert [s.consultation_id for s in await feedback.submissions()] == ["jobs"]
    assert await feedback.for_user("tg:2") == []


async def test_anonymous_participation_is_recorded_once_and_not_linked(feedback):
    await feedback.add(survey("FB-1", user=None, participation="token-a", consultation_id="dibao"))
    assert await feedback.participated("token-a") and not await feedback.participated("token-b")
    with pytest.raises(AlreadyParticipated):
        await feedback.add(survey("FB-2", user=None, participation="token-a", consultation_id="dibao"))
    assert [s.reference for s in await feedback.submissions()] == ["FB-1"]
    assert not (await feedback.get("FB-1")).linked


async def test_linked_to_and_for_user_see_only_the_residents_own(feedback):
    await feedback.add(survey("FB-1", at=T0))
    await feedback.add(case("FB-2", at=T0 + timedelta(minutes=5)))
    await feedback.add(survey("FB-3", user="tg:2", at=T0 + timedelta(minutes=1)))
    assert (await feedback.linked_to("tg:1", "jobs")).reference == "FB-1"
    assert await feedback.linked_to("tg:1", "other") is None
    assert [s.reference for s in await feedback.for_user("tg:1")] == ["FB-2", "FB-1"], "newest first"
    assert [s.reference for s in await feedback.for_user("tg:1", limit=1)] == ["FB-2"]
    assert (await feedback.get("FB-2")).text == "明天會下雨嗎"


async def test_answered_lists_linked_consultations_and_stored_tokens(feedback):
    assert await feedback.answered("tg:1", ["tok"]) == set()
    await feedback.add(survey("FB-1"))
    await feedback.add(case("FB-2"))  # a case belongs to no consultation
    await feedback.add(survey("FB-3", user="tg:2", consultation_id="other"))
    await feedback.add(survey("FB-4", user=None, participation="tok", consultation_id="dibao"))
    assert await feedback.answered("tg:1") == {"jobs"}
    assert await feedback.answered("tg:1", ["tok", "unknown"]) == {"jobs", "dibao"}
    assert await feedback.answered("tg:2", []) == {"other"}
    await feedback.forget("tg:1", ["tok"])
    assert await feedback.answered("tg:1", ["tok"]) == set()


async def test_respondents_are_the_linked_residents_of_a_consultation(feedback):
    await feedback.add(survey("FB-1", user="tg:2"))
    await feedback.add(survey("FB-2", user="tg:1"))
    await feedback.add(survey("FB-3", user=None, participation="t"))
    await feedback.add(survey("FB-4", user="tg:3", consultation_id="other"))
    assert await feedback.respondents("jobs") == ["tg:1", "tg:2"]
    await feedback.forget("tg:2")
    assert await feedback.respondents("jobs") == ["tg:1"]


async def test_one_linked_submission_per_resident_per_consultation(feedback):
    await feedback.add(survey("FB-1", contact="c"))
    with pytest.raises(AlreadySubmitted):
        await feedback.add(survey("FB-2", contact="d"))
    with pytest.raises(AlreadySubmitted):
        await feedback.add(survey("FB-3", replaces="FB-9"))  # replacing something else is no excuse
    assert [s.reference for s in await feedback.submissions()] == ["FB-1"]
    assert await feedback.contact("FB-2") is None
    await feedback.add(case("FB-4"))
    await feedback.add(case("FB-5"))  # cases belong to no consultation: any number of them
    await feedback.add(survey("FB-6", user="tg:2"))  # another resident
    await feedback.forget("tg:1")
    await feedback.add(survey("FB-7"))  # once unlinked, the resident may answer afresh


async def test_replacing_deletes_only_the_residents_own_earlier_submission(feedback):
    await feedback.add(survey("FB-1", contact="c"))
    await feedback.add(survey("FB-9", user="tg:2"))
    delivery = await feedback.add_reply("FB-1", "收到", T0)
    await feedback.rate("tg:1", delivery.reply.id, 5, T0)
    await feedback.add(survey("FB-2", replaces="FB-1", at=T0 + timedelta(days=1)))
    assert await feedback.get("FB-1") is None and await feedback.contact("FB-1") is None
    assert (await feedback.linked_to("tg:1", "jobs")).reference == "FB-2"
    await feedback.add(survey("FB-3", user="tg:1", replaces="FB-9", consultation_id="other"))
    assert await feedback.get("FB-9") is not None, "another resident's submission cannot be replaced"


async def test_last_case_time_counts_only_linked_cases(feedback):
    assert await feedback.last_case_at("tg:1") is None
    await feedback.add(case("FB-1", at=T0))
    await feedback.add(case("FB-2", at=T0 + timedelta(minutes=3)))
    await feedback.add(survey("FB-3", at=T0 + timedelta(hours=1)))
    assert await feedback.last_case_at("tg:1") == T0 + timedelta(minutes=3)
    assert await feedback.last_case_at("tg:2") is None


async def test_replies_statuses_and_ratings(feedback):
    await feedback.add(survey("FB-1"))
    await feedback.add(survey("FB-2", user=None, participation="t"))
    assert await feedback.set_status("FB-1", "in_review", T0 + timedelta(hours=1))
    assert not await feedback.set_status("FB-x", "closed", T0)
    assert (await feedback.get("FB-1")).status == "in_review"
    first = await feedback.add_reply("FB-1", "第一次回覆", T0 + timedelta(hours=2))
    second = await feedback.add_reply("FB-1", "第二次回覆", T0 + timedelta(hours=3))
    assert (first.user, first.language, first.reply.reference) == ("tg:1", "zh-Hant", "FB-1")
    assert second.reply.id != first.reply.id
    assert (await feedback.add_reply("FB-2", "匿名的", T0)).user is None
    assert await feedback.add_reply("FB-x", "?", T0) is None
    assert await feedback.rate("tg:1", first.reply.id, 3, T0)
    assert await feedback.rate("tg:1", first.reply.id, 5, T0), "rating again changes it"
    assert not await feedback.rate("tg:2", second.reply.id, 1, T0), "not their submission"
    assert not await feedback.rate("tg:1", 999_999, 1, T0)
    stored = await feedback.get("FB-1")
    assert stored.status == "answered" and stored.updated_at == T0 + timedelta(hours=3)
    assert [(r.text, r.rating) for r in stored.replies] == [("第一次回覆", 5), ("第二次回覆", None)]


async def test_forget_unlinks_deletes_contact_tokens_and_typed_text_but_keeps_the_other_answers(feedback):
    await feedback.add(survey("FB-1", contact="電話"))
    await feedback.add(case("FB-2", text="我的身份證號是 110101199003071234"))
    await feedback.add(survey("FB-3", user=None, participation="tok", consultation_id="dibao"))
    await feedback.add(survey("FB-4", user="tg:2", contact="別人"))
    assert await feedback.forget("tg:1", ["tok"], {"jobs": ["note"]}) == 2
    assert await feedback.for_user("tg:1") == [] and await feedback.linked_to("tg:1", "jobs") is None
    assert await feedback.contact("FB-1") is None and not await feedback.participated("tok")
    kept = await feedback.get("FB-1")
    assert kept.answers == ANSWERS[:3] + (Answer("note", ERASED, 3),)  # the typed note goes; choices and scale stay
    assert not kept.linked and not kept.has_contact
    assert (await feedback.get("FB-2")).text == ERASED
    assert (await feedback.get("FB-4")).answers == ANSWERS and await feedback.contact("FB-4") == "別人"
    assert (await feedback.get("FB-3")).answers == ANSWERS  # anonymous: nobody's to erase
    assert await feedback.forget("tg:1") == 0


async def test_forget_without_knowing_the_questions_erases_every_text_value(feedback):
    await feedback.add(survey("FB-1"))
    await feedback.forget("tg:1", (), None)
    assert (await feedback.get("FB-1")).answers == (Answer("status", ERASED, 0), *ANSWERS[1:3],
                                                    Answer("note", ERASED, 3))


async def test_submissions_filter_by_time_and_consultation(feedback):
    await feedback.add(survey("FB-1", at=T0))
    await feedback.add(survey("FB-2", user="tg:2", at=T0 + timedelta(days=1), consultation_id="other"))
    await feedback.add(case("FB-3", at=T0 + timedelta(days=2)))
    assert [s.reference for s in await feedback.submissions()] == ["FB-1", "FB-2", "FB-3"]
    assert [s.reference for s in await feedback.submissions(since=T0 + timedelta(days=1))] == ["FB-2", "FB-3"]
    assert [s.reference for s in await feedback.submissions(consultation_id="other")] == ["FB-2"]


async def test_submissions_page_by_page_in_arrival_order(feedback):
    # three arrive at the same moment: pages must neither skip nor repeat one of them
    moments = [T0, T0, T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=1), T0 + timedelta(days=1)]
    for n, at in enumerate(moments):
        await feedback.add(survey(f"FB-{n}", user=f"tg:{n}", at=at, consultation_id="jobs" if n % 2 else "other"))
    everything = [s.reference for s in await feedback.submissions()]
    assert everything == [f"FB-{n}" for n in range(6)]
    paged, after = [], None
    while page := await feedback.submissions(after=after, limit=2):
        paged.extend(s.reference for s in page)
        after = page[-1].reference
    assert paged == everything
    assert [s.reference for s in await feedback.submissions(consultation_id="jobs", after="FB-1", limit=5)] == [
        "FB-3", "FB-5"]
    assert [s.reference for s in await feedback.submissions(since=T0 + timedelta(seconds=1), after="FB-3")] == [
        "FB-4", "FB-5"]


async def test_answered_questions_name_an_exports_columns(feedback):
    await feedback.add(survey("FB-1", answers=(Answer("status", "grad", 0), Answer("help", ("loans",), 1))))
    await feedback.add(survey("FB-2", user="tg:2", answers=(Answer("note", "x", 0),)))
    await feedback.add(survey("FB-3", user="tg:3", consultation_id="dibao", answers=(Answer("amount", 3, 0),),
                              at=T0 + timedelta(days=1)))
    await feedback.add(case("FB-4"))
    assert await feedback.answered_questions() == {"jobs": ["help", "note", "status"], "dibao": ["amount"]}
    assert await feedback.answered_questions(since=T0 + timedelta(hours=1)) == {"dibao": ["amount"]}
    assert await feedback.answered_questions(consultation_id="jobs") == {"jobs": ["help", "note", "status"]}


async def test_votes_keep_no_resident(feedback):
    votes = [HelpfulVote("policy-a", True, "zh-Hant", T0), HelpfulVote("policy-a", False, "en", T0 + timedelta(1))]
    for vote in votes:
        await feedback.record_vote(vote)
    assert await feedback.votes() == votes
    assert await feedback.votes(since=T0 + timedelta(hours=1)) == votes[1:]
    assert {f.name for f in dataclasses.fields(HelpfulVote)} == {"entry_id", "helpful", "language", "voted_at"}


async def test_in_status_walks_the_review_queue_oldest_first_from_a_position(feedback):
    await feedback.add(survey("FB-3", at=T0 + timedelta(hours=1)))
    await feedback.add(case("FB-1", user="tg:2", at=T0))
    await feedback.add(survey("FB-2", user=None, participation="t", at=T0))  # same time: the reference decides
    await feedback.add(case("FB-4", user="tg:3", at=T0 + timedelta(hours=2)))
    await feedback.set_status("FB-4", "closed", T0)
    await feedback.set_status("FB-3", "in_review", T0)
    waiting = ("received", "in_review")
    assert [s.reference for s in await feedback.in_status(waiting)] == ["FB-1", "FB-2", "FB-3"]
    assert [s.reference for s in await feedback.in_status(waiting, after=(T0, "FB-1"))] == ["FB-2", "FB-3"]
    assert [s.reference for s in await feedback.in_status(waiting, after=(T0, "FB-2"), limit=1)] == ["FB-3"]
    assert await feedback.in_status(waiting, after=(T0 + timedelta(hours=1), "FB-3")) == []
    assert [s.reference for s in await feedback.in_status(("closed",))] == ["FB-4"]
    assert (await feedback.in_status(("received",), limit=1))[0].answers == ()
    assert await feedback.count_in_status(waiting) == 3
    assert await feedback.count_in_status(("answered",)) == 0


async def test_linked_users_map_references_to_user_keys_for_pseudonymous_exports(feedback):
    await feedback.add(survey("FB-1", at=T0))
    await feedback.add(survey("FB-2", user=None, participation="t", at=T0))
    await feedback.add(case("FB-3", user="tg:2", at=T0 + timedelta(days=1)))
    await feedback.add(survey("FB-4", user="tg:3", consultation_id="other", at=T0 + timedelta(days=1)))
    assert await feedback.linked_users() == {"FB-1": "tg:1", "FB-3": "tg:2", "FB-4": "tg:3"}
    assert await feedback.linked_users(since=T0 + timedelta(hours=1)) == {"FB-3": "tg:2", "FB-4": "tg:3"}
    assert await feedback.linked_users(consultation_id="jobs") == {"FB-1": "tg:1"}
    await feedback.forget("tg:1")
    assert "FB-1" not in await feedback.linked_users()
