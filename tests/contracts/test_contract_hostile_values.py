"""Values no honest client sends never crash a store (either implementation): a reply id beyond 64 bits, text
with a lone surrogate (what a broken client or a cut-off emoji can produce). Text is kept with U+FFFD instead."""
from __future__ import annotations

from datetime import UTC, datetime

from bot.core.feedback.model import Answer, NewSubmission
from bot.core.ports import ResidentState, UnansweredQuestion, clean_text

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
BROKEN = "\ud800低保"


def test_clean_text_replaces_lone_surrogates_and_keeps_everything_else():
    assert clean_text(BROKEN) == "\ufffd低保"
    assert clean_text("\ud83d\ude00 ok") == "😀 ok"  # a pair written as two surrogates is its character
    assert clean_text("低保 😀") == "低保 😀"


async def test_a_reply_id_beyond_64_bits_is_no_reply_not_a_crash(feedback):
    await feedback.add(NewSubmission(reference="FB-1", kind="case", language="zh-Hant", created_at=T0, text="問題",
                                     user="tg:1"))
    await feedback.add_reply("FB-1", "回覆", T0)
    for reply_id in (99999999999999999999999, 2**63, -1, 0):
        assert await feedback.rate("tg:1", reply_id, 5, T0) is False


async def test_a_lone_surrogate_is_stored_as_a_replacement_character(residents, feedback):
    await residents.save_state(ResidentState(user="tg:1", state="idle", data={"case_question": BROKEN}))
    assert (await residents.load_state("tg:1")).data["case_question"] in (BROKEN, "\ufffd低保")
    await residents.record_unanswered(UnansweredQuestion(BROKEN, "not_found", "zh-Hant", None, T0, user="tg:1"))
    [question] = await residents.unanswered()
    assert question.question in (BROKEN, "\ufffd低保")
    await feedback.add(NewSubmission(reference="FB-2", kind="survey", language="zh-Hant", created_at=T0,
                                     consultation_id="jobs", answers=(Answer("note", BROKEN, 0),), user="tg:1",
                                     contact=BROKEN))
    await feedback.add(NewSubmission(reference="FB-3", kind="case", language="zh-Hant", created_at=T0, text=BROKEN,
                                     user="tg:2"))
    await feedback.add_reply("FB-3", BROKEN, T0)
    stored = await feedback.get("FB-3")
    assert stored.text.endswith("低保") and stored.replies[0].text.endswith("低保")
    assert (await feedback.get("FB-2")).answers[0].value.endswith("低保")
