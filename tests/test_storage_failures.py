"""When storage fails (a full disk, emulated with SQLite's ``PRAGMA max_page_count``, or stores that refuse every
write) the bot degrades honestly: questions are still answered from the loaded knowledge base, whatever must be
stored is refused with "please try again later" and never acknowledged, and no reply claims what did not happen."""
from __future__ import annotations

import dataclasses

import pytest
from feedback_helpers import REFERENCE, build_world, memory_stores, sqlite_world, write_knowledge
from players import Clock

from bot.core.errors import StorageUnavailable
from bot.core.feedback.memory_store import MemoryFeedbackStore
from bot.core.i18n import CATALOGUES
from bot.core.knowledge.service import KnowledgeService
from bot.core.memory_store import MemoryResidentStore
from bot.core.unit import MemoryUnitOfWork, MemoryWrite
from bot.storage.database import Database

LONG_SURVEY = """\
consultations:
  - id: letters
    anonymous: true
    title: 來信
    questions:
      - {id: letter, type: text, max_length: 2000, prompt: 請寫下您的意見}
"""
NOT_SAVED = "這次的操作沒有保存"  # zh-Hant storage_unavailable
LETTER = "社區的路燈壞了很久，晚上回家很不安全。" * 80  # 1,600 characters: 4.8 KB, more than a page


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory):
    return KnowledgeService(write_knowledge(tmp_path_factory.mktemp("kb"), LONG_SURVEY))


async def fill_disk(database: Database) -> int:
    """The file can grow no more: every free page used, and ``max_page_count`` at its size (SQLite then fails
    every write that needs a page with "database or disk is full", as on a full disk)."""
    conn = database.conn
    pages = (await database.fetchone("PRAGMA page_count"))[0] + 2
    await conn.execute(f"PRAGMA max_page_count = {pages}")
    for table in range(10):  # a split may need two pages: the last one left is used by a new table
        try:
            await conn.execute(f"CREATE TABLE filler{table} (x)")
        except Exception as full:  # noqa: BLE001 - the error we wait for
            assert "full" in str(full)
            break
        try:
            while True:
                await conn.execute(f"INSERT INTO filler{table} VALUES (zeroblob(300))")
        except Exception as full:  # noqa: BLE001
            assert "full" in str(full)
    assert (await database.fetchone("PRAGMA freelist_count"))[0] == 0
    return pages


async def test_a_full_disk_still_answers_questions_and_refuses_a_submission_honestly(knowledge, tmp_path):
    world = await sqlite_world(knowledge, tmp_path / "bot.sqlite3")
    database = world.database
    try:
        r = world.resident()
        await r.say("/feedback")
        await r.press("來信")
        await r.say(LETTER)
        submit = r.button("確認提交")
        pages = await fill_disk(database)

        await r.send(action=submit)
        assert NOT_SAVED in r.text and "請稍後再試" in r.text
        assert not REFERENCE.search(r.text) and "已匿名提交" not in r.text  # never acknowledged
        assert await world.store.submissions() == []
        # Questions are still answered, by this resident and by one the database has never seen.
        newcomer = world.resident("tg:3003")
        await newcomer.say("低保怎麼申請")
        assert "身份證" in newcomer.text

        # Room again (the disk was cleaned up): the resident's summary is still there and Submit works.
        await database.conn.execute(f"PRAGMA max_page_count = {pages + 1000}")
        await r.send(action=submit)
        assert "已匿名提交" in r.text
        [stored] = await world.store.submissions()
        assert stored.answers[0].value == LETTER
    finally:
        await database.close()


class FullResidentStore(MemoryResidentStore):
    """Every write fails as on a full disk; reads work."""

    async def save_state(self, state, data_json=None):
        raise StorageUnavailable("database or disk is full")

    async def record_unanswered(self, question):
        raise StorageUnavailable("database or disk is full")


class FullFeedbackStore(MemoryFeedbackStore):
    full = False

    async def rate(self, user, reply_id, score, at):
        if self.full:
            raise StorageUnavailable("database or disk is full")
        return await super().rate(user, reply_id, score, at)

    async def record_vote(self, vote):
        raise StorageUnavailable("database or disk is full")

    async def add(self, submission):
        if self.full:
            raise StorageUnavailable("database or disk is full")
        await super().add(submission)

    def stage_add(self, submission):
        write = super().stage_add(submission)
        check = write.check

        def full_check():
            if self.full:
                raise StorageUnavailable("database or disk is full")
            check()
        return MemoryWrite(full_check, write.apply)


def claims_to_have_recorded(text: str) -> bool:
    return any(words in text for words in ("已記錄", "已记录", "has been logged", "has been noted", "沒有遺失"))


async def test_nothing_stored_nothing_claimed(knowledge):
    residents, store = MemoryResidentStore(), FullFeedbackStore()
    world = build_world(knowledge, Clock(), memory_stores(residents=residents, feedback=store))
    r = world.resident()
    # A case and a staff reply while there is room.
    await r.say("火星上有社區服務中心嗎")
    await r.press("轉給工作人員")
    reference = REFERENCE.search(r.text).group(0)
    [message] = await world.feedback.reply(reference, "沒有。")
    store.full = True
    world.residents = FullResidentStore()
    world.assistant.deps = dataclasses.replace(world.assistant.deps, residents=world.residents,
                                               unit=MemoryUnitOfWork(world.residents))
    world.feedback.residents = world.residents

    r.last = [message]
    await r.press("5")  # rating the reply: refused, not thanked
    assert NOT_SAVED in r.text and "謝謝" not in r.text
    assert (await store.get(reference)).replies[0].rating is None

    await r.say("低保怎麼申請")  # an answer needs nothing stored
    assert "身份證" in r.text
    await r.press("👍")
    assert NOT_SAVED in r.text

    await r.say("火星上有學校嗎")  # not found: still said so, with no claim of recording
    assert "找不到" in r.text or "沒有找到" in r.text or "不確定" in r.text, r.text
    assert not claims_to_have_recorded(r.text)
    await r.press("轉給工作人員")
    assert not REFERENCE.search(r.text) and not claims_to_have_recorded(r.text)


def test_the_apology_claims_nothing():
    for lang, texts in CATALOGUES.items():
        assert not claims_to_have_recorded(texts["error"]), lang
        assert not claims_to_have_recorded(texts["storage_unavailable"]), lang
        assert not claims_to_have_recorded(texts["none_not_recorded"]), lang


async def test_hostile_values_get_an_answer_not_a_crash(knowledge, tmp_path):
    """A lone surrogate in a question the bot cannot answer (stored for staff and in the dialog state) and a rating
    button with a 23-digit reply id, through the SQLite stores."""
    world = await sqlite_world(knowledge, tmp_path / "bot.sqlite3")
    database = world.database
    try:
        r = world.resident()
        await r.say("\ud800火星上有社區服務中心嗎")
        assert "轉給工作人員" in str(r.buttons())
        await r.press("轉給工作人員")
        assert REFERENCE.search(r.text)
        assert (await world.residents.unanswered())[0].question.startswith("\ufffd火星")
        await r.forge("fr:99999999999999999999999:5")
        assert "按鈕已經過期" in r.text
    finally:
        await database.close()
