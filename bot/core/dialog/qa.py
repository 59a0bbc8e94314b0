"""Resident questions and browsing: /start, /help, /menu, categories → entries → answers, free-text questions,
"did you mean", locations and the language choice.

Every handler takes a ``Context`` and returns the replies to send; the transition table (``table.py``) says which
handler runs for which state and trigger, and where the resident may be afterwards.
"""
from __future__ import annotations

import math
from html import escape

from bot.core.booking import views as booking_views
from bot.core.dialog import notify, render
from bot.core.dialog.context import Context
from bot.core.dialog.router import ANY, IDLE, Router
from bot.core.errors import StorageUnavailable
from bot.core.feedback import buttons as feedback_buttons
from bot.core.i18n import texts_for
from bot.core.knowledge.model import Entry
from bot.core.language import LANGS
from bot.core.matching.smalltalk import small_talk
from bot.core.messages import Button, Reply
from bot.core.ports import UnansweredQuestion

NEARBY_COUNT = 5
NEARBY_RADIUS_KM = 10.0
#: Longest question kept for staff; residents sometimes paste whole letters.
UNANSWERED_MAX_CHARS = 500
#: Button prefixes: the language choice; "none of these suggestions".
LANG = "lang"
NONE = "none"


async def start(ctx: Context) -> list[Reply]:
    """Greet the resident and show the categories; a deep link ``/start ENTRY-ID`` opens that entry instead."""
    payload = ctx.arg.strip()
    if payload:
        entry = ctx.knowledge.resolve(payload)
        if entry:
            ctx.goto("idle", {})
            return _answer(ctx, entry)
    ctx.goto("idle", {})
    name = ctx.incoming.display_name
    greeting = ctx.t("welcome", name=f" {escape(name)}" if name else "")
    return [render.category_menu(ctx.knowledge.kb, ctx.t, ctx.lang, intro=greeting)]


async def help_(ctx: Context) -> list[Reply]:
    """List what the bot can do; the resident stays where they were."""
    return [Reply(html=ctx.t("help"))]


async def menu(ctx: Context) -> list[Reply]:
    """Show the category menu as a new message; next: a category button."""
    ctx.goto("idle", {})
    return [render.category_menu(ctx.knowledge.kb, ctx.t, ctx.lang)]


async def menu_in_place(ctx: Context) -> list[Reply]:
    """Replace the message whose button was pressed with the category menu."""
    ctx.goto("idle", {})
    return [render.category_menu(ctx.knowledge.kb, ctx.t, ctx.lang, replace=True)]


async def category_page(ctx: Context) -> list[Reply]:
    """``cat:CATEGORY:PAGE``: one page of a category's entries; next: an entry button, paging, or back."""
    category_id, _, page = ctx.arg.partition(":")
    kb = ctx.knowledge.kb
    if kb.category(category_id) is None:
        return stale(ctx)
    ctx.goto("idle", {})
    return [render.category_page(kb, category_id, int(page) if page.isdigit() else 0, ctx.t, ctx.lang)]


async def show_entry(ctx: Context) -> list[Reply]:
    """``e:ENTRY``: the entry's answer with contacts, related entries and a venue; next: related, back or menu."""
    entry = ctx.knowledge.resolve(ctx.arg)
    if entry is None:
        return stale(ctx)
    ctx.goto("idle", {})
    return _answer(ctx, entry)


def _answer(ctx: Context, entry: Entry) -> list[Reply]:
    """An entry's answer, with the consultation it names (if open), "📅 Book" for each venue that names the entry,
    and the "helpful? 👍/👎" row every answer carries."""
    return render.entry_reply(ctx.knowledge.kb, entry, ctx.t, ctx.lang,
                              extra_rows=feedback_buttons.consultation_rows(ctx, entry)
                              + booking_views.book_rows(ctx.knowledge.kb, entry.id, ctx.t, ctx.lang)
                              + feedback_buttons.helpful_rows(ctx, entry.id))


