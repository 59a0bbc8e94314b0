"""``/teach`` in the chat, as staff and residents see it: one unanswered group at a time (quoted, never who asked),
attach to the nearest entry and the resident's next identical question is answered; a new entry drafted by the bot
with the answer staff type; ignore; a refused phrasing says why; residents who tapped 🔔 are told once; a resident
gets nothing from /teach."""
from html import unescape
from pathlib import Path

from staff_support import STAFF, copy_knowledge, make_world

from bot.core.i18n import texts_for
from bot.core.ports import UnansweredQuestion

T = texts_for("zh-Hant")
JOBLESS = "老公失業了在家，有沒有什麼補助可以領"


async def ask_unanswered(world, user: str, question: str, *, notify: bool = False):
    resident = world.person(user)
    await resident.say(question)
    assert T("not_found") in resident.text()
    if notify:
        await resident.press("🔔")
        assert resident.text() == T("teach.notify_set")
    return resident


async def test_staff_attach_a_question_and_the_resident_who_asked_is_answered_once(tmp_path):
    kb = copy_knowledge(tmp_path, regression=False)
    world = make_world(kb)
    alice = await ask_unanswered(world, "tg:7001", JOBLESS, notify=True)
    await ask_unanswered(world, "tg:7002", JOBLESS)
    staff = world.person(STAFF, staff=True)

    await staff.say("/teach")
    card = unescape(staff.text())
    assert f"「{JOBLESS}」" in card and "2" in card and "失業登記" in card
    assert "7001" not in card and "7002" not in card  # never who asked
    replies = await staff.press("➕ 失業登記")
    done = unescape(replies[0].html)
    assert done.startswith(f"✅ 「{JOBLESS}」") and "失業登記" in done and "policies.yaml" in done
    [notice] = [r for r in replies if r.to == alice.user]
    assert unescape(notice.html).startswith(T("teach.notice", question=JOBLESS)) and "失業登記" in notice.html
    assert T("teach.empty", week=1) in replies[-1].html  # the group left the list; one taught this week

    await alice.say(JOBLESS)
    assert "<b>失業登記</b>" in alice.text()
    assert await world.residents.unanswered() == []
    [record] = await world.tools.taught.taught()
    assert (record.staff_user, record.entry_id, record.phrasing) == (STAFF, "policy-unemployment-registration",
                                                                      JOBLESS)
    # told once: a later teach of the same words sends nothing again
    assert [r.action for r in await world.tools.audit.records()] == ["teach.attach"]


async def test_staff_create_a_new_entry_drafted_by_the_bot(tmp_path):
    kb = copy_knowledge(tmp_path, regression=False)
    world = make_world(kb)
    question = "社區可以幫忙收快遞嗎"
    await ask_unanswered(world, "tg:7003", question)
    staff = world.person(STAFF, staff=True)
    await staff.say("/teach")
    await staff.press(T("teach.button_new"))
    prompt = unescape(staff.text())
    assert "id: " in unescape(prompt.replace("：", ": ")) or "id：" in prompt
    await staff.say("")
    await staff.say("社區服務中心一樓有快遞代收點，週一至週六 9:00-18:00。")
    assert T("teach.button_create") in [b.label for r in staff.last for row in r.buttons for b in row]
    replies = await staff.press(T("teach.button_create"))
    assert unescape(replies[0].html).startswith(f"✅ 「{question}」")
    resident = world.person("tg:7004")
    await resident.say(question)
    assert "快遞代收點" in resident.text()
    entry = world.knowledge.current.kb.get(world.knowledge.current.matcher.match(question).answer_id)
    assert entry.id.endswith(entry.id.split("-q")[-1]) and "-q" in entry.id  # drafted: policy-q…, school-q…
    assert Path(entry.file).read_text(encoding="utf-8").count(f"id: {entry.id}") == 1


async def test_ignore_leaves_the_list_and_a_refused_phrasing_says_why(tmp_path):
    kb = copy_knowledge(tmp_path)  # with the sample's regression questions
    world = make_world(kb)
    await ask_unanswered(world, "tg:7005", "今天晚餐吃什麼好呢我好餓")
    staff = world.person(STAFF, staff=True)
    await staff.say("/teach")
    replies = await staff.press(T("teach.button_ignore"))
    assert T("teach.empty", week=0) in replies[-1].html and await world.residents.unanswered() == []

    # a question staff attach to the wrong entry: a regression question would go there too
    await world.residents.record_unanswered(UnansweredQuestion("低保怎麼申請", "none_of_these", "zh-Hant", None,
                                                               world.clock()))
    before = {p.name: p.read_bytes() for p in kb.glob("*.yaml")}
    await staff.say("/teach")
    await staff.press(T("teach.button_pick"))
    await staff.send(action=next(b.action for r in staff.last for row in r.buttons for b in row
                                 if b.action.endswith(":policies")))
    replies = await staff.press("失業登記")
    refused = unescape(replies[0].html)
    assert (refused.startswith("❌") and "最低生活保障怎麼申請" in refused
            and "policy-minimum-living-allowance-apply" in refused)
    assert {p.name: p.read_bytes() for p in kb.glob("*.yaml")} == before
    assert "低保怎麼申請" in unescape(replies[-1].html)  # the same card again
    await staff.say("/teach undo")
    assert unescape(staff.text()) == T("teach.refused", reason=T("teach.refused.no_undo"))


async def test_a_resident_gets_nothing_from_teach_or_a_forged_teach_button(tmp_path):
    kb = copy_knowledge(tmp_path, regression=False)
    world = make_world(kb)
    await ask_unanswered(world, "tg:7007", JOBLESS)
    mallory = world.person("tg:666")
    await mallory.say("/teach")
    assert mallory.text() == T("unknown_command")
    await mallory.send(action="tc:s")
    assert mallory.text().startswith(T("stale_button"))
    staff = world.person(STAFF, staff=True)
    await staff.say("/teach")
    attach = staff.button("➕ 失業登記")
    await mallory.send(action=attach)
    assert mallory.text().startswith(T("stale_button"))
    assert "老公失業" not in (kb / "policies.yaml").read_text(encoding="utf-8")
    assert len(await world.residents.unanswered()) == 1


def test_the_teach_command_line_writes_the_line_and_refuses_a_regression_break(tmp_path, monkeypatch, capsys):
    from bot.cli import main

    kb = copy_knowledge(tmp_path)
    monkeypatch.setenv("BOT_DB", str(tmp_path / "none.sqlite3"))
    before = (kb / "policies.yaml").read_bytes()
    assert main(["teach", "--kb", str(kb), "attach", "policy-unemployment-registration", "低保怎麼申請"]) == 1
    assert "最低生活保障怎麼申請" in capsys.readouterr().err and (kb / "policies.yaml").read_bytes() == before
    assert main(["teach", "--kb", str(kb), "attach", "policy-unemployment-registration", JOBLESS]) == 0
    assert capsys.readouterr().out.startswith(f"「{JOBLESS}」 now answers 失業登記")
    after = (kb / "policies.yaml").read_text(encoding="utf-8").splitlines()
    assert [line for line in after if line not in before.decode().splitlines()] == [f"      - {JOBLESS}"]
    assert len(after) == len(before.decode().splitlines()) + 1
    assert main(["teach", "--kb", str(kb), "undo"]) == 0 and (kb / "policies.yaml").read_bytes() == before
