"""The ``UnitOfWork`` contract (``bot.core.unit``): ``MemoryUnitOfWork`` and ``SqliteUnitOfWork`` make a message's
staged writes and the resident's state all or nothing, and say which staged write its store refused."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.feedback.ports import AlreadySubmitted, DuplicateReference
from bot.core.ports import ResidentState
from bot.core.unit import MemoryWrite, Refused
from tests.contracts.test_contract_feedback_store import T0, case, survey


async def test_staged_writes_and_the_state_are_stored_together(stores, unit):
    residents, feedback, _ = stores
    await residents.save_state(ResidentState(user="tg:1", state="fb.consent", data={"c": "jobs"}, updated_at=T0))
    done = ResidentState(user="tg:1", state="idle", updated_at=T0 + timedelta(minutes=1))
    await unit.commit([feedback.stage_add(survey("FB-1")), feedback.stage_add(case("FB-2"))], done)
    assert await feedback.get("FB-1") is not None and await feedback.get("FB-2") is not None
    assert await residents.load_state("tg:1") == done
    assert "jobs" in await feedback.answered("tg:1")  # the store's caches learn of the write


async def test_a_refused_write_stores_nothing_of_the_unit_and_says_which(stores, unit):
    residents, feedback, _ = stores
    done = ResidentState(user="tg:1", state="idle", updated_at=T0)
    await unit.commit([feedback.stage_add(survey("FB-1"))], done)
    again = ResidentState(user="tg:1", state="idle", data={"x": 1}, updated_at=T0 + timedelta(minutes=2))
    with pytest.raises(Refused) as refused:
        await unit.commit([feedback.stage_add(case("FB-2")), feedback.stage_add(survey("FB-3"))], again)
    assert refused.value.index == 1 and isinstance(refused.value.error, AlreadySubmitted)
    assert await feedback.get("FB-2") is None and await feedback.get("FB-3") is None
    assert await residents.load_state("tg:1") == done
    with pytest.raises(Refused) as refused:
        await unit.commit([feedback.stage_add(case("FB-1"))])
    assert refused.value.index == 0 and isinstance(refused.value.error, DuplicateReference)


async def test_a_unit_without_writes_saves_the_state_and_without_a_state_leaves_it(stores, unit):
    residents, feedback, _ = stores
    moved = ResidentState(user="tg:2", state="fb.question", data={"c": "jobs"}, updated_at=T0)
    await unit.commit([], moved)
    assert await residents.load_state("tg:2") == moved
    await unit.commit([feedback.stage_add(case("FB-9", user="tg:2"))])
    assert await residents.load_state("tg:2") == moved and await feedback.get("FB-9") is not None


async def test_a_write_of_another_backend_is_a_wiring_mistake(stores, unit):
    _, _, database = stores
    foreign = MemoryWrite(lambda: None, lambda: None) if database is not None else object()
    with pytest.raises(TypeError):
        await unit.commit([foreign])
