"""Turning knowledge-base entries into replies: escaped HTML text, contact lines, buttons, a venue."""
from __future__ import annotations

import math
import unicodedata
from html import escape
from typing import TYPE_CHECKING, Protocol

from bot.core.i18n import Texts
from bot.core.knowledge.model import Entry, KnowledgeBase, Text
from bot.core.knowledge.service import entry_token
from bot.core.language import Lang
from bot.core.messages import MAX_ACTION_BYTES, Button, Reply, Venue

if TYPE_CHECKING:
    from bot.core.dialog.context import Context

#: Width of a button label in columns: a Chinese character is two, a Latin letter one, so "32 characters" no longer
#: lets a Chinese title be twice as wide as an English one cut at the same count. 44 columns (22 Chinese
#: characters, ~44 letters) is one line of a full-width inline button on a phone; an entry's ``short`` label is
#: used where its title is longer (``kb lint`` names those).
BUTTON_LABEL_COLUMNS = 44
ENTRIES_PER_PAGE = 8

#: Button prefixes of Q&A browsing (routed by ``qa.router``): the menu, a category page, an entry's answer.
MENU = "menu"
CATEGORY = "cat"
ENTRY = "e"


def entry_action(entry_id: str) -> str:
    action = f"{ENTRY}:{entry_id}"
    return action if len(action.encode()) <= MAX_ACTION_BYTES else f"{ENTRY}:{entry_token(entry_id)}"


def columns(text: str) -> int:
    """How wide ``text`` is on screen: wide (East Asian) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def label(text: str) -> str:
    """``text`` on one line, cut with "…" to ``BUTTON_LABEL_COLUMNS``."""
    text = " ".join(text.split())
    if columns(text) <= BUTTON_LABEL_COLUMNS:
        return text
    width, cut = 0, 0
    for cut, char in enumerate(text):  # noqa: B007 -- `cut` is read after the loop: where it stopped
        width += columns(char)
        if width > BUTTON_LABEL_COLUMNS - 1:
            break
    return text[:cut] + "…"


class Titled(Protocol):
    """What a button names: an entry or a consultation."""

    @property
    def title(self) -> Text: ...

    @property
    def short(self) -> Text | None: ...


def button_title(item: Titled, lang: Lang) -> str:
    """An entry's (or consultation's) ``short`` label in the reader's language where the knowledge base gives
    one, else its title."""
    short = item.short
    if short is not None and (short.by_lang.get(lang) or short.plain):
        return text_of(short, lang)
    return text_of(item.title, lang)


def text_of(value: Text | None, lang: Lang) -> str:
    return value.get(lang).strip() if value else ""


def category_title(kb: KnowledgeBase, category_id: str, t: Texts, lang: Lang) -> str:
    category = kb.category(category_id)
    key = f"category.{category_id}"
    builtin = t(key) if category_id in ("services", "facilities", "schools", "policies") else ""
    return builtin or (text_of(category.title, lang) if category else category_id)


def entry_button(entry: Entry, lang: Lang) -> Button:
    return Button(label(button_title(entry, lang)), entry_action(entry.id))


def category_menu(kb: KnowledgeBase, t: Texts, lang: Lang, *, replace: bool = False, intro: str = "") -> Reply:
    """The category buttons, two per row."""
    buttons = [Button(category_title(kb, c.id, t, lang), f"{CATEGORY}:{c.id}:0") for c in kb.categories]
    rows = tuple(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2))
    text = (intro + "\n\n" if intro else "") + t("menu_title")
    return Reply(html=text, buttons=rows, replace=replace)


def category_page(kb: KnowledgeBase, category_id: str, page: int, t: Texts, lang: Lang) -> Reply:
    """One page of a category's entries, with previous/next and a way back to the menu."""
    entries = kb.in_category(category_id)
    name = escape(category_title(kb, category_id, t, lang))
    back = (Button(t("menu_button"), MENU),)
    if not entries:
        return Reply(html=t("category_empty", category=name), buttons=(back,), replace=True)
    pages = math.ceil(len(entries) / ENTRIES_PER_PAGE)
    page = min(max(page, 0), pages - 1)
    shown = entries[page * ENTRIES_PER_PAGE:(page + 1) * ENTRIES_PER_PAGE]
    rows: list[tuple[Button, ...]] = [(entry_button(e, lang),) for e in shown]
    nav = []
    if page > 0:
        nav.append(Button(t("prev_page"), f"{CATEGORY}:{category_id}:{page - 1}"))
    if page < pages - 1:
        nav.append(Button(t("next_page"), f"{CATEGORY}:{category_id}:{page + 1}"))
    if nav:
        rows.append(tuple(nav))
    rows.append(back)
    return Reply(html=t("category_page", category=name, page=page + 1, pages=pages), buttons=tuple(rows),
                 replace=True)


def entry_reply(kb: KnowledgeBase, entry: Entry, t: Texts, lang: Lang, *, replace: bool = False,
                extra_rows: tuple[tuple[Button, ...], ...] = ()) -> list[Reply]:
    """The answer to show for ``entry``: title, answer, contact lines, related buttons, and a venue for places."""
    parts = [f"<b>{escape(text_of(entry.title, lang))}</b>", escape(text_of(entry.answer, lang))]
    if lang == "en" and not entry.answer.by_lang.get("en"):
        # The district wrote this answer in Chinese only: say so rather than leave an English reader guessing.
        parts.insert(1, f"<i>{t('entry.chinese_only')}</i>")
    details = []
    if entry.contact:
        for field_name in ("phone", "address", "hours", "url"):
            value = text_of(getattr(entry.contact, field_name), lang)
            if value:
                details.append(t(f"contact.{field_name}", value=escape(value)))
    community = text_of(entry.community, lang)
    if community:
        details.append(t("entry.community", value=escape(community)))
    if details:
        parts.append("\n".join(details))
    if entry.updated:
        parts.append(f"<i>{t('entry.updated', date=entry.updated.isoformat())}</i>")

    rows: list[tuple[Button, ...]] = []
    related = [kb.get(r) for r in entry.related]
    related_buttons = [entry_button(r, lang) for r in related if r is not None][:6]
    if related_buttons:
        parts.append(t("entry.related"))
        rows.extend(tuple(related_buttons[i:i + 2]) for i in range(0, len(related_buttons), 2))
    # Extra rows (the 👍/👎 row) come after the related entries, which the "related" line of the text introduces.
    rows.extend(extra_rows)
    rows.append((Button(t("back"), f"{CATEGORY}:{entry.category}:0"), Button(t("menu_button"), MENU)))
    replies = [Reply(html="\n\n".join(p for p in parts if p), buttons=tuple(rows), replace=replace)]
    if entry.location:
        replies.append(Reply(venue=Venue(
            lat=entry.location.lat, lon=entry.location.lon,
            title=text_of(entry.title, lang),
            address=text_of(entry.contact.address, lang) if entry.contact else "",
        )))
    return replies


def stale(ctx: Context) -> list[Reply]:
    """A button from an old message (or forged callback data) that no longer means anything: the menu again."""
    return [category_menu(ctx.knowledge.kb, ctx.t, ctx.lang, intro=ctx.t("stale_button"))]
