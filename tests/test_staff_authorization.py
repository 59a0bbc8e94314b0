"""Only STAFF_IDS may use staff commands and buttons. Every staff row of the transition table (present and
future: the rows are read from the table) is tried by a resident, in its own state and with forged payloads and
callback data; the resident must get exactly what an unknown command (or a stale button) gets, and nothing may
happen: no reload, no audit entry, no announcement, no digest opt-in, no state change."""
import logging

import pytest
from conftest import small_knowledge_base
from staff_support import STAFF, make_world

from bot.core.dialog import qa, table
from bot.core.dialog.table import ANY, TABLE
from bot.core.i18n import texts_for
from bot.core.messages import Incoming
from bot.core.staff.ports import ALL_COMMUNITIES

RESIDENT = "tg:200"
SUBSCRIBER = "tg:300"
STAFF_ROWS = [row for row in TABLE if row.staff]

#: Forged payloads a resident might type after a staff command, and forged callback data after a staff prefix.
COMMAND_PAYLOADS = ("", " on", " off", " 明天停水，請大家儲水", "@district_bot")
ACTION_ARGS = ("", ":0", ":1", ":on", ":off", ":all", ":-1", ":" + "9" * 40)
#: Flow data a staff flow would hold, forged into the resident's state so that a missing check would act on it.
FORGED_DATA = {"text": "偽造的通知", "options": [["sub", "", "All", 1], ["sub", "沿河社區", "沿河社區", 1]]}


def incomings_for(trigger: str):
    """Every way a resident can fire ``trigger``."""
    kind, _, name = trigger.partition(":")
    if kind == "command":
        return [Incoming(user=RESIDENT, text=f"/{name}{payload}") for payload in COMMAND_PAYLOADS]
    if kind == "action":
        return [Incoming(user=RESIDENT, action=f"{name}{arg}") for arg in ACTION_ARGS]
    if kind == "text":
        return [Incoming(user=RESIDENT, text=text) for text in ("大家好，明天停水", "/reload", "0")]
    raise AssertionError(f"add a way to fire {trigger!r} to this test")


def counting_loader():
    calls = []

    def load(directory):
        calls.append(directory)
        return small_knowledge_base()

    return load, calls


def test_the_table_has_the_staff_rows_this_test_is_about():
    triggers = {row.trigger for row in STAFF_ROWS}
    assert {"command:reload", "command:announce", "command:digest", "command:staff", "action:annsend",
            "action:anncancel", "action:digest"} <= triggers


@pytest.mark.parametrize("row", STAFF_ROWS, ids=lambda r: f"{r.state}|{r.trigger}")
async def test_a_resident_gets_nothing_from_any_staff_row(row, caplog):
    load, loads = counting_loader()
    world = make_world(loader=load)
    tools = world.tools
    await tools.subscriptions.subscribe(SUBSCRIBER, ALL_COMMUNITIES, world.clock())
    snapshot = world.knowledge.current

    for incoming in incomings_for(row.trigger):
        state = await world.residents.load_state(RESIDENT)
        if row.state != ANY:
            state.state, state.data = row.state, dict(FORGED_DATA)
            await world.residents.save_state(state)
        before = await world.residents.load_state(RESIDENT)

        # What the same resident gets for a command that does not exist, or a button that means nothing.
        probe = (Incoming(user=RESIDENT, action="zzz:1") if incoming.action is not None
                 else Incoming(user=RESIDENT, text="/no_such_command_here"))
        baseline = await world.assistant.handle(probe)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="bot.core.dialog.assistant"):
            replies = await world.assistant.handle(incoming)

        assert replies == baseline, incoming
        assert all(r.to is None and r.broadcast is None for r in replies)
        assert any("non-staff" in r.getMessage() and RESIDENT in r.getMessage() for r in caplog.records), incoming
        after = await world.residents.load_state(RESIDENT)
        assert (after.state, after.data) == (before.state, before.data)

    assert world.knowledge.current is snapshot and len(loads) == 1  # nothing reloaded
    assert await tools.audit.records() == []
    assert await tools.digests.digest_recipients() == []
    assert await tools.subscriptions.recipients() == [SUBSCRIBER]


async def test_the_baselines_really_are_the_unknown_command_and_stale_button_replies():
    load, _ = counting_loader()
    world = make_world(loader=load)
    replies = await world.assistant.handle(Incoming(user=RESIDENT, text="/reload"))
    assert [r.html for r in replies] == [_t("unknown_command")]
    stale = await world.assistant.handle(Incoming(user=RESIDENT, action="annsend:0"))
    assert _t("stale_button") in stale[0].html


@pytest.mark.parametrize("row", [r for r in STAFF_ROWS if r.trigger.startswith("command:")],
                         ids=lambda r: r.trigger)
async def test_the_same_commands_do_something_for_staff(row):
    """Guards the test above against passing vacuously: for staff, no staff command is "unknown"."""
    load, _ = counting_loader()
    world = make_world(loader=load)
    name = row.trigger.partition(":")[2]
    replies = await world.assistant.handle(Incoming(user=STAFF, text=f"/{name}", is_staff=True))
    assert replies and all(r.html != _t("unknown_command") for r in replies)


def _t(key):
    return texts_for("zh-Hant")(key)


async def test_staff_removed_from_staff_ids_mid_flow_can_no_longer_continue_it():
    load, _ = counting_loader()
    world = make_world(loader=load)
    await world.tools.subscriptions.subscribe(SUBSCRIBER, ALL_COMMUNITIES, world.clock())
    await world.assistant.handle(Incoming(user=STAFF, text="/announce", is_staff=True))
    assert (await world.residents.load_state(STAFF)).state == "announce_text"
    # The same person, no longer in STAFF_IDS, types the text: the table row is staff-only, so nothing happens.
    replies = await world.assistant.handle(Incoming(user=STAFF, text="明天停水"))
    assert replies[0].html == _t("unknown_command")
    assert (await world.residents.load_state(STAFF)).state == "announce_text"
    assert await world.tools.audit.records() == []


def test_find_never_lets_a_staff_state_row_shadow_a_resident_row_in_idle():
    """Staff flow rows live in staff states; in ``idle`` a resident's text still reaches the question handler."""
    assert table.find("idle", "text").handler is qa.question
