"""``python -m bot unanswered``: unanswered questions grouped by similarity (both scripts, punctuation, word order
folded), most asked first, each with the nearest entry as today's matcher sees it."""
import asyncio
from datetime import UTC, datetime, timedelta

from staff_support import KNOWLEDGE_DIR

from bot.cli import main
from bot.core.knowledge.loader import load_knowledge
from bot.core.matching.matcher import Matcher
from bot.core.ports import UnansweredQuestion
from bot.core.staff.unanswered import group_unanswered
from bot.storage.database import Database
from bot.storage.residents import SqliteResidentStore

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

ASKED = [
    # three wordings of one need, four askings
    ("垃圾分類怎麼做", "not_found", 0),
    ("垃圾分类怎么做？", "not_found", 1),
    ("垃圾怎麼分類", "none_of_these", 2),
    ("垃圾分類怎麼做", "not_found", 3),
    # the same words in another order
    ("居住證怎麼辦理", "none_of_these", 4),
    ("怎麼辦居住證", "not_found", 5),
    # alike in form, different needs: must stay apart
    ("社區有沒有游泳池", "not_found", 6),
    ("社區有沒有籃球場", "not_found", 7),
    ("今天天氣怎麼樣", "not_found", 8),
]


def questions(asked=ASKED, start=T0):
    return [UnansweredQuestion(question=q, reason=reason, language="zh-Hant", nearest_id=None,
                               asked_at=start + timedelta(hours=hours)) for q, reason, hours in asked]


def test_similar_questions_share_a_group_most_asked_first():
    matcher = Matcher(load_knowledge(KNOWLEDGE_DIR))
    groups = group_unanswered(questions(), matcher)
    assert [g.count for g in groups] == [4, 2, 1, 1, 1]
    first = groups[0]
    assert first.representative == "垃圾分類怎麼做"
    assert set(first.other_wordings()) == {"垃圾分类怎么做？", "垃圾怎麼分類"}
    assert first.reasons == {"not_found": 3, "none_of_these": 1}
    assert first.last_asked == T0 + timedelta(hours=3)
    assert first.nearest_id == "service-waste-sorting"
    assert set(groups[1].wordings) == {"居住證怎麼辦理", "怎麼辦居住證"}
    assert groups[1].nearest_id == "service-residence-permit"
    # ties (one asking each) by most recent first; swimming pool and basketball court stay apart
    assert [g.representative for g in groups[2:]] == ["今天天氣怎麼樣", "社區有沒有籃球場", "社區有沒有游泳池"]


def test_a_question_nothing_resembles_has_no_nearest_entry():
    matcher = Matcher(load_knowledge(KNOWLEDGE_DIR))
    [group] = group_unanswered(questions([("qwzx", "not_found", 0)]), matcher)
    assert group.nearest_id is None


async def _record(db_path, items):
    db = Database(db_path)
    await db.open()
    try:
        store = SqliteResidentStore(db)
        for item in items:
            await store.record_unanswered(item)
    finally:
        await db.close()


def test_the_cli_reads_the_database_and_prints_groups(tmp_path, monkeypatch, capsys):
    db_path = tmp_path / "bot.sqlite3"
    old = questions([("停車位怎麼租", "not_found", 0)], start=T0 - timedelta(days=40))
    asyncio.run(_record(db_path, old + questions()))
    monkeypatch.setenv("BOT_DB", str(db_path))

    assert main(["unanswered", "--kb", str(KNOWLEDGE_DIR)]) == 0
    everything = capsys.readouterr().out
    assert everything.startswith("10 unanswered questions in 6 groups, most asked first:")
    assert "停車位怎麼租" in everything
    assert everything.endswith("\ntaught this week: 0 phrasing(s) (python -m bot teach, /teach); "
                               "what they resolved is not listed\n")

    assert main(["unanswered", "--kb", str(KNOWLEDGE_DIR), "--since", T0.date().isoformat()]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"9 unanswered questions since {T0.date().isoformat()} in 5 groups")
    assert "停車位怎麼租" not in out
    blocks = out.split("\n\n")[1:]
    assert blocks[0].splitlines()[0] == "   4×  垃圾分類怎麼做"
    assert "not found 3, none of these 1 · last asked 2026-11-02" in blocks[0]
    assert "nearest: service-waste-sorting" in blocks[0]
    assert blocks[1].splitlines()[0].strip().startswith("2×")

    assert main(["unanswered", "--kb", str(KNOWLEDGE_DIR), "--limit", "1"]) == 0
    assert capsys.readouterr().out.count("×") == 1


def test_the_cli_says_when_there_is_no_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BOT_DB", str(tmp_path / "missing.sqlite3"))
    assert main(["unanswered", "--kb", str(KNOWLEDGE_DIR)]) == 1
    assert "no database at" in capsys.readouterr().err


def test_a_5000_character_question_is_quoted_on_one_short_line(tmp_path, monkeypatch, capsys):
    db_path = tmp_path / "bot.sqlite3"
    long_question = "我想問一下社區的事情，\n" + "非常" * 2500
    asyncio.run(_record(db_path, questions([(long_question, "not_found", 0)] * 3 + [("停車位怎麼租", "not_found", 0)])))
    monkeypatch.setenv("BOT_DB", str(db_path))
    assert main(["unanswered", "--kb", str(KNOWLEDGE_DIR)]) == 0
    out = capsys.readouterr().out
    first = out.split("\n\n")[1].splitlines()[0]
    assert first.startswith("   3×  我想問一下社區的事情， 非常非常") and first.endswith("…")
    assert len(first) <= 90 and len(out) < 1000, "the whole report fits on one screen"
    assert "停車位怎麼租" in out
