"""``python -m bot report --out DIR``: the chart PNGs and index.html with the headline figures, in Chinese, from a
real database file; resident text on the page is escaped."""
from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from feedback_helpers import write_knowledge

from bot.cli import main
from bot.core.feedback.model import Answer, HelpfulVote, NewSubmission
from bot.core.language import to_simplified
from bot.core.ports import UnansweredQuestion
from bot.reports.charts import CHARTS
from bot.storage.database import Database
from bot.storage.feedback import SqliteFeedbackStore
from bot.storage.residents import SqliteResidentStore

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


async def seed(path) -> None:
    database = Database(path)
    await database.open()
    store, residents = SqliteFeedbackStore(database), SqliteResidentStore(database)
    for i in range(4):
        await store.add(NewSubmission(reference=f"FB-2026110200000{i}", kind="survey", language="zh-Hant",
                                      created_at=T0 + timedelta(days=i), consultation_id="jobs", user=f"tg:{i}",
                                      answers=(Answer("status", "other", 0), Answer("rating", 2 + i % 4, 1))))
    await store.add(NewSubmission(reference="FB-20261103000009", kind="case", language="zh-Hans",
                                  created_at=T0, text="问题", user="tg:9"))
    for i, hours in enumerate((2, 30)):
        delivery = await store.add_reply(f"FB-2026110200000{i}", "回覆", T0 + timedelta(days=i, hours=hours))
        await store.rate(f"tg:{i}", delivery.reply.id, 4 + i, T0 + timedelta(days=3))
    for helpful in (True, True, True, False):
        await store.record_vote(HelpfulVote("policy-dibao-apply", helpful, "zh-Hant", T0))
    for question in ("社區有沒有游泳池", "社區有沒有游泳池？", "<script>alert(1)</script> 幾點開門"):
        await residents.record_unanswered(UnansweredQuestion(question, "not_found", "zh-Hant", None, T0))
    await database.close()


async def create_empty(path) -> None:
    database = Database(path)
    await database.open()
    await database.close()


@pytest.fixture
def env(tmp_path, monkeypatch):
    kb = write_knowledge(tmp_path / "kb")
    db = tmp_path / "bot.sqlite3"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_DB", str(db))
    monkeypatch.setenv("KNOWLEDGE_DIR", str(kb))
    return db


