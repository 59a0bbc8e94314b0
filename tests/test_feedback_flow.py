"""Policy feedback through the core (``Assistant.handle``), as residents use it: every test presses only buttons the
previous replies offered (or forges callback data on purpose), on the in-memory and on the SQLite stores."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from feedback_helpers import ENTRIES_YAML, Clock, close_world, memory_world, sqlite_world, write_knowledge

from bot.core.errors import LimitExceeded
from bot.core.feedback import flow
from bot.core.knowledge.service import KnowledgeService
from bot.core.memory_store import MemoryResidentStore

LABELS = {
    "zh-Hant": dict(code="zh-hant", title="就業幫扶", grad="高校畢業生", skills="技能培訓", referrals="崗位推薦",
                    done="完成", five="5 · 很滿意", typed="希望多辦招聘會", submit="確認提交", no="不用了",
                    header="第 1/4 題", next="接下來"),
    "zh-Hans": dict(code="zh-hans", title="就业帮扶", grad="高校毕业生", skills="技能培训", referrals="岗位推荐",
                    done="完成", five="5 · 很满意", typed="希望多办招聘会", submit="确认提交", no="不用了",
                    header="第 1/4 题", next="接下来"),
    "en": dict(code="en", title="Job support", grad="Graduate", skills="Skills training", referrals="Job referrals",
               done="Done", five="5 · Very satisfied", typed="More job fairs please", submit="Submit",
               no="No, thanks", header="question 1 of 4", next="What happens next"),
}


async def answer_jobs(r, labels=LABELS["zh-Hant"], note: str | None = None):
    """/feedback → jobs → graduate → skills + referrals → 5 → note (or skip) → the summary."""
    await r.say("/feedback")
    await r.press(labels["title"])
    await r.press(labels["grad"])
    await r.press(labels["skills"])
    await r.press(labels["referrals"])
    await r.press(labels["done"])
    await r.press(labels["five"])
    if note is None:
        await r.press("⏭")
    else:
        await r.say(note)


@pytest.mark.parametrize("lang", ["zh-Hant", "zh-Hans", "en"])
async def test_full_consultation_in_each_language(world, lang):
    L = LABELS[lang]
    r = world.resident(language_code=L["code"])
    await r.say("/feedback")
    assert L["title"] in r.buttons()
    await r.press(L["title"])
    assert L["header"] in r.text and len(r.last) == 2  # the description, then the first question
    await r.press(L["grad"])
    await r.press(L["skills"])
    assert r.last[0].replace, "ticking an option edits the question in place"
    assert any(b.startswith("☑️") for b in r.buttons())
    await r.press(L["referrals"])
    await r.press(L["done"])
    await r.press(L["five"])
    await r.say(L["typed"])
    assert await r.state() == flow.SUMMARY
    for shown in (L["grad"], L["skills"], L["referrals"], L["typed"]):
        assert shown in r.text
    await r.press(L["submit"])
    assert await r.state() == flow.CONSENT
    await r.press(L["no"])
    assert L["next"] in r.text
    reference = r.reference()
    assert await r.state() == "idle"
    stored = await world.store.get(reference)
    assert stored.language == lang and stored.linked and not stored.has_contact
    assert {a.question_id: a.value for a in stored.answers} == {
        "status": "grad", "help": ("skills", "referrals"), "rating": 5, "note": L["typed"]}


async def test_ask_only_if_leaves_out_a_question_whose_condition_fails(world):
    r = world.resident()
    await r.say("/feedback")
    await r.press("就業幫扶")
    await r.press("其他")  # status=other: the "help" question (only for graduates and school leavers) is skipped
    assert "第 2/3 題" in r.text and "對就業服務滿意嗎" in r.text
    await r.press("3 · 一般")
    await r.press("⏭")
    assert "需要哪些幫助" not in r.text
    await r.press("確認提交")
    await r.press("不用了")
    stored = await world.store.get(r.reference())
    assert [a.question_id for a in stored.answers] == ["status", "rating"]


async def test_back_restores_ticks_and_changes_an_earlier_answer(world):
    r = world.resident()
    await r.say("/feedback")
    await r.press("就業幫扶")
    assert "上一題" not in " ".join(r.buttons()), "no way back from the first question"
    await r.press("兩后生")
    await r.press("技能培訓")
    await r.press("創業貸款")
    await r.press("完成")
    await r.press("上一題")  # back to the multiple-choice question: the ticks come back
    assert "需要哪些幫助" in r.text
    assert [b for b in r.buttons() if b.startswith("☑️")] == ["☑️ 技能培訓", "☑️ 創業貸款"]
    await r.press("上一題")  # back to the first question, and change its answer
    await r.press("其他")
    assert "對就業服務滿意嗎" in r.text  # the conditional question no longer applies
    await r.press("1 · 很不滿意")
    await r.say("多開夜班培訓")
    await r.press("修改上一題")  # from the summary back to the text question
    assert "還有什麼建議" in r.text
    await r.press("⏭")
    await r.press("確認提交")
    await r.press("不用了")
    stored = await world.store.get(r.reference())
    assert {a.question_id: a.value for a in stored.answers} == {"status": "other", "rating": 1}


async def test_cancel_at_several_steps_saves_nothing(world):
    r = world.resident()
    await r.say("/feedback")
    await r.press("就業幫扶")
    await r.press("取消")  # the button, at the first question
    assert "沒有保存" in r.text and await r.state() == "idle"
    await answer_jobs(r)
    await r.say("/cancel")  # the command, at the summary
    assert "已取消" in r.text and await r.state() == "idle"
    await answer_jobs(r)
    await r.press("確認提交")
    await r.press("取消") if "取消" in " ".join(r.buttons()) else await r.say("/cancel")  # at the consent step
    assert await r.state() == "idle"
    assert await world.store.submissions() == []


async def test_menu_in_the_middle_of_a_survey_asks_and_continuing_keeps_the_answers(world):
    r = world.resident()
    await r.say("/feedback")
    await r.press("就業幫扶")
    await r.press("高校畢業生")
    await r.say("/menu")
    assert "您正在填寫「就業幫扶」" in r.text and "保留" in r.text
    assert r.buttons() == ["▶️ 繼續填寫", "🏠 離開問卷，打開主選單"]
    await r.press("繼續填寫")
    assert "需要哪些幫助" in r.text, "back at the question where the resident was"
    await r.press("技能培訓")
    await r.press("完成")
    await r.press("5 ·")
    await r.say("/menu")  # at the text question
    await r.press("繼續填寫")
    await r.press("⏭")
    await r.say("/menu")  # at the summary
    await r.press("繼續填寫")
    await r.press("確認提交")
    await r.press("不用了")
    stored = await world.store.get(r.reference())
    assert {a.question_id: a.value for a in stored.answers} == {"status": "grad", "help": ("skills",), "rating": 5}


async def test_menu_in_the_middle_of_a_survey_can_leave_it_for_the_menu(world):
    r = world.resident()
    await r.say("/feedback")
    await r.press("就業幫扶")
    await r.press("高校畢業生")
    await r.say("/menu")
    replies = await r.press("離開問卷")
    assert "沒有保存" in replies[0].html and "社區服務" in r.buttons()
    assert await r.state() == "idle" and await world.store.submissions() == []


async def test_invalid_inputs_at_every_step_are_refused_and_move_no_one(world):
    r = world.resident()
    await r.forge("fc:no-such-consultation")
    assert "已經結束" in r.text
    await r.forge("fc:closed-one")
    assert "已經結束" in r.text and await r.state() == "idle"
    await r.say("/feedback")
    assert "已結束的問卷" not in r.buttons(), "closed consultations are not listed"
    await r.press("就業幫扶")

    async def refused(incoming_text=None, action=None, expect=""):
        before = await world.residents.load_state(r.user)
        on_screen = r.last  # earlier messages stay on the phone; their buttons can still be pressed
        await (r.say(incoming_text) if incoming_text is not None else r.forge(action))
        assert expect in r.text, (incoming_text, action, r.text)
        after = await world.residents.load_state(r.user)
        assert (after.state, after.data) == (before.state, before.data)
        r.last = on_screen + r.last

    # single choice
    await refused("我是畢業生", expect="請用題目下方的按鈕")
    await refused(action="fa:status:phd", expect="不是題目的選項")
    await refused(action="fa:status", expect="不是題目的選項")
    await refused(action="fa:rating:3", expect="屬於另一道題")
    await refused(action="fd:status", expect="請用題目下方的按鈕")
    await refused(action="ft:status:grad", expect="不是題目的選項")
    await refused(action="fs:status", expect="必須回答")
    await refused(action="fbk:status", expect="您屬於哪一類")
    await r.press("高校畢業生")
    # multiple choice
    await refused(action="fd:help", expect="至少選擇一項")
    await refused(action="ft:help:bogus", expect="不是題目的選項")
    await refused(action="fa:help:skills", expect="請用題目下方的按鈕")
    await refused("技能培訓", expect="請用題目下方的按鈕")
    await r.press("技能培訓")
    await r.press("完成")
    # scale: out-of-range numbers, typed or forged
    for bad in ("fa:rating:0", "fa:rating:6", "fa:rating:-1", "fa:rating:abc", "fa:rating:3.5"):
        await refused(action=bad, expect="1 到 5")
    await refused("9", expect="1 到 5")
    await refused("很滿意", expect="請用題目下方的按鈕")
    await r.say("4")  # a typed number 1-5 answers a scale
    # text: a 10,000-character answer, and an empty one
    await refused("長" * 10_000, expect="10000 個字，這裡最多 50 個字")
    await refused("   ", expect="請輸入您的回答")
    await r.say("夜間培訓")
    assert await r.state() == flow.SUMMARY
    # summary: text, and buttons of other steps
    await refused("好的", expect="請確認您的回答")
    await refused(action="fct:y", expect="按鈕已經過期")
    await refused(action="fa:status:grad", expect="按鈕已經過期")
    await r.press("確認提交")
    # consent and contact
    await refused("可以", expect="聯繫您嗎")
    await refused(action="fct:maybe", expect="按鈕已經過期")
    await r.press("可以聯繫我")
    await refused("1" * 10_000, expect="這裡最多 100 個字")
    await refused("  ", expect="請輸入您的回答")
    assert await world.store.submissions() == []
    await r.say("電話 138-0000-0000")
    stored = await world.store.get(r.reference())
    assert stored.has_contact and {a.question_id: a.value for a in stored.answers}["rating"] == 4


async def test_a_restart_in_the_middle_resumes_where_the_resident_was(knowledge, tmp_path):
    path = tmp_path / "bot.sqlite3"
    clock = Clock()
    first = await sqlite_world(knowledge, path, clock)
    r = first.resident()
    await r.say("/feedback")
    await r.press("就業幫扶")
    await r.press("兩后生")
    await r.press("崗位推薦")
    offered = r.last  # the multiple-choice question, on the resident's screen when the bot stops
    await first.database.close()

    second = await sqlite_world(knowledge, path, clock)  # a new process: new Assistant, same file
    r2 = second.resident()
    r2.last = offered
    await r2.press("完成")  # a button from before the restart still works: the tick survived
    assert "對就業服務滿意嗎" in r2.text
    await r2.press("2")
    await r2.say("沒有了")
    await r2.press("確認提交")
    await r2.press("不用了")
    stored = await second.store.get(r2.reference())
    assert {a.question_id: a.value for a in stored.answers} == {
        "status": "leaver", "help": ("referrals",), "rating": 2, "note": "沒有了"}
    await second.database.close()


async def test_typing_after_a_restart_shows_the_current_question_again(knowledge, tmp_path):
    path = tmp_path / "bot.sqlite3"
    first = await sqlite_world(knowledge, path)
    r = first.resident()
    await r.say("/feedback")
    await r.press("其他意見建議")
    await first.database.close()
    second = await sqlite_world(knowledge, path)
    r2 = second.resident()
    await r2.say("希望社區多辦講座")
    assert "請確認您的回答" in r2.text and "希望社區多辦講座" in r2.text
    await second.database.close()


async def test_consent_given_keeps_contact_apart_from_the_answers(world):
    r = world.resident()
    await answer_jobs(r, note="夜校")
    await r.press("確認提交")
    assert "聯繫您嗎" in r.text
    await r.press("可以聯繫我")
    await r.say("  電話 138 0000 0000  ")
    assert "只會就這份意見聯繫您" in r.text
    reference = r.reference()
    stored = await world.store.get(reference)
    assert stored.has_contact and await world.store.contact(reference) == "電話 138 0000 0000"
    # the contact's digits, not "138" alone: a random reference number (FB-…311385) may hold those three
    contact_forms = ("138 0000 0000", "13800000000")
    assert not any(form in repr(stored) for form in contact_forms) and r.user not in repr(stored)
    if world.database is not None:
        rows = await world.database.fetchall("SELECT * FROM feedback_answer")
        assert rows and all(form not in str(tuple(row)) for row in rows for form in contact_forms)
        submission_rows = await world.database.fetchall("SELECT * FROM feedback_submission")
        assert all(r.user not in str(tuple(row)) for row in submission_rows)


async def test_consent_refused_or_withdrawn_stores_no_contact(world):
    r = world.resident()
    await answer_jobs(r)
    await r.press("確認提交")
    await r.press("可以聯繫我")
    await r.press("不用了")  # changed their mind while asked for the details
    assert await world.store.contact(r.reference()) is None
    other = world.resident("tg:2002")
    await answer_jobs(other)
    await other.press("確認提交")
    await other.press("不用了")
    assert not (await world.store.get(other.reference())).has_contact


async def test_anonymous_consultation_is_never_linked_to_the_resident(world):
    r = world.resident()
    world.clock.advance(hours=5, minutes=17)
    await r.say("/feedback")
    await r.press("低保意見")
    assert "匿名" in r.text
    await r.press("正在領取")
    await r.press("1 · 遠遠不夠")
    await r.say("藥費太貴")
    await r.press("確認提交")  # no consent question for anonymous consultations
    assert "已匿名提交" in r.text and "/mystatus 不會列出" in r.text
    reference = r.reference()
    stored = await world.store.get(reference)
    assert not stored.linked and not stored.has_contact
    now = world.clock()
    assert stored.created_at == now.replace(minute=0, second=0, microsecond=0), "only the hour is kept"
    await r.say("/mystatus")
    assert reference not in r.text
    await r.say(f"/mystatus {reference}")
    assert reference in r.text and "已收到" in r.text
    # staff can reply, but nobody can be notified; the reply shows up under the reference number
    assert await world.feedback.reply(reference, "感謝意見，醫療救助另有政策。") == []
    await r.say(f"/mystatus {reference.lower()}")
    assert "醫療救助另有政策" in r.text
    # typed the way people type it: no dash, any case, full-width characters, a space instead of the dash
    digits = reference[3:]
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in digits)
    for typed in (f"fb{digits}", f"Fb {digits}", f"ＦＢ－{full_width}", f"FB{full_width}"):
        await r.say(f"/mystatus {typed}")
        assert "醫療救助另有政策" in r.text, typed
    # answering twice is refused, without knowing which submission was theirs
    await r.say("/feedback")
    assert "✅ 低保意見（匿名）" in r.buttons()
    await r.press("低保意見")
    assert "已經回答過這份匿名問卷" in r.text and await r.state() == "idle"
    neighbour = world.resident("tg:2002")
    await neighbour.say("/feedback")
    await neighbour.press("低保意見")
    await neighbour.press("沒有申請")
    assert "其他意見" in neighbour.text  # the adequacy question applies only to recipients
    if world.database is not None:
        for table in ("feedback_submission", "feedback_answer", "feedback_link", "feedback_contact",
                      "feedback_participation", "feedback_reply"):
            for row in await world.database.fetchall(f"SELECT * FROM {table}"):
                assert r.user not in str(tuple(row)), table


async def test_mystatus_lists_submissions_with_states_and_replies(world):
    r = world.resident(language_code="en")
    await r.say("/mystatus")
    assert "no submissions yet" in r.text
    await answer_jobs(r, LABELS["en"])
    await r.press("Submit")
    await r.press("No, thanks")
    jobs = r.reference()
    world.clock.advance(minutes=1)
    await r.say("/feedback")
    await r.press("Other suggestions")
    await r.say("Please repair the <lift> & the lights")
    await r.press("Submit")
    await r.press("No, thanks")
    other = r.reference()
    await world.feedback.set_status(jobs, "in_review")
    await world.feedback.reply(other, "Repairs are booked for Monday.")
    await r.say("/mystatus")
    assert r.text.index(other) < r.text.index(jobs), "newest first"
    assert "state: in review" in r.text and "state: answered" in r.text
    assert "Repairs are booked for Monday." in r.text
    stranger = world.resident("tg:3003", language_code="en")
    await stranger.say(f"/mystatus {jobs}")
    assert "No submission has the reference number" in stranger.text, "a linked submission is private"
    await stranger.say("/mystatus FB-<script>")
    assert "&lt;script&gt;" in stranger.last[0].html


async def test_staff_reply_and_rating_round_trip(world):
    r = world.resident()
    await answer_jobs(r)
    await r.press("確認提交")
    await r.press("不用了")
    reference = r.reference()
    [message] = await world.feedback.reply(reference, "已安排 <就業見習> & 培訓。")
    assert message.to == r.user and reference in message.html
    assert "&lt;就業見習&gt; &amp; 培訓" in message.html
    assert [b.label for row in message.buttons for b in row] == ["1", "2", "3", "4", "5"]
    r.last = [message]  # the resident sees the reply and its rating buttons
    await r.press("4")
    assert "4/5" in r.text
    assert (await world.store.get(reference)).replies[0].rating == 4
    r.last = [message]
    await r.press("2")  # a second press changes the rating
    stored = await world.store.get(reference)
    assert stored.status == "answered" and stored.replies[0].rating == 2
    reply_id = stored.replies[0].id
    intruder = world.resident("tg:6666")
    await intruder.forge(f"fr:{reply_id}:5")
    await r.forge(f"fr:{reply_id}:9")
    await r.forge("fr:abc:1")
    assert (await world.store.get(reference)).replies[0].rating == 2


async def test_one_submission_per_consultation_a_later_one_replaces_the_earlier(world):
    r = world.resident()
    await answer_jobs(r)
    await r.press("確認提交")
    await r.press("不用了")
    first = r.reference()
    world.clock.advance(days=1)
    await r.say("/feedback")
    assert "✅ 就業幫扶" in r.buttons()
    await r.press("就業幫扶")
    assert "回答過這份問卷" in r.text and first in r.text and await r.state() == flow.REPLACE
    await r.say("隨便")
    assert "請用題目下方的按鈕" in r.text
    await r.press("保留先前的回答")
    assert await r.state() == "idle" and await world.store.get(first) is not None
    await r.say("/feedback")
    await r.press("就業幫扶")
    await r.press("重新作答")
    await r.press("其他")
    await r.press("3 · 一般")
    await r.press("⏭")
    await r.press("確認提交")
    await r.press("不用了")
    second = r.reference()
    assert first in r.text and second != first  # "replaces your earlier submission FIRST"
    assert await world.store.get(first) is None
    assert [s.reference for s in await world.feedback.mine(r.user)] == [second]
    # the service refuses a second submission that does not say it replaces the first
    jobs = next(c for c in world.knowledge.current.kb.consultations if c.id == "jobs")
    with pytest.raises(LimitExceeded) as refused:
        await world.feedback.submit(jobs, {"status": "other", "rating": 2}, user=r.user, language="zh-Hant")
    assert refused.value.text_key == "fb.already_submitted"


async def test_unanswered_question_becomes_a_case_with_a_cooldown(world):
    r = world.resident()
    await r.say("明天會下雨嗎")
    await r.press("轉給工作人員")
    assert "已轉給工作人員" in r.text
    case = r.reference()
    stored = await world.store.get(case)
    assert stored.kind == "case" and stored.text == "明天會下雨嗎" and stored.linked
    await r.say("火星天氣如何")
    offer = r.last  # the "not found" message with its button stays on screen
    await r.press("轉給工作人員")
    assert "請再等 10 分鐘" in r.text
    world.clock.advance(minutes=9, seconds=30)
    r.last = offer
    await r.press("轉給工作人員")
    assert "請再等 1 分鐘" in r.text
    world.clock.advance(minutes=1)
    r.last = offer
    await r.press("轉給工作人員")
    second = r.reference()
    assert second != case and (await world.store.get(second)).text == "火星天氣如何"
    await r.say("/mystatus")
    assert "向工作人員提問" in r.text and case in r.text and second in r.text
    [message] = await world.feedback.reply(case, "明天多雲。")
    assert message.to == r.user
    await r.forge("fcase")  # the question was already sent: nothing left to send
    assert "沒有可以轉交的問題" in r.text
    world.clock.advance(minutes=30)
    await r.say("長" * 10_000)
    await r.press("轉給工作人員")
    assert "10000 個字" in r.text


async def test_every_answer_carries_helpful_buttons_and_votes_store_no_resident(world):
    r = world.resident()
    await r.say("低保怎麼申請")
    assert {"👍 有幫助", "👎 沒幫助"} <= set(r.buttons())
    await r.press("👍")
    assert "很高興幫到您" in r.text
    await r.say("/menu")
    await r.press("公共設施")
    await r.press("沿河社區圖書室")
    await r.press("👎")
    assert "工作人員會檢查" in r.text
    await r.forge("fh:u:no-such-entry")
    await r.forge("fh:x:policy-dibao-apply")
    votes = await world.store.votes()
    assert [(v.entry_id, v.helpful) for v in votes] == [("policy-dibao-apply", True),
                                                        ("facility-yanhe-library", False)]
    assert r.user not in repr(votes)


async def test_an_answer_offers_the_consultation_its_entry_names_while_it_is_open(tmp_path):
    directory = write_knowledge(tmp_path / "kb")
    (directory / "entries.yaml").write_text(ENTRIES_YAML.replace(
        "Bring your ID card to the community service centre.}\n",
        "Bring your ID card to the community service centre.}\n    consultation: jobs\n").replace(
        "開放。\n", "開放。\n    consultation: closed-one\n"), encoding="utf-8")
    world = memory_world(KnowledgeService(directory))
    r = world.resident()
    await r.say("低保怎麼申請")
    assert "📝 提意見：就業幫扶" in r.buttons() and "👍 有幫助" in r.buttons()
    await r.press("📝 提意見")
    assert "您屬於哪一類？" in r.text and await r.state() == flow.QUESTION
    await r.say("/cancel")
    await r.say("沿河社區圖書室幾點開門")  # its consultation is closed: no button
    assert "沿河社區圖書室" in r.text and not any(b.startswith("📝") for b in r.buttons())
    english = world.resident(user="tg:1002", language_code="en")
    await english.say("how to apply for the minimum living allowance")
    assert "📝 Survey: Job support" in english.buttons()


async def test_forget_me_deletes_contact_unlinks_and_drops_state(world):
    r = world.resident()
    await r.say("/language")
    await r.press("English")
    await answer_jobs(r, LABELS["en"])
    await r.press("Submit")
    await r.press("Yes, you may contact me")
    await r.say("phone 138")
    jobs = r.reference()
    await r.say("/feedback")
    await r.press("Allowance survey")
    await r.press("Never applied")
    await r.press("Skip")
    await r.press("Submit")
    await r.say("/forget_me")
    assert "Continue?" in r.text
    await r.press("No, keep")
    assert "nothing was deleted" in r.text and await world.store.contact(jobs) == "phone 138"
    await r.say("/forget_me")
    await r.press("Yes, forget me")
    assert "1 submission(s)" in r.text
    assert await world.store.contact(jobs) is None
    assert await world.feedback.mine(r.user) == []
    kept = await world.store.get(jobs)
    assert kept is not None and not kept.linked, "the answers stay for statistics, unlinked"
    state = await world.residents.load_state(r.user)
    assert state.language is None and state.state == "idle"
    if world.database is not None:
        assert await world.database.fetchall("SELECT * FROM resident_state WHERE user = ?", (r.user,)) == []
        assert await world.database.fetchall("SELECT * FROM feedback_link WHERE user = ?", (r.user,)) == []
    # forgetting also drops the participation token: the anonymous consultation can be answered again
    await r.say("/feedback")
    await r.press("低保意見")
    assert "第 1/" in r.text


async def test_one_reminder_for_a_consultation_left_half_way(world):
    r = world.resident()
    await r.say("/feedback")
    await r.press("就業幫扶")
    world.clock.advance(minutes=31)
    [reminder] = await world.assistant.due_reminders()
    assert reminder.to == r.user
    world.clock.advance(hours=5)
    assert await world.assistant.due_reminders() == []
    await r.press("高校畢業生")  # the resident comes back and carries on
    assert "需要哪些幫助" in r.text


def staff_edit(directory: Path, knowledge: KnowledgeService, *replacements: tuple[str, str],
               text: str | None = None) -> None:
    """A staff member edits consultations.yaml (``text``, or the file as it is now, with ``replacements``) and the
    bot reloads it."""
    path = directory / "consultations.yaml"
    text = path.read_text(encoding="utf-8") if text is None else text
    for old, new in replacements:
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    knowledge.reload()


async def test_a_consultation_removed_by_a_reload_ends_the_flow_politely(tmp_path):
    directory = write_knowledge(tmp_path / "kb")
    knowledge = KnowledgeService(directory)
    world = memory_world(knowledge)
    r = world.resident()
    await r.say("/feedback")
    await r.press("其他意見建議")
    staff_edit(directory, knowledge, ("  - id: other\n", "  - id: other-2\n"))
    await r.say("我的建議")
    assert "已經結束或有所更新" in r.text and await r.state() == "idle"


async def test_a_reload_that_rewords_a_consultation_shows_the_new_wording_at_once(tmp_path):
    # Questions, introductions and the list are rendered once per knowledge snapshot and language
    # (views.ViewCache): a reload must not keep showing what was cached from the previous one.
    directory = write_knowledge(tmp_path / "kb")
    knowledge = KnowledgeService(directory)
    world = memory_world(knowledge)
    r = world.resident()
    await r.say("/feedback")
    await r.press("就業幫扶")
    assert "您屬於哪一類？" in r.text and "高校畢業生" in r.buttons()
    original = (directory / "consultations.yaml").read_text(encoding="utf-8")
    staff_edit(directory, knowledge, ("您屬於哪一類？", "您目前屬於哪一類？"),
               ("label: {zh-Hant: 高校畢業生", "label: {zh-Hant: 大學畢業生"))
    await r.say("隨便打幾個字")  # buttons only: the current question is shown again, from the new snapshot
    assert "您目前屬於哪一類？" in r.text and "大學畢業生" in r.buttons() and "高校畢業生" not in r.buttons()
    await r.press("大學畢業生")
    assert "需要哪些幫助" in r.text
    staff_edit(directory, knowledge, ("zh-Hant: 就業幫扶", "zh-Hant: 就業服務"), text=original)
    await r.say("/feedback")  # the list and the introduction, also built once per snapshot, follow too
    assert "就業服務" in r.buttons() and "就業幫扶" not in r.buttons()
    await r.press("就業服務")
    assert "就業服務" in r.text and "就業幫扶" not in r.text


def test_a_service_left_out_of_the_wiring_fails_at_start_up_not_as_an_unknown_command():
    from bot.core.dialog.context import Dependencies, WiringError

    with pytest.raises(WiringError, match="feedback"):
        Dependencies(residents=MemoryResidentStore(), unit=None, clock=Clock(), feedback=None, staff=None, teach=None,
                     subscriptions=None, bookings=None, booking_notices=None)


async def test_resident_text_is_escaped_in_the_summary(world):
    r = world.resident()
    await r.say("/feedback")
    await r.press("其他意見建議")
    await r.say("<b>bold</b> & <script>")
    summary = r.last[0].html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in summary and "<script>" not in summary


def test_every_feedback_button_action_fits_telegram(knowledge):
    from bot.core.feedback import views
    from bot.core.i18n import texts_for
    from bot.core.messages import MAX_ACTION_BYTES

    t = texts_for("en")
    for c in knowledge.current.kb.consultations:
        data = {"a": {}, "path": ["x"], "sel": []}
        for q in c.questions:
            reply = views.question_reply(c, q, data, t, "en")
            assert all(len(b.action.encode()) <= MAX_ACTION_BYTES for row in reply.buttons for b in row)


def test_reminder_window_matches_the_assistant():
    from bot.core.dialog.assistant import REMINDER_AFTER

    assert REMINDER_AFTER <= timedelta(minutes=31)


def test_feedback_and_mystatus_are_in_the_command_menu(knowledge):
    menu = dict(memory_world(knowledge).assistant.command_menu("en"))
    assert menu["feedback"] == "Policy feedback" and menu["mystatus"] == "My submissions and replies"



async def test_the_acknowledgement_waits_for_one_commit_holding_the_submission_and_the_end_of_the_flow(
        knowledge, tmp_path, commits):
    """The final press stores the submission and the resident's idle state in one transaction: one COMMIT before
    the reference number, not two; after a restart the resident is idle and the submission is there. (A refused
    submission stores neither: the unit-of-work contract tests.)"""
    world = await sqlite_world(knowledge, tmp_path / "bot.sqlite3")
    try:
        r = world.resident()
        await answer_jobs(r)
        await r.press("確認提交")
        commits.clear()
        await r.press("不用了")
        reference = r.reference()
        assert commits.count(True) == 1
    finally:
        await close_world(world)

    world = await sqlite_world(knowledge, tmp_path / "bot.sqlite3")  # a restart: nothing cached
    try:
        assert await world.store.get(reference) is not None
        assert (await world.residents.load_state(r.user)).state == "idle"
    finally:
        await close_world(world)


async def test_a_submission_the_store_refuses_at_commit_is_answered_not_acknowledged(world):
    """The unit of work of the final press: the store refuses the staged submission (another device of the same
    resident submitted meanwhile) — the resident is told, with the other submission's number, nothing new is stored,
    and the flow still ends (its state saved alone)."""
    r = world.resident()
    await answer_jobs(r)
    await r.press("確認提交")
    jobs = next(c for c in world.knowledge.current.kb.consultations if c.id == "jobs")
    other = await world.feedback.submit(jobs, {"status": "other", "rating": 2}, user=r.user, language="zh-Hant")
    await r.press("不用了")
    assert "您已經提交過這份問卷" in r.text and other in r.text
    assert [s.reference for s in await world.feedback.mine(r.user)] == [other]
    assert (await world.residents.load_state(r.user)).state == "idle"


async def test_a_taken_reference_number_is_drawn_again_inside_the_unit_of_work(world):
    r = world.resident()
    await r.say("明天會下雨嗎")
    await r.press("轉給工作人員")
    taken = r.reference()
    numbers = iter([taken, "FB-0000-0000-0000-00ZZ"])
    world.feedback.new_reference = lambda: next(numbers)
    await answer_jobs(r)
    await r.press("確認提交")
    await r.press("不用了")
    assert r.reference() == "FB-0000-0000-0000-00ZZ"
    assert (await world.store.get(taken)).kind == "case"
