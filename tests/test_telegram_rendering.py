"""The Telegram adapter's translation both ways, with a scripted assistant standing in for the core:
HTML splitting, Update → Incoming, Reply → Bot API calls (edits and their fallback, attachments, other
recipients, blocked users), per-resident ordering, the error handler and the reminder loop.
The fake Bot API server is the judge of what Telegram would accept."""
from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fakes.bot_api import BadRequest, FakeBotApi, Resident, parse_telegram_html, utf16_len
from telegram import Bot, Update
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.adapters.telegram import Tuning, build_application, serving
from bot.adapters.telegram.application import file_url_for
from bot.adapters.telegram.handlers import FALLBACK_ERROR_TEXT
from bot.adapters.telegram.html_split import split_html, visible_length
from bot.adapters.telegram.incoming import chat_id_of, incoming_from_update
from bot.adapters.telegram.ordering import PerUserOrderedProcessor
from bot.adapters.telegram.transport import AiohttpRequest
from bot.core.messages import Button, Document, Image, Incoming, Reply, Venue
from bot.settings import Settings

# PTB 22 constructs every RetryAfter through its own deprecated int-valued attribute; nothing to fix on our side.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

FAST = Tuning(poll_timeout=1, read_timeout=1.5, connect_timeout=1, reminder_interval=3600)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


# ------------------------------------------------------------------------------------------------ HTML splitting
def visible(html: str) -> str:
    return parse_telegram_html(html)


def test_text_within_the_limit_is_one_unchanged_part():
    html = "<b>標題</b>\n內容 &amp; 更多"
    assert split_html(html) == [html]
    assert split_html("   \n ") == []


def test_long_text_splits_at_paragraphs_and_every_part_is_valid_and_within_the_limit():
    paragraph = "<b>第{}段</b>：" + "社區服務中心提供各種便民服務。" * 20 + "\n\n"
    html = "".join(paragraph.format(i) for i in range(30))
    parts = split_html(html)
    assert len(parts) > 1
    for part in parts:
        text = visible(part)  # raises if a tag or entity was broken
        assert utf16_len(text) <= 4096
        assert text.startswith("第")  # each part starts at a paragraph
    assert "".join(visible(p) for p in parts).replace("\n", "") == visible(html).replace("\n", "")


def test_tags_open_at_a_cut_are_closed_and_reopened_with_their_attributes():
    html = '<a href="https://example.org/?a=1&amp;b=2"><i>' + "連結文字" * 30 + "</i></a>"
    parts = split_html(html, limit=50)
    assert len(parts) == 3
    for part in parts:
        assert part.startswith('<a href="https://example.org/?a=1&amp;b=2"><i>') and part.endswith("</i></a>")
        assert visible_length(part) <= 50


def test_entities_and_astral_characters_are_never_cut_and_count_like_telegram():
    html = ("ab&amp;" * 30) + ("😀" * 30)
    for limit in (7, 8, 9, 10, 11):
        parts = split_html(html, limit=limit)
        assert all(utf16_len(visible(p)) <= limit for p in parts)
        assert "".join(visible(p) for p in parts) == visible(html)
    assert visible_length("😀&lt;") == 3


def test_random_markup_always_splits_into_valid_parts():
    rng = random.Random(7)
    tags = ["b", "i", "u", "s", "code", "tg-spoiler", 'a href="https://x.org/?q=1&amp;r=2"', "blockquote"]
    pieces = ["社區", "服務", "&lt;", "&gt;", "&amp;", "&quot;", "&#128512;", "😀", " ", "\n", "\n\n", "word", "。"]
    for _ in range(200):
        out, stack = [], []
        for _ in range(rng.randint(1, 120)):
            roll = rng.random()
            if roll < 0.15 and len(stack) < 4:
                tag = rng.choice(tags)
                out.append(f"<{tag}>")
                stack.append(tag.split()[0])
            elif roll < 0.25 and stack:
                out.append(f"</{stack.pop()}>")
            else:
                out.append(rng.choice(pieces))
        out.extend(f"</{t}>" for t in reversed(stack))
        html = "".join(out)
        limit = rng.randint(4, 60)
        parts = split_html(html, limit=limit)
        for part in parts:
            assert utf16_len(visible(part)) <= limit, (html, limit, part)
            assert visible(part).strip()
        squash = lambda s: "".join(s.split())  # noqa: E731 - whitespace at cuts may be dropped
        assert squash("".join(visible(p) for p in parts)) == squash(visible(html))