class Page(HTMLParser):
    """The page's text (as a reader sees it) and its images."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.images: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())


def read_page(path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_report_writes_the_charts_and_a_chinese_page_with_the_headline_figures(env, tmp_path, capsys):
    asyncio.run(seed(env))
    assert main(["report", "--out", "out"]) == 0
    assert "index.html" in capsys.readouterr().out
    out = tmp_path / "out"
    page = read_page(out / "index.html")
    text = "\n".join(page.text)
    # The rooms chart sits under the rooms' table, before the other charts.
    assert page.images == ["rooms.png"] + [f"{name}.png" for name, _, _ in CHARTS if name != "rooms"]
    for name in page.images:
        assert (out / name).read_bytes().startswith(PNG)
    assert "居民意見與服務統計報告" in text and "統計範圍：全部時間" in text
    figures = dict(zip(page.text[page.text.index("主要數字") + 1::2],
                    page.text[page.text.index("主要數字") + 2::2], strict=False))
    assert figures["問卷意見"] == "4 份" and figures["向工作人員提問"] == "1 件"
    assert figures["回覆率"] == "40%（2/5）" and figures["回覆時間中位數"] == "16.0 小時"
    assert figures["回覆滿意度（平均，1-5 分）"] == "4.5 分（2 個評分）"
    assert figures["答案有幫助的比例"] == "75%（4 票）"
    assert "社區有沒有游泳池" in text and "<script>alert(1)</script> 幾點開門" in text
    assert "script" not in page.tags, "resident text is escaped, never markup"
    assert '<html lang="zh-Hant">' in (out / "index.html").read_text(encoding="utf-8")


def test_report_since_a_date_and_on_an_empty_database(env, tmp_path):
    asyncio.run(seed(env))
    assert main(["report", "--out", "late", "--since", "2026-11-04"]) == 0
    text = "\n".join(read_page(tmp_path / "late" / "index.html").text)
    assert "統計範圍：自 2026-11-04 起" in text and "2 份" in text and "0 件" in text and "—" in text
    env.unlink()
    asyncio.run(create_empty(env))
    assert main(["report", "--out", "empty"]) == 0
    empty = "\n".join(read_page(tmp_path / "empty" / "index.html").text)
    assert "0 份" in empty and "沒有未解答的問題。" in empty
    assert len(list((tmp_path / "empty").glob("*.png"))) == len(CHARTS)


def test_report_needs_a_database(env, capsys):
    assert main(["report", "--out", "x"]) == 1
    assert re.search(r"no database at .*bot\.sqlite3", capsys.readouterr().err)


def test_a_very_long_question_is_quoted_short_in_the_report(env, tmp_path):
    async def add_long_question():
        database = Database(env)
        await database.open()
        for _ in range(5):  # the most asked, so it tops the list
            await SqliteResidentStore(database).record_unanswered(
                UnansweredQuestion("請問" + "很長的問題" * 1000, "not_found", "zh-Hant", None, T0))
        await database.close()

    asyncio.run(seed(env))
    asyncio.run(add_long_question())
    assert main(["report", "--out", "out"]) == 0
    cells = [line for line in read_page(tmp_path / "out" / "index.html").text if line.startswith("請問很長的問題")]
    assert len(cells) == 1 and cells[0].endswith("…") and len(cells[0]) <= 80


def test_report_in_english_or_simplified_with_lang(env, tmp_path):
    asyncio.run(seed(env))
    assert main(["report", "--out", "en", "--lang", "en"]) == 0
    html = (tmp_path / "en" / "index.html").read_text(encoding="utf-8")
    text = "\n".join(read_page(tmp_path / "en" / "index.html").text)
    assert '<html lang="en">' in html and "Residents' feedback and service figures" in text
    assert "Reply rate" in text and "40% (2/5)" in text
    assert "5 submissions this week; most were about" in text, "each chart's caption says what to look at"
    assert main(["report", "--out", "hans", "--lang", "zh-Hans"]) == 0
    hans = "\n".join(read_page(tmp_path / "hans" / "index.html").text)
    assert "居民意见与服务统计报告" in hans and "社区有没有游泳池" in hans
    assert to_simplified(hans.replace("<script>alert(1)</script>", "")) == hans.replace("<script>alert(1)</script>", "")


def test_report_shows_how_much_the_community_rooms_are_used(tmp_path, monkeypatch):
    """The district's resource-sharing figure: a booking made a week ago shows as booked hours of open hours."""
    from conftest import KNOWLEDGE_DIR

    from bot.core.booking.model import BookingRequest
    from bot.core.booking.service import BookingService
    from bot.core.knowledge.loader import load_knowledge
    from bot.settings import Settings
    from bot.storage.bookings import SqliteBookingStore

    db = tmp_path / "bot.sqlite3"
    kb = load_knowledge(KNOWLEDGE_DIR)
    venue = next(v for v in kb.venues if not v.approval)
    tz = Settings().district_tz
    week_ago = datetime.now(UTC) - timedelta(days=7)

    async def book() -> str:
        database = Database(db)
        await database.open()
        service = BookingService(SqliteBookingStore(database), lambda: {v.id: v for v in kb.venues}, tz,
                                 clock=lambda: week_ago)
        first, _ = service.window(venue.id)
        day = first
        while not (slots := await service.free_slots(venue.id, day)):
            day += timedelta(days=1)
        await service.request(BookingRequest("tg:1", venue.id, slots[0].start, "合唱排練", 12, "group", "", False,
                                             unit_name="夕陽紅合唱團"))
        await database.close()
        return day.isoformat()

    asyncio.run(book())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_DB", str(db))
    monkeypatch.setenv("KNOWLEDGE_DIR", str(KNOWLEDGE_DIR))
    from bot.core.booking import usage

    figured, calls = usage.weekly_usage, []
    monkeypatch.setattr(usage, "weekly_usage", lambda *a: calls.append(a) or figured(*a))
    assert main(["report", "--out", "out", "--lang", "en"]) == 0
    assert len(calls) == 1, "the table and the chart share one computation"
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "Community rooms: how much they are used" in page
    row = next(line for line in page.splitlines() if venue.name.get("en") in line and "<td>" in line)
    booked = re.search(r"<td>([\d.]+) / ([\d.]+)</td>", row)
    assert booked and 0 < float(booked.group(1)) < float(booked.group(2))
    assert re.search(r"<td>0 / [\d.]+ / 0</td>", row)  # the hours went to a resident group

    # Under the table, before the other charts: the rooms chart, and a caption naming the most used room.
    text = read_page(tmp_path / "out" / "index.html").text
    table, charts = page.index('<table class="rooms">'), page.index("<h2>Charts</h2>")
    assert table < page.index('<img src="rooms.png"') < charts
    assert (tmp_path / "out" / "rooms.png").read_bytes().startswith(PNG)
    caption = next(line for line in text if "rooms' open hours were booked" in line)
    assert f"most used “{venue.name.get('en')}”" in caption
    for lang, most_used in (("zh-Hant", "最常用的是「{name}」"), ("zh-Hans", "最常用的是“{name}”")):
        assert main(["report", "--out", lang, "--lang", lang]) == 0
        text = read_page(tmp_path / lang / "index.html").text
        caption = next(line for line in text if "的開放時數有" in line or "的开放时数有" in line)
        assert most_used.format(name=venue.name.get(lang)) in caption, caption
