"""Whatever arrives from outside, the Telegram adapter answers it or ignores it, never with a traceback: text with
lone surrogates, locations of ±inf or text, callback data with numbers too big for any id, unknown chat types,
fields of the wrong type. Property-based (Hypothesis): arbitrary updates go through the adapter's whole inbound
path — parsing (``polling.parse_update``), translation (``incoming``), the real core on the SQLite stores, and the
keyboard rendering of its replies."""
from __future__ import annotations

import asyncio
import math

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_telegram_e2e import ROOT

from bot.adapters.telegram.incoming import clean_action, clean_location, clean_text, incoming_from_update
from bot.adapters.telegram.polling import parse_update
from bot.adapters.telegram.render import keyboard
from bot.app import build_services
from bot.settings import Settings

STAFF_ID = 9001
BOT = "district_helper_bot"

any_text = st.lists(st.integers(0, 0x10FFFF).map(chr), max_size=40).map("".join)  # lone surrogates included
odd = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), any_text, st.lists(st.integers(), max_size=2))
number = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**30), any_text, st.none())
prefixes = st.sampled_from(["e", "cat", "fr", "fh", "fc", "fa", "ft", "rv", "ffg", "lang", "sub", "digest", "menu"])
big = st.integers(-10**25, 10**25).map(str)
callback_data = st.one_of(any_text, st.builds(lambda p, a, b: f"{p}:{a}:{b}", prefixes, big, big), st.none())
chat_types = st.sampled_from(["private", "group", "supergroup", "channel", "sender", ""])
users = st.fixed_dictionaries({"id": st.sampled_from([1001, STAFF_ID]), "is_bot": st.just(False),
                               "first_name": any_text},
                              optional={"language_code": st.one_of(any_text, st.just("zh-hant")),
                                        "last_name": any_text})


@st.composite
def updates(draw) -> dict:
    user = draw(users)
    chat = {"id": user["id"] if draw(st.booleans()) else -100123, "type": draw(chat_types)}
    message = {"message_id": draw(st.integers(1, 10**6)), "date": 0, "chat": chat, "from": user}
    kind = draw(st.sampled_from(["text", "command", "location", "poll", "odd", "callback"]))
    if kind == "text":
        message["text"] = draw(any_text)
    elif kind == "command":
        name = draw(st.sampled_from(["start", "mystatus", "review", "stats", "feedback", "forget_me", "help"]))
        message["text"] = f"/{name}" + draw(st.sampled_from(["", f"@{BOT}", "@other_bot"])) + " " + draw(any_text)
    elif kind == "location":
        message["location"] = {"latitude": draw(number), "longitude": draw(number)}
    elif kind == "poll":
        message["poll"] = {"id": "p", "question": draw(any_text)}  # lacks fields the Bot API requires
    elif kind == "odd":
        message[draw(st.sampled_from(["text", "sticker", "photo", "location", "venue"]))] = draw(odd)
    update: dict = {"update_id": draw(st.integers(1, 2**31))}
    if kind == "callback":
        query = {"id": "q", "from": user, "chat_instance": "c", "data": draw(callback_data)}
        if draw(st.booleans()):
            query["message"] = {**message, "from": {"id": 1, "is_bot": True, "first_name": "bot"}}
        update["callback_query"] = query
    else:
        update["message"] = message
    return update


def test_arbitrary_updates_are_answered_without_a_traceback(tmp_path):
    # Without the meaning-level model, like the suite's other tests (conftest): the hostile part is parsing and
    # the adapter, and with it on a fresh clone embedded the whole sample into the repository's data/ (46 s).
    settings_ = Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:x", "BOT_DB": str(tmp_path / "bot.sqlite3"),
                                   "KNOWLEDGE_DIR": str(ROOT / "knowledge"), "STAFF_IDS": str(STAFF_ID),
                                   "SEMANTIC_MATCHING": "off"}, dotenv=None)
    services = build_services(settings_)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(services.open())

    async def feed(raw: dict) -> None:
        update = parse_update(raw, None)
        if update is None:
            return
        incoming = incoming_from_update(update, settings_.staff_ids, BOT)
        if incoming is None:
            return
        for reply in await services.assistant.handle(incoming):
            keyboard(reply.buttons, BOT)
            reply.html.encode("utf-8")  # what is sent must be valid UTF-8

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(raw=updates())
    @example(raw={"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1001, "type": "private"},
                                             "from": {"id": 1001, "is_bot": False, "first_name": "A"},
                                             "text": "\ud800低保"}})
    @example(raw={"update_id": 2, "message": {"message_id": 2, "date": 0, "chat": {"id": 1001, "type": "private"},
                                             "from": {"id": 1001, "is_bot": False, "first_name": "A"},
                                             "location": {"latitude": math.inf, "longitude": "east"}}})
    @example(raw={"update_id": 3, "callback_query": {"id": "q", "chat_instance": "c",
                                                     "from": {"id": 1001, "is_bot": False, "first_name": "A"},
                                                     "data": "fr:99999999999999999999999:5"}})
    def check(raw: dict) -> None:
        loop.run_until_complete(feed(raw))

    try:
        check()
    finally:
        loop.run_until_complete(services.close())
        loop.close()


def test_the_values_that_crashed_handlers_are_made_safe():
    assert clean_text("\ud800低保").encode("utf-8").endswith("低保".encode())
    assert clean_location(math.inf, 118.7) is None and clean_location("north", 1) is None
    assert clean_location(91, 0) is None and clean_location(32.02, 118.74) == (32.02, 118.74)
    assert clean_action("fr:99999999999999999999999:5") == ""
    assert clean_action("fr:12:5") == "fr:12:5"
    assert clean_action("é" * 10) == "" and clean_action(None) == ""