async def question(ctx: Context) -> list[Reply]:
    """Free text: answer when sure, offer up to three "did you mean" buttons when not, or say honestly that the
    bot does not know (and record the question for staff)."""
    text = ctx.arg.strip()
    if not text:
        return [Reply(html=ctx.t("empty_text"))]
    talk = small_talk(text)
    if talk is not None:
        # 你好 / 謝謝 / 👍: a friendly word and the menu; not a question, so nothing is recorded for staff.
        ctx.goto("idle", {})
        return [render.category_menu(ctx.knowledge.kb, ctx.t, ctx.lang, intro=ctx.t(f"smalltalk.{talk}"))]
    snapshot = ctx.knowledge
    result = await snapshot.matcher.match_async(text)
    if result.outcome == "answer" and result.answer_id and (entry := snapshot.kb.get(result.answer_id)):
        ctx.goto("idle", {})
        return _answer(ctx, entry)
    if result.outcome == "suggest" and result.suggestions:
        entries = [e for e in (snapshot.kb.get(i) for i in result.suggestions) if e]
        rows = tuple((render.entry_button(e, ctx.lang),) for e in entries)
        rows += ((Button(ctx.t("none_of_these"), NONE),),)
        ctx.goto("idle", {"last_question": text[:UNANSWERED_MAX_CHARS],
                          "nearest": entries[0].id if entries else None})
        return [Reply(html=ctx.t("suggest"), buttons=rows)]
    nearest = result.candidates[0].entry_id if result.candidates else None
    await _record_unanswered(ctx, text, "not_found", nearest)
    # The question stays in flow data so the "send to staff" button can turn it into a case.
    ctx.goto("idle", {**feedback_buttons.case_draft(text), notify.ASKED: text[:UNANSWERED_MAX_CHARS]})
    return [Reply(html=ctx.t("not_found"), buttons=feedback_buttons.case_rows(ctx) + notify.notify_rows(ctx)
                  + ((Button(ctx.t("menu_button"), render.MENU),),))]


async def none_of_these(ctx: Context) -> list[Reply]:
    """The resident rejected every suggestion: record the question for staff and say so."""
    asked = ctx.data.get("last_question")
    if not asked:
        return stale(ctx)
    recorded = await _record_unanswered(ctx, asked, "none_of_these", ctx.data.get("nearest"))
    ctx.goto("idle", {**feedback_buttons.case_draft(asked), notify.ASKED: asked})
    # "Noted for staff" only when it was: with storage failing the resident is told it was not.
    return [Reply(html=ctx.t("none_recorded" if recorded else "none_not_recorded"),
                  buttons=feedback_buttons.case_rows(ctx) + (notify.notify_rows(ctx) if recorded else ()),
                  replace=True)]


async def _record_unanswered(ctx: Context, text: str, reason: str, nearest: str | None) -> bool:
    """Keep the question for staff; False when storage failed (the resident still gets their reply)."""
    try:
        await ctx.deps.residents.record_unanswered(UnansweredQuestion(
            question=text[:UNANSWERED_MAX_CHARS], reason=reason, language=ctx.lang, nearest_id=nearest,
            asked_at=ctx.deps.clock(), user=ctx.incoming.user,
        ))
    except StorageUnavailable:
        return False
    return True


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def _distance_text(ctx: Context, km: float) -> str:
    if km < 1:
        return ctx.t("distance_m", value=int(round(km * 1000, -1)))
    return ctx.t("distance_km", value=f"{km:.1f}")


async def nearby(ctx: Context) -> list[Reply]:
    """A shared location: the nearest facilities with distances; tapping one shows its answer and venue."""
    assert ctx.incoming.location is not None
    return nearby_at(ctx, *ctx.incoming.location)


