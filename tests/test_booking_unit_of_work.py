"""One unit of work per message for bookings: ``/book``'s ✅ stores the booking and the resident's idle state in
one transaction on SQLite (one COMMIT before the reference), a refused request stores nothing and is answered as
before, a state that cannot be saved leaves no booking behind, a reference already taken is drawn again, and a
cancellation someone beat is refused in the unit's own transaction. Staff decisions and ``/bookings move`` are
stored with their audit record in one COMMIT, and refused whole when someone acted first."""
from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from booking_helpers import NOW, at, request, service
from conftest import ROOT
from staff_support import OTHER_STAFF, STAFF, Clock, World, make_world
from test_booking_chat import T, book, buttons

from bot.app import build_services
from bot.core.booking import mine
from bot.core.booking.errors import WrongStatus
from bot.core.booking.memory_store import MemoryBookingStore
from bot.core.booking.references import PATTERN
from bot.core.errors import StorageUnavailable
from bot.core.i18n import texts_for
from bot.core.knowledge.service import KnowledgeService
from bot.core.memory_store import MemoryResidentStore
from bot.core.unit import MemoryUnitOfWork, Refused
from bot.settings import Settings
from bot.storage import database as database_module


@pytest.fixture(scope="module")
def knowledge():
    return KnowledgeService(ROOT / "knowledge")


@pytest.fixture
async def sqlite_world(knowledge, tmp_path):
    """Opens a world on the SQLite file ``tmp_path / bot.sqlite3`` (again after a "restart": nothing cached)."""
    opened = []

    async def open_world() -> tuple[World, object]:
        clock = Clock()
        settings = Settings(knowledge_dir=knowledge.directory, db_path=tmp_path / "bot.sqlite3",
                            staff_ids=frozenset(int(u.removeprefix("tg:")) for u in (STAFF, OTHER_STAFF)))
        services = build_services(settings, clock=clock, knowledge=knowledge)
        await services.open()
        opened.append(services)
        return World(knowledge, services.residents, services.staff, services.assistant, clock), services.database

    yield open_world
    for services in opened:
        assert await services.database.integrity_check() == "ok"
        await services.close()


def reference_in(text: str) -> str:
    found = PATTERN.search(text)
    assert found is not None, text
    return found.group(0)


async def bookings_of(world: World, user: str):
    return await world.assistant.deps.bookings.my_bookings(user)


async def test_the_reference_waits_for_one_commit_holding_the_booking_and_the_idle_state(sqlite_world, commits):
    world, _ = await sqlite_world()
    alice = world.person("tg:501")
    await book(alice, send=False)
    commits.clear()
    replies = await alice.press(T("bk.confirm"))
    assert commits.count(True) == 1
    reference = reference_in(replies[0].html)
    assert T("bk.booked_pending") in replies[0].html
    assert {r.to for r in replies[1:]} == {STAFF, OTHER_STAFF}  # the staff notices, built after the COMMIT
    assert all(reference in r.html or any(reference in b.action for row in r.buttons for b in row)
               for r in replies[1:])

    world, _ = await sqlite_world()  # a restart: both are on the file
    [booking] = await bookings_of(world, "tg:501")
    assert booking.reference == reference and booking.has_contact
    assert (await world.residents.load_state("tg:501")).state == "idle"


async def test_a_slot_taken_meanwhile_stores_nothing_and_is_answered_as_before(sqlite_world):
    world, _ = await sqlite_world()
    alice, bob = world.person("tg:501"), world.person("tg:502")
    await book(alice, send=False)
    await book(bob)
    replies = await alice.press(T("bk.confirm"))
    assert replies[0].html == T("booking.slot_taken") and "11:00–13:30" in buttons(alice)[0]
    assert await bookings_of(world, "tg:501") == []

    world, _ = await sqlite_world()  # a restart: Alice is still at the summary, every answer kept
    state = await world.residents.load_state("tg:501")
    assert state.state == "bk_summary" and state.data["purpose"] == "舞蹈排練"
    alice = world.person("tg:501")
    alice.last = replies
    await alice.press("11:00")
    replies = await alice.press(T("bk.confirm"))
    assert "11:00–13:30" in replies[0].html and reference_in(replies[0].html)
    assert [b.status for b in await bookings_of(world, "tg:501")] == ["pending"]