# --------------------------------------------------------------------------------- the fake's HTML judgement
@pytest.mark.parametrize("html", ["<b>&", "a < b", "<script>x</script>", "<b>unclosed", "<b><i>x</b></i>",
                                  "<span>x</span>", "fish &chips", "&nbsp;"])
def test_the_fake_refuses_what_telegram_refuses(html):
    with pytest.raises(BadRequest, match="can't parse entities"):
        parse_telegram_html(html)


def test_the_fake_accepts_telegrams_html_subset():
    html = ('<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del>'
            '<a href="https://x.org/?a=1&amp;b=&quot;2&quot;">a</a><code>c</code><pre><code class="language-py">p'
            '</code></pre><tg-spoiler>t</tg-spoiler><span class="tg-spoiler">p</span><blockquote>q</blockquote>'
            '&lt;&gt;&amp;&quot;&#20013;&#x6587; a > b')
    assert parse_telegram_html(html) == 'bsieunskdacptpq<>&"中文 a > b'


# ------------------------------------------------------------------------------------------- Update → Incoming
def update_from(data: dict) -> Update:
    return Update.de_json({"update_id": 1, **data}, Bot("1:x"))


def test_updates_become_incoming_messages():
    api = FakeBotApi()
    alice = Resident(api, 5, first_name="Alice", language_code="zh-hans", username=None)
    staff = Resident(api, 9, first_name="Staff", language_code=None, username=None)

    text = incoming_from_update(update_from(alice.message_update(text="低保怎么申请")), staff_ids={9})
    assert text == Incoming(user="tg:5", text="低保怎么申请", language_code="zh-hans", is_staff=False)
    assert text.display_name == "Alice"
    assert incoming_from_update(update_from(staff.message_update(text="/reply 1 hi")), {9}).is_staff
    located = incoming_from_update(update_from(alice.message_update(location={"latitude": 32.0, "longitude": 118.7})),
                                   set())
    assert located.location == (32.0, 118.7)
    sticker = alice.message_update(sticker={"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1,
                                            "is_animated": False, "is_video": False, "type": "regular"})
    assert incoming_from_update(update_from(sticker), set()).unsupported == "sticker"
    voice = alice.message_update(voice={"file_id": "v", "file_unique_id": "v", "duration": 3})
    assert incoming_from_update(update_from(voice), set()).unsupported == "voice"
    pressed = incoming_from_update(update_from(alice.button_update("e:facility-1", None)), set())
    assert pressed.action == "e:facility-1" and pressed.user == "tg:5"
    joined = alice.message_update(new_chat_members=[{"id": 6, "is_bot": False, "first_name": "B"}])
    assert incoming_from_update(update_from(joined), set()) is None