def nearby_at(ctx: Context, lat: float, lon: float) -> list[Reply]:
    """The nearest facilities to a point (a shared location, or ``/near``)."""
    places = sorted(
        ((_distance_km(lat, lon, e.location.lat, e.location.lon), e)
         for e in ctx.knowledge.kb.entries if e.location),
        key=lambda pair: pair[0],
    )
    near = [(km, e) for km, e in places if km <= NEARBY_RADIUS_KM][:NEARBY_COUNT]
    if not near:
        return [Reply(html=ctx.t("nearby_none", radius=int(NEARBY_RADIUS_KM)))]
    lines = [ctx.t("nearby_title")]
    rows = []
    for km, entry in near:
        title = render.text_of(entry.title, ctx.lang)
        lines.append("• " + ctx.t("nearby_item", title=escape(title), distance=_distance_text(ctx, km)))
        short = render.button_title(entry, ctx.lang)
        rows.append((Button(render.label(f"{short} · {_distance_text(ctx, km)}"), render.entry_action(entry.id)),))
    return [Reply(html="\n".join(lines), buttons=tuple(rows))]


async def language_menu(ctx: Context) -> list[Reply]:
    """Offer the three languages and "automatic"; next: a ``lang:`` button."""
    rows = (
        (Button("繁體中文", f"{LANG}:zh-Hant"), Button("简体中文", f"{LANG}:zh-Hans"), Button("English", f"{LANG}:en")),
        (Button(ctx.t("language_auto"), f"{LANG}:auto"),),
    )
    return [Reply(html=ctx.t("language_prompt"), buttons=rows)]


async def set_language(ctx: Context) -> list[Reply]:
    """Remember the chosen language (or go back to following the resident's script) and confirm in it."""
    choice = ctx.arg
    if choice == "auto":
        ctx.state.language = None
        return [Reply(html=ctx.t("language_auto_set"), replace=True)]
    if choice not in LANGS:
        return stale(ctx)
    ctx.state.language = choice
    ctx.lang = choice
    ctx.t = texts_for(choice)
    return [Reply(html=ctx.t("language_set"), replace=True)]


async def cancel(ctx: Context) -> list[Reply]:
    """``/cancel``: leave whatever flow the resident is in."""
    was_idle = ctx.state.state == "idle"
    ctx.goto("idle", {})
    return [Reply(html=ctx.t("nothing_to_cancel" if was_idle else "cancelled"))]


async def unknown_command(ctx: Context) -> list[Reply]:
    """A command the bot does not have (also what non-staff get for staff commands)."""
    return [Reply(html=ctx.t("unknown_command"))]


async def unsupported(ctx: Context) -> list[Reply]:
    """Stickers, photos, voice notes …: say what the bot can read."""
    return [Reply(html=ctx.t("unsupported"))]


stale = render.stale


router = Router("qa")
router.command("start", start, (IDLE,), doc="welcome + categories; /start ENTRY opens an entry")
router.command("help", help_, doc="what the bot can do")
router.command("menu", menu, (IDLE,), doc="category menu")
router.command("language", language_menu, doc="choose zh-Hant / zh-Hans / en / automatic")
router.command("cancel", cancel, (IDLE,), doc="leave any flow")
router.command("*", unknown_command, doc="unknown command")
router.action(LANG, set_language, doc="remember the language")
router.action(render.MENU, menu_in_place, (IDLE,), doc="category menu")
router.action(render.CATEGORY, category_page, (IDLE,), doc="a page of a category's entries")
router.action(render.ENTRY, show_entry, (IDLE,), doc="an entry's answer")
router.on(ANY, "location", nearby, doc="nearest facilities")
router.on(ANY, "unsupported", unsupported, doc="stickers, photos, voice …")
router.text(IDLE, question, (IDLE,), doc="answer, 'did you mean' buttons, or not found")
router.action(NONE, none_of_these, (IDLE,), state=IDLE, doc="the suggestions were wrong: record the miss")