async def test_the_open_limit_refuses_the_fourth_on_sqlite_as_before(sqlite_world):
    world, _ = await sqlite_world()
    alice = world.person("tg:501")
    for slot in ("08:30", "11:00", "13:30"):
        await book(alice, slot=slot)
    replies = await book(alice, slot="16:00")
    assert [r.html for r in replies] == [T("booking.too_many_open", limit=3)]
    assert len(await bookings_of(world, "tg:501")) == 3
    assert (await world.residents.load_state("tg:501")).state == "idle"


async def test_a_state_that_cannot_be_saved_leaves_no_booking_behind(sqlite_world, monkeypatch):
    """All or nothing: the resident's state rides in the booking's transaction, so when it cannot be written (a
    full disk, emulated for that one row) the booking is rolled back with it and nobody is told it exists."""
    world, database = await sqlite_world()
    alice = world.person("tg:501")
    await book(alice, send=False)
    await database.conn.execute("""CREATE TEMP TRIGGER state_full BEFORE UPDATE ON main.resident_state
                                   BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END""")
    real = database_module.unavailable

    def full(error):
        if isinstance(error, sqlite3.IntegrityError) and "disk is full" in str(error):
            return StorageUnavailable(str(error))
        return real(error)

    monkeypatch.setattr(database_module, "unavailable", full)
    replies = await alice.press(T("bk.confirm"))
    assert [r.html for r in replies] == [T("storage_unavailable")]  # no reference, no staff notice
    assert await bookings_of(world, "tg:501") == []
    assert await database.fetchall("SELECT * FROM booked_slot") == []
    assert await database.fetchall("SELECT * FROM booking_contact") == []

    await database.conn.execute("DROP TRIGGER temp.state_full")
    world, _ = await sqlite_world()  # a restart: the step was not taken, so ✅ can be pressed again
    assert (await world.residents.load_state("tg:501")).state == "bk_summary"
    replies = await book(world.person("tg:501"))
    assert reference_in(replies[0].html) and len(await bookings_of(world, "tg:501")) == 1


async def test_a_reference_already_taken_is_drawn_again_within_the_message():
    world = make_world(ROOT / "knowledge")
    bookings = world.assistant.deps.bookings
    draws = iter([7, 7, 7, 7, 7, 7, 8, 8, 8])  # three numbers a reference: Bob's first is Alice's
    bookings._random_below = lambda _below: next(draws)
    alice, bob = world.person("tg:501"), world.person("tg:502")
    first = reference_in((await book(alice))[0].html)
    second = reference_in((await book(bob, slot="11:00"))[0].html)
    assert first != second
    assert [b.reference for b in await bookings_of(world, "tg:502")] == [second]
    assert [b.reference for b in await bookings_of(world, "tg:501")] == [first]


async def test_a_cancellation_someone_beat_is_refused_in_the_unit_with_the_status_it_has_now():
    store, residents = MemoryBookingStore(), MemoryResidentStore()
    svc, unit = service(store), MemoryUnitOfWork(residents)
    booking = await svc.request(request(at(NOW.date().replace(day=3), 8, 30)))
    pending = await svc.prepare_cancel(booking.reference, "tg:1")
    assert pending.booking.status == "cancelled"
    await svc.decline(booking.reference, "維修")  # staff, between the press and its commit
    with pytest.raises(Refused) as refused:
        await unit.commit([pending.write])
    problem = await pending.refusal(refused.value.error)
    assert isinstance(problem, WrongStatus) and problem.params["status"] == "declined"
    assert (await store.get(booking.reference)).status == "declined"


async def test_a_booking_cancelled_in_the_chat_is_cancelled_after_its_commit():
    world = make_world(ROOT / "knowledge")
    alice = world.person("tg:501")
    await book(alice)
    await alice.say("/mybookings")
    await alice.press("取消 BK-")
    replies = await alice.press(T("bk.cancel_yes"))
    [booking] = await bookings_of(world, "tg:501")
    assert booking.reference in replies[0].html and booking.status == "cancelled" and replies[0].replace