def test_user_keys_map_back_to_private_chats():
    assert chat_id_of("tg:12345") == 12345
    assert chat_id_of("console:local") is None
    assert chat_id_of("tg:abc") is None
    assert file_url_for("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"


# ------------------------------------------------------------------------------------------- aiohttp transport
async def test_the_aiohttp_transport_maps_failures_like_ptb_and_never_shows_the_url():
    async with FakeBotApi() as api:
        request = AiohttpRequest(4, read_timeout=0.5, connect_timeout=0.5)
        bot = Bot(api.token, base_url=api.api_url, request=request, get_updates_request=AiohttpRequest(1))
        await bot.initialize()
        try:
            api.fail("getMe", drop=True)
            with pytest.raises(NetworkError) as dropped:
                await bot.get_me()
            api.fail("getMe", delay=1.0)
            with pytest.raises(TimedOut):
                await bot.get_me()
            api.fail("getMe", status=429, retry_after=3)
            with pytest.raises(RetryAfter):
                await bot.get_me()
            api.fail("getMe", status=502)
            with pytest.raises(NetworkError, match="Error 502"):
                await bot.get_me()
            assert (await bot.get_me()).username == "district_helper_bot"
            message = await bot.send_photo(42, PNG, caption="<b>圖</b>", filename="c.png", parse_mode="HTML")
            assert message.caption == "圖" and api.messages_in(42)[0].file["filename"] == "c.png"
        finally:
            await bot.shutdown()
        assert api.token not in str(dropped.value) and dropped.value.__cause__ is None


# ------------------------------------------------------------------------------- Reply → Bot API, end to end
@dataclass
class ScriptedAssistant:
    """Answers with whatever ``script`` returns for an Incoming; remembers what it was asked."""

    script: Callable[[Incoming], list[Reply]]
    reminders: list[Reply] = field(default_factory=list)
    seen: list[Incoming] = field(default_factory=list)
    delays: dict[str, float] = field(default_factory=dict)

    async def handle(self, incoming: Incoming) -> list[Reply]:
        self.seen.append(incoming)
        await asyncio.sleep(self.delays.get(incoming.text or "", 0))
        return self.script(incoming)

    def command_menu(self, lang: str) -> list[tuple[str, str]]:
        return [("start", f"start ({lang})"), ("help", f"help ({lang})")]

    async def due_reminders(self) -> list[Reply]:
        due, self.reminders = self.reminders, []
        return due


@dataclass
class ScriptedServices:
    settings: Settings
    assistant: ScriptedAssistant
    events: list[str] = field(default_factory=list)

    async def open(self) -> None:
        self.events.append("open")

    async def close(self) -> None:
        self.events.append("close")


MENU = Reply(html="選單", buttons=((Button("甲", "a"), Button("乙", "b")), (Button("官網", url="https://example.org"),)))


def scripted(incoming: Incoming) -> list[Reply]:
    text, action = incoming.text or "", incoming.action
    if text == "/start":
        return [MENU]
    if action == "a":
        return [Reply(html="<b>甲</b> 的內容", buttons=((Button("返回", "menu"),),), replace=True)]
    if action == "menu":
        return [Reply(html="選單", buttons=MENU.buttons, replace=True)]
    if action == "venue":
        return [Reply(html="地點", replace=True), Reply(venue=Venue(32.0, 118.7, "圖書室", "二樓"))]
    if text == "long":
        return [Reply(html="<i>" + "很長的答案。" * 1500 + "</i>", buttons=((Button("更多", "more"),),))]
    if text == "chart":
        return [Reply(image=Image(PNG, caption="<b>圖表</b>" + "說明" * 600), buttons=((Button("好", "ok"),),))]
    if text == "export":
        return [Reply(html="匯出完成", document=Document(b"a,b\n1,2\n", "export.csv", caption="CSV"))]
    if text == "broadcast":
        return [Reply(html="已轉交", to=None), Reply(html="通知一", to="tg:7001"), Reply(html="通知二", to="tg:7002"),
                Reply(html="主控台", to="console:local"), Reply(html="通知三", to="tg:7003")]
    if text == "boom":
        raise RuntimeError("the core failed")
    return [Reply(html=f"收到：{len(text)}")]


@pytest.fixture
async def scripted_bot(tmp_path: Path):
    async with FakeBotApi() as api:
        settings = Settings(telegram_token=api.token, telegram_api_url=api.api_url, db_path=tmp_path / "unused")
        services = ScriptedServices(settings, ScriptedAssistant(scripted))
        async with serving(build_application(services, FAST)):
            yield api, services
        assert services.events == ["open", "close"]
        assert not api.unanswered_queries


async def test_replace_edits_the_pressed_message_in_place(scripted_bot):
    api, _ = scripted_bot
    olga = api.resident(6001)
    [menu] = await olga.exchange(olga.command("start"))
    assert menu.find_button("官網")["url"] == "https://example.org"
    [page] = await olga.exchange(olga.press("甲"))
    assert page.message_id == menu.message_id and page.edits == 1 and page.text == "甲 的內容"
    [back] = await olga.exchange(olga.press("返回"))
    assert back.message_id == menu.message_id and back.button_labels() == ["甲", "乙", "官網"]
    assert len(olga.inbox) == 1
    assert not api.bad_requests


async def test_a_refused_edit_is_sent_as_a_new_message(scripted_bot):
    api, _ = scripted_bot
    pete = api.resident(6002)
    [menu] = await pete.exchange(pete.command("start"))
    # Pressing "menu" on the menu itself would not change it: Telegram says "message is not modified".
    [again] = await pete.exchange(pete.press_data("menu", menu))
    assert again.message_id != menu.message_id and again.text == "選單"
    assert [c.description[:40] for c in api.bad_requests] == ["Bad Request: message is not modified: sp"]
    # A button pressed on a message that is gone (or no longer accessible) also gets a new message.
    [fresh] = await pete.exchange(pete.press_data("a", None))
    assert fresh.text == "甲 的內容" and fresh.edits == 0


async def test_a_venue_follows_the_text_and_a_venue_message_is_never_edited(scripted_bot):
    api, _ = scripted_bot
    quinn = api.resident(6003)
    [menu] = await quinn.exchange(quinn.command("start"))
    text, venue = await quinn.exchange(quinn.press_data("venue", menu), replies=2)
    assert text.message_id == menu.message_id and text.text == "地點"
    assert venue.kind == "venue" and venue.venue == {"latitude": 32.0, "longitude": 118.7, "title": "圖書室",
                                                     "address": "二樓"}
    # Pressed on the venue message, which has no text to edit: both replies arrive as new messages.
    sent_text, sent_venue = await quinn.exchange(quinn.press_data("venue", venue), replies=2)
    assert sent_text.message_id > venue.message_id and sent_text.edits == 0 and sent_venue.kind == "venue"


async def test_long_replies_are_split_with_the_keyboard_on_the_last_part(scripted_bot):
    api, _ = scripted_bot
    rosa = api.resident(6004)
    parts = await rosa.exchange(rosa.say("long"), replies=3)
    assert [bool(p.buttons) for p in parts] == [False, False, True]
    assert all(len(p.text) <= 4096 for p in parts)
    assert "".join(p.text for p in parts) == "很長的答案。" * 1500
    assert not api.bad_requests


async def test_images_and_documents_are_uploaded_and_a_long_caption_follows_as_text(scripted_bot):
    api, _ = scripted_bot
    sam = api.resident(6005)
    photo, caption = await sam.exchange(sam.say("chart"), replies=2)
    assert photo.kind == "photo" and photo.file["content"] == PNG and not photo.text
    assert caption.text.startswith("圖表") and caption.button_labels() == ["好"]
    text, document = await sam.exchange(sam.say("export"), replies=2)
    assert text.text == "匯出完成"
    assert document.kind == "document" and document.file["filename"] == "export.csv" and document.text == "CSV"


async def test_replies_to_other_people_reach_them_even_if_one_blocked_the_bot(scripted_bot):
    api, _ = scripted_bot
    api.blocked.add(7002)
    tina = api.resident(6006)
    await tina.exchange(tina.say("broadcast"))
    await api.wait_until(lambda: api.messages_in(7003), what="the third notice")
    assert [m.text for m in api.messages_in(7001)] == ["通知一"]
    assert not api.messages_in(7002)
    assert [m.text for m in tina.inbox] == ["已轉交"]


async def test_a_failing_core_gets_the_resident_an_apology_and_the_next_message_works(scripted_bot):
    api, services = scripted_bot
    uma = api.resident(6007)
    [apology] = await uma.exchange(uma.say("boom"))
    assert apology.text == FALLBACK_ERROR_TEXT  # this assistant offers no error_text of its own
    [fine] = await uma.exchange(uma.say("ok"))
    assert fine.text == "收到：2"


async def test_the_command_menu_is_registered_for_the_default_chinese_and_english(scripted_bot):
    api, _ = scripted_bot
    assert api.commands_for("") == [{"command": "start", "description": "start (zh-Hant)"},
                                    {"command": "help", "description": "help (zh-Hant)"}]
    assert api.commands_for("zh")[0]["description"] == "start (zh-Hans)"
    assert api.commands_for("en")[0]["description"] == "start (en)"


async def test_each_residents_messages_are_handled_in_order_while_residents_run_concurrently(scripted_bot):
    api, services = scripted_bot
    services.assistant.delays.update({"slow": 0.3, "quick": 0.0})
    vera, walt = api.resident(6008), api.resident(6009)
    await vera.say("slow")
    await vera.say("quick")
    await walt.say("quick")
    await api.wait_until(lambda: len(vera.inbox) == 2 and walt.inbox, what="three replies")
    assert [m.text for m in vera.inbox] == ["收到：4", "收到：5"]
    # Walt did not wait for Vera's slow message.
    assert walt.inbox[0].sent_at < vera.inbox[0].sent_at


async def test_reminders_are_sent_periodically(tmp_path):
    async with FakeBotApi() as api:
        settings = Settings(telegram_token=api.token, telegram_api_url=api.api_url, db_path=tmp_path / "unused")
        assistant = ScriptedAssistant(scripted, reminders=[Reply(html="還在嗎？", to="tg:8001"),
                                                           Reply(html="還在嗎？", to="tg:8002")])
        api.blocked.add(8001)
        tuning = Tuning(poll_timeout=1, read_timeout=1.5, reminder_interval=0.05)
        async with serving(build_application(ScriptedServices(settings, assistant), tuning)):
            await api.wait_until(lambda: api.messages_in(8002), what="the reminder")
        assert [m.text for m in api.messages_in(8002)] == ["還在嗎？"]


async def test_the_ordering_processor_forgets_people_once_their_updates_are_done():
    processor = PerUserOrderedProcessor(8)
    order: list[str] = []

    async def work(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        order.append(name)

    def update(user_id: int) -> Update:
        return update_from({"message": {"message_id": 1, "date": 0, "chat": {"id": user_id, "type": "private"},
                                        "from": {"id": user_id, "is_bot": False, "first_name": "x"}, "text": "t"}})

    await asyncio.gather(*(processor.process_update(update(u), work(f"{u}-{i}", d))
                           for u, i, d in [(1, 1, 0.05), (1, 2, 0.0), (2, 1, 0.01), (1, 3, 0.0)]))
    assert [n for n in order if n.startswith("1-")] == ["1-1", "1-2", "1-3"]
    assert order[0] == "2-1"
    assert processor.people_in_progress == 0


async def test_start_up_waits_out_an_unreachable_bot_api(tmp_path):
    async with FakeBotApi() as api:
        settings = Settings(telegram_token=api.token, telegram_api_url=api.api_url, db_path=tmp_path / "unused")
        services = ScriptedServices(settings, ScriptedAssistant(scripted))
        api.fail("getMe", status=502)
        api.fail("getMe", drop=True)
        async with serving(build_application(services, FAST)):
            xena = api.resident(6010)
            [menu] = await xena.exchange(xena.command("start"))
            assert menu.text == "選單"
        assert [c.status for c in api.calls_of("getMe")][:3] == [502, 0, 200]
