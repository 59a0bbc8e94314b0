"""Replies survive Bot API faults: twelve scenarios through the fake Bot API, each checked the way a resident
would notice it — the answer arrives, once.

``python tests/test_telegram_send_faults.py`` prints the scenario table (run it with ``PYTHONPATH`` pointing at an
older checkout to compare: the script only needs ``build_application`` and ``serving``).
"""
from __future__ import annotations

import asyncio
import dataclasses
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakes.bot_api import FakeBotApi  # noqa: E402
from test_telegram_e2e import settings_for  # noqa: E402

from bot.adapters.telegram import Tuning, build_application, serving  # noqa: E402
from bot.app import build_services  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

QUESTION = "沿河社區圖書室幾點開門"
#: name → faults injected before the question: (method, keyword arguments of ``FakeBotApi.fail``), in order.
SCENARIOS: dict[str, list[tuple[str, dict]]] = {
    "sendMessage 500 once": [("sendMessage", {"status": 500})],
    "sendMessage 502 once": [("sendMessage", {"status": 502})],
    "sendMessage 503 twice": [("sendMessage", {"status": 503, "times": 2})],
    "sendMessage 500 three times": [("sendMessage", {"status": 500, "times": 3})],
    "connection reset once": [("sendMessage", {"drop": True})],
    "connection reset twice": [("sendMessage", {"drop": True, "times": 2})],
    "429 once (retry_after 1)": [("sendMessage", {"status": 429})],
    "429 twice": [("sendMessage", {"status": 429, "times": 2})],
    "429 three times": [("sendMessage", {"status": 429, "times": 3})],
    "500, then 429, then reset": [("sendMessage", {"status": 500}), ("sendMessage", {"status": 429}),
                                  ("sendMessage", {"drop": True})],
    "sendVenue 502 once (the answer's map)": [("sendVenue", {"status": 502})],
    "accepted, answer later than the read timeout": [("sendMessage", {"late": True, "delay": 2.5})],
}


def tuning() -> Tuning:
    # Short timeouts for tests; a retry budget that covers three 429s. Keys an older Tuning lacks are left out.
    wanted = {"poll_timeout": 1, "read_timeout": 1.5, "connect_timeout": 1, "reminder_interval": 3600,
              "send_retry_budget": 10}
    return Tuning(**{k: v for k, v in wanted.items() if k in {f.name for f in dataclasses.fields(Tuning)}})


async def play(api: FakeBotApi, user_id: int, faults: list[tuple[str, dict]]) -> str:
    """Inject ``faults``, ask the question, and say what the resident ends up seeing."""
    resident = api.resident(user_id, language_code="zh-hant")
    await resident.exchange(resident.command("help"))
    for method, kwargs in faults:
        api.fail(method, chat_id=user_id, **kwargs)
    before = len(resident.inbox)
    await resident.say(QUESTION)
    try:  # a bot that gives up early leaves faults nobody meets; they must not hit the follow-up instead
        await api.wait_until(lambda: not api.pending_faults(chat_id=user_id), timeout=15, what="faults met")
    except AssertionError:
        api.clear_faults(chat_id=user_id)
    await resident.say("/help")  # answered after everything for the question: one resident's updates run in order
    await api.wait_until(lambda: any("/feedback" in m.text for m in resident.inbox[before:]), timeout=30,
                         what="the follow-up /help")
    seen = resident.inbox[before:]
    answers = [m for m in seen if m.kind == "text" and "圖書室" in m.text]
    venues = [m for m in seen if m.kind == "venue"]
    if len(answers) > 1 or len(venues) > 1:
        return "delivered twice"
    if answers and venues:
        return "delivered"
    if answers:
        return "answer without its map" + (" + apology" if len(seen) > 2 else "")
    return "apology only" if len(seen) > 1 else "nothing"


async def play_all(names: list[str]) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeBotApi() as api:
            services = build_services(settings_for(api, Path(tmp) / "bot.sqlite3"))
            async with serving(build_application(services, tuning())):
                # Side by side, each resident meeting only their own faults (one resident's updates run in order,
                # different residents' at once): the whole table takes as long as its slowest scenario.
                results = await asyncio.gather(*(play(api, 6001 + i, SCENARIOS[name]) for i, name in enumerate(names)))
    return dict(zip(names, results, strict=True))


#: The one scenario where the reply cannot be completed: the server took the answer but its acknowledgement came
#: after the read timeout, so the bot cannot tell whether it arrived. It is not sent again (no duplicate); the
#: resident sees it once, then the apology instead of the map.
LATE = "accepted, answer later than the read timeout"


async def test_every_fault_scenario_delivers_the_answer_once():
    outcomes = await play_all(list(SCENARIOS))
    expected = {name: "delivered" for name in SCENARIOS} | {LATE: "answer without its map + apology"}
    assert outcomes == expected, outcomes


if __name__ == "__main__":
    print("| scenario | outcome |\n| --- | --- |")
    for scenario, outcome in asyncio.run(play_all(list(SCENARIOS))).items():
        print(f"| {scenario} | {outcome} |")