async def test_a_staff_decision_and_its_audit_record_wait_for_one_commit(sqlite_world, commits):
    world, _ = await sqlite_world()
    await book(world.person("tg:501"))
    await book(world.person("tg:502"), slot="11:00")
    staff = world.person(STAFF, staff=True)
    await staff.say("/bookings")
    commits.clear()
    replies = await staff.press(T("bk.staff_approve"))
    assert commits.count(True) == 1
    assert [r.to for r in replies] == ["tg:501", None] and "2/2" not in replies[1].html  # the next card: 1/1
    await staff.press(T("bk.staff_decline"))
    commits.clear()
    replies = await staff.say("當天已有社區活動")
    assert commits.count(True) == 1  # the decline, its record and the end of the reason step
    assert [r.to for r in replies] == ["tg:502", None] and T("bk.staff_none") in replies[1].html
    world, _ = await sqlite_world()  # a restart: all of it on the file
    actions = [r.action for r in await world.tools.audit.records()]
    assert actions.count("booking.approve") == 1 and actions.count("booking.decline") == 1
    assert [b.status for b in await bookings_of(world, "tg:501")] == ["confirmed"]
    assert (await world.residents.load_state(STAFF)).state == "idle"


async def test_a_decision_a_colleague_made_first_writes_neither_it_nor_its_record(sqlite_world, monkeypatch):
    world, _ = await sqlite_world()
    await book(world.person("tg:501"))
    [booking] = await bookings_of(world, "tg:501")
    staff = world.person(STAFF, staff=True)
    await staff.say("/bookings")
    unit, bookings = world.assistant.deps.unit, world.assistant.deps.bookings
    real_commit = unit.commit

    async def colleague_first(writes, state=None, data_json=None):
        if writes and (await bookings.get(booking.reference)).status == "pending":
            await bookings.approve(booking.reference)  # between the press and its commit
        return await real_commit(writes, state, data_json)

    monkeypatch.setattr(unit, "commit", colleague_first)
    replies = await staff.press(T("bk.staff_approve"))
    assert [r.html for r in replies] == [T("booking.wrong_status")]  # as when the colleague was earlier still
    assert [r.action for r in await world.tools.audit.records()] == []


HALL_ID = "jishan-rehearsal-hall"
THU = date(2026, 11, 5)


async def moving(sqlite_world, language: str = "zh-Hant"):
    """A world on SQLite with Alice's pending booking of the hall on Thursday 08:30, made in ``language``."""
    world, database = await sqlite_world()
    booking = await world.assistant.deps.bookings.request(
        request(at(THU, 8, 30), user="tg:501", vid=HALL_ID, language=language))
    return world, database, booking, world.person(STAFF, staff=True)


async def moves_in_the_record(world: World) -> list[str]:
    return [r.detail for r in await world.tools.audit.records() if r.action == "booking.move"]


async def test_a_move_and_its_audit_record_wait_for_one_commit_and_the_resident_hears_after_it(sqlite_world, commits,
                                                                                               monkeypatch):
    world, _, booking, staff = await moving(sqlite_world, "en")
    told, real_notice = [], mine.notice
    monkeypatch.setattr(mine, "notice", lambda *a: told.append(list(commits)) or real_notice(*a))
    commits.clear()
    replies = await staff.say(f"/bookings move {booking.reference.lower()} 2026-11-05 16:00")
    assert commits == [True] and told == [[True]]  # one COMMIT, and the resident's notice built after it
    assert replies[0].html == T("bk.staff_moved", reference=booking.reference, when="11月5日（四） 16:00–18:30")
    assert replies[1].to == "tg:501" and replies[1].html.startswith(texts_for("en")("bk.notice_moved", card=""))
    assert "rehearsal hall\nTh 5/11 16:00–18:30 · ⏳ awaiting approval" in replies[1].html  # the language booked in

    world, _ = await sqlite_world()  # a restart: the move and its record are on the file
    [moved] = await bookings_of(world, "tg:501")
    assert moved.slot.start == at(THU, 16) and moved.status == "pending"
    assert [d.split()[0] for d in await moves_in_the_record(world)] == [booking.reference]
    free = [s.start for s in await world.assistant.deps.bookings.free_slots(HALL_ID, THU)]
    assert at(THU, 8, 30) in free and at(THU, 16) not in free


