"""In a group, supergroup or channel the bot answers knowledge questions at most; everything personal or for staff
happens in the private chat, reached by a link (t.me/<bot>?start=<payload>). The real Application polls the fake
Bot API; each command and each kind of button is played in a group, and what the group sees is checked."""
from __future__ import annotations

import re

import pytest
from fakes.bot_api import BOT_USER, BotMessage, FakeBotApi
from test_telegram_e2e import STAFF_ID, bot_running, settings_for, texts

from bot.core.dialog import table

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

GROUP = -1001234567
LINK = re.compile(r"https://t\.me/" + BOT_USER["username"] + r"(\?start=[A-Za-z0-9_-]{1,64})?$")
#: A sample argument for each button prefix of the transition table (the group must not act on any of them).
ACTION_ARGS = {"cat": "facilities:0", "e": "facility-yanhe-library", "lang": "en", "fr": "1:5", "fh": "x:1",
               "rv": "open:1", "fa": "0:1", "ft": "0:1", "fc": "jobs", "frp": "yes", "fct": "no", "sub": "all"}


def group_safe(message: BotMessage) -> list[str]:
    """The links of ``message``; fails if it carries a button that would act in the group."""
    buttons = [b for row in message.buttons for b in row]
    assert all("callback_data" not in b for b in buttons), f"a callback button in the group: {buttons}"
    assert all(LINK.match(b["url"]) for b in buttons), buttons
    assert "FB-" not in message.text, "a reference number in the group"
    return [b["url"] for b in buttons]


def private_payload(url: str) -> str:
    return url.partition("?start=")[2]


@pytest.fixture
async def world(tmp_path):
    async with FakeBotApi() as api, bot_running(settings_for(api, tmp_path / "bot.sqlite3")) as services:
        yield api, services


async def test_every_command_and_button_in_a_group_keeps_personal_and_staff_things_out(world):
    api, services = world
    # In private, Alice sends a question to staff and gets a reference number: personal data the group must not see.
    alice = api.resident(5001, language_code="zh-hant")
    await alice.exchange(alice.say("我家門口的路燈壞了三天誰來修"))
    [sent] = await alice.exchange(alice.press(lambda b: b.get("callback_data", "").startswith("fcase")))
    reference = re.search(r"FB-[0-9A-Z-]+", sent.text).group(0)

    groups = iter(range(GROUP, GROUP - 1000, -1))

    def in_group(user_id: int):
        # A group of its own for each step: Telegram (and the bot's rate limiter) allow 20 messages a minute per
        # group, and this test sends about a hundred.
        return api.resident(user_id, language_code="zh-hant", group=next(groups))

    commands = sorted({row.trigger.removeprefix("command:") for row in table.TABLE
                       if row.trigger.startswith("command:") and row.trigger != "command:*"} | {"frobnicate"})
    staff_commands = {row.trigger.removeprefix("command:") for row in table.TABLE if row.staff}
    for user_id in (5001, STAFF_ID):
        for name in commands:
            person = in_group(user_id)
            payload = reference if name in ("mystatus", "review") else ""
            [reply] = await person.exchange(person.command(name, payload))
            links = group_safe(reply)
            if name in staff_commands or name == "frobnicate":
                assert not links, f"/{name}: refused like an unknown command, without a link"
                assert "/help" in reply.text
            else:
                assert len(links) == 1, f"/{name} gets a link to the private chat"
                if name != "start":
                    assert private_payload(links[0]) == f"do_{name}"
    # Every kind of button, pressed on a message the bot sent in the group (or forged).
    prefixes = sorted({row.trigger.removeprefix("action:") for row in table.TABLE if row.trigger.startswith("action:")})
    for prefix in prefixes:
        data = f"{prefix}:{ACTION_ARGS.get(prefix, '1')}"
        for user_id in (5001, STAFF_ID):
            person = in_group(user_id)
            [anchor] = await person.exchange(person.command("help"))
            [reply] = await person.exchange(person.press_data(data, anchor))
            [link] = group_safe(reply)
            if prefix == "e":
                assert private_payload(link) == "facility-yanhe-library"
    # A location and a sticker: to the private chat as well.
    person = in_group(5001)
    for action in (person.share_location(32.0205, 118.7445), person.send_sticker()):
        [reply] = await person.exchange(action)
        assert len(group_safe(reply)) == 1
    everything = "\n".join(m.text for chat in range(GROUP, next(groups), -1) for m in api.messages_in(chat))
    assert reference not in everything and "FB-" not in everything
    assert not api.unanswered_queries

    # The link carries what was asked: in private, /start do_mystatus shows Alice her reference.
    [status] = await alice.exchange(alice.command("start", "do_mystatus"))
    assert reference in status.text


async def test_a_knowledge_question_in_a_group_is_answered_with_links_instead_of_buttons(world):
    api, _ = world
    bob = api.resident(5101, language_code="zh-hant", group=GROUP, chat_type="group")
    replies = await bob.exchange(bob.say(f"@{BOT_USER['username']} 沿河社區圖書室幾點開門"), replies=2)
    assert "圖書室" in texts(replies)
    assert any(m.kind == "venue" for m in replies)
    for message in replies:
        group_safe(message)
    # A command meant for another bot is not the bot's to answer: only /help's reply arrives.
    before = len(bob.deliveries)
    await bob.send(text="/help@some_other_bot")
    await bob.exchange(bob.command("help"))
    assert len(bob.deliveries) == before + 1
    # "Did you mean" in a group: each suggestion opens that entry in private.
    [suggest] = await bob.exchange(bob.say("圖書"))
    assert all(private_payload(url) == "" or "-" in private_payload(url) for url in group_safe(suggest))


async def test_a_channel_counts_as_a_group(world):
    api, _ = world
    carol = api.resident(5201, language_code="en", group=-1009999, chat_type="channel")
    [reply] = await carol.exchange(carol.command("mystatus"))
    assert [private_payload(u) for u in group_safe(reply)] == ["do_mystatus"]
