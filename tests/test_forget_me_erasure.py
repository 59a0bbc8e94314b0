"""/forget_me also erases what the resident typed: case text, unanswered questions and typed survey answers of
their linked submissions; counts, chosen options and scale answers stay for the statistics."""
from __future__ import annotations

from test_feedback_flow import answer_jobs

from bot.core.ports import ERASED

ID_CARD = "110101199003071234"



async def test_forget_me_erases_the_residents_free_text(world):
    r = world.resident()
    neighbour = world.resident("tg:2002")
    await r.say(f"我的身份證 {ID_CARD} 丟了火星簽證怎麼辦")  # not in the knowledge base
    await r.press("轉給工作人員")
    case = r.reference()
    await answer_jobs(r, note=f"身份證 {ID_CARD}")
    await r.press("確認提交")
    await r.press("不用了")
    jobs = r.reference()
    await neighbour.say("火星上有圖書館嗎")
    assert ID_CARD in str(await world.residents.unanswered()) and ID_CARD in str(await world.store.submissions())

    await r.say("/forget_me")
    assert "抹去您親手輸入的文字" in r.text
    await r.press("確定刪除")
    assert "輸入的文字已刪除" in r.text

    everything = str(await world.residents.unanswered()) + str(await world.store.submissions())
    assert ID_CARD not in everything
    assert [q.question for q in await world.residents.unanswered()] == [ERASED, "火星上有圖書館嗎"]
    assert (await world.store.get(case)).text == ERASED
    answers = {a.question_id: a.value for a in (await world.store.get(jobs)).answers}
    assert answers == {"status": "grad", "help": ("skills", "referrals"), "rating": 5, "note": ERASED}
    if world.database is not None:  # nothing of it left in any table
        for (table,) in await world.database.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in await world.database.fetchall(f"SELECT * FROM {table}"):
                assert ID_CARD not in str(tuple(row)), table