async def test_a_slot_taken_after_the_command_is_refused_by_the_store_with_the_next_free_slots(sqlite_world,
                                                                                               monkeypatch):
    """The slot is free when the command is read, held by Bob's request before its unit commits: the store's
    UNIQUE (venue, step) refuses the unit, so neither the move nor its record is written."""
    world, _, booking, staff = await moving(sqlite_world)
    unit, bookings = world.assistant.deps.unit, world.assistant.deps.bookings
    real_commit = unit.commit

    async def bob_first(writes, state=None, data_json=None):
        if writes and not await bookings_of(world, "tg:502"):
            await bookings.request(request(at(THU, 16), user="tg:502", vid=HALL_ID))
        return await real_commit(writes, state, data_json)

    monkeypatch.setattr(unit, "commit", bob_first)
    replies = await staff.say(f"/bookings move {booking.reference} 2026-11-05 16:00")
    assert [r.html for r in replies] == ["\n".join([T("booking.slot_taken"), "11月5日（四） 18:30–21:00",
                                                    "11月6日（五） 08:30–11:00", "11月6日（五） 11:00–13:30"])]
    assert [r.to for r in replies] == [None]  # the resident is told nothing
    assert (await bookings.get(booking.reference)).slot.start == at(THU, 8, 30)
    assert await moves_in_the_record(world) == []


@pytest.mark.parametrize("meanwhile", ["the resident cancelled", "a colleague declined", "a colleague moved it"])
async def test_a_booking_changed_after_the_command_is_moved_by_nobody(sqlite_world, monkeypatch, meanwhile):
    world, _, booking, staff = await moving(sqlite_world)
    unit, bookings = world.assistant.deps.unit, world.assistant.deps.bookings
    real_commit, acted = unit.commit, []

    async def someone_first(writes, state=None, data_json=None):
        if writes and not acted:  # between the command and its commit
            acted.append(meanwhile)
            if meanwhile == "the resident cancelled":
                await bookings.cancel(booking.reference, "tg:501")
            elif meanwhile == "a colleague declined":
                await bookings.decline(booking.reference, "維修")
            else:
                await real_commit([(await bookings.prepare_move(booking.reference, at(THU, 18, 30))).write])
        return await real_commit(writes, state, data_json)

    monkeypatch.setattr(unit, "commit", someone_first)
    replies = await staff.say(f"/bookings move {booking.reference} 2026-11-05 16:00")
    assert [(r.html, r.to) for r in replies] == [(T("booking.wrong_status"), None)]
    now = await bookings.get(booking.reference)
    assert now.slot.start == at(THU, 18 if meanwhile == "a colleague moved it" else 8, 30)
    assert at(THU, 16) in [s.start for s in await bookings.free_slots(HALL_ID, THU)]
    assert await moves_in_the_record(world) == []


async def test_a_move_that_cannot_be_saved_is_not_told_to_the_resident(sqlite_world, monkeypatch):
    """The audit record cannot be written (a full disk, emulated for that table): the move is rolled back with it,
    the staff member hears "not saved", and the resident hears nothing."""
    world, database, booking, staff = await moving(sqlite_world)
    await database.conn.execute("""CREATE TEMP TRIGGER audit_full BEFORE INSERT ON main.audit_log
                                   BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END""")
    real = database_module.unavailable
    monkeypatch.setattr(database_module, "unavailable", lambda error: StorageUnavailable(str(error)) if isinstance(
        error, sqlite3.IntegrityError) and "disk is full" in str(error) else real(error))
    replies = await staff.say(f"/bookings move {booking.reference} 2026-11-05 16:00")
    assert [(r.html, r.to) for r in replies] == [(T("storage_unavailable"), None)]
    assert (await world.assistant.deps.bookings.get(booking.reference)).slot.start == at(THU, 8, 30)
    await database.conn.execute("DROP TRIGGER temp.audit_full")
    assert await moves_in_the_record(world) == []
