"""``/teach``: staff turn unanswered questions into phrasings or new entries, one group at a time, from the chat.

A card shows one group of similar unanswered questions (quoted, cut to 80 characters, never who asked), how often
it was asked, and the nearest entries, with buttons: attach to one of them (or pick category → entry), new entry
(the bot drafts id, category, title and questions; staff type the answer, then confirm), ignore (off-topic, not
shown again), next. ``/teach undo`` takes back the newest teach. The writing, gating and going live is
``bot.core.staff.teach.Teacher``; this module only talks.

Buttons name their group by a hash of its most asked wording (``tc:VERB:HASH[:ARG]``), so a card keeps working
after the staff member asked something else or the bot restarted; a group already taught is a stale button.
Staff rows only (``staff=True`` in the table): residents get the unknown-command / stale-button replies.
"""
from __future__ import annotations

import hashlib
from html import escape

from bot.core.dialog import qa, render
from bot.core.dialog.context import Context
from bot.core.dialog.router import IDLE, Router
from bot.core.errors import TeachRefused
from bot.core.knowledge.service import entry_token
from bot.core.knowledge.writer import EntryDraft
from bot.core.messages import MAX_ACTION_BYTES, Button, Reply
from bot.core.staff.teach import PREFIX as TEACH
from bot.core.staff.teach import QUOTE_CHARS, Taught, Teacher, draft_entry
from bot.core.staff.text import quote
from bot.core.staff.unanswered import UnansweredGroup

#: The staff member's next message is the new entry's answer; then it waits for ✅ / ✖️.
ANSWER_STATE = "teach_answer"
CONFIRM_STATE = "teach_confirm"
NEAREST_SHOWN = 3
ANSWER_MAX_CHARS = 4000


def group_key(group: UnansweredGroup) -> str:
    return hashlib.blake2b(group.representative.encode(), digest_size=4).hexdigest()


def _entry_ref(entry_id: str, prefix: str) -> str:
    return entry_id if len((prefix + entry_id).encode()) <= MAX_ACTION_BYTES else entry_token(entry_id)


def _q(text: str) -> str:
    return escape(quote(text, QUOTE_CHARS))


async def _find(teacher: Teacher, key: str) -> tuple[list[UnansweredGroup], int]:
    groups = await teacher.groups()
    return groups, next((i for i, g in enumerate(groups) if group_key(g) == key), -1)


async def _card(ctx: Context, teacher: Teacher, groups: list[UnansweredGroup], index: int, *,
                replace: bool = False, head: str = "") -> Reply:
    """The card of ``groups[index]`` (or "nothing left to teach")."""
    prefix = f"{head}\n\n" if head else ""
    week = await teacher.taught_this_week()
    if not 0 <= index < len(groups):
        return Reply(html=prefix + ctx.t("teach.empty", week=week), replace=replace)
    group, kb, key = groups[index], ctx.knowledge.kb, group_key(groups[index])
    lines = [ctx.t("teach.card", index=index + 1, total=len(groups), count=group.count, week=week),
             f"「{_q(group.representative)}」"]
    others = group.other_wordings(3)
    if others:
        lines.append(ctx.t("teach.also", wordings=" · ".join(f"「{_q(o)}」" for o in others)))
    nearest = [c.entry_id for c in (group.nearest.candidates if group.nearest else ())][:NEAREST_SHOWN]
    entries = [e for e in (kb.get(i) for i in nearest) if e]
    if entries:
        lines.append(ctx.t("teach.nearest", entries=", ".join(
            f"{escape(render.text_of(e.title, ctx.lang))} (<code>{escape(e.id)}</code>)" for e in entries)))
    rows: list[tuple[Button, ...]] = [
        (Button(render.label(ctx.t("teach.button_attach", title=render.button_title(e, ctx.lang))),
                f"{TEACH}:a:{key}:{_entry_ref(e.id, f'{TEACH}:a:{key}:')}"),) for e in entries]
    rows.append((Button(ctx.t("teach.button_pick"), f"{TEACH}:c:{key}"),
                  Button(ctx.t("teach.button_new"), f"{TEACH}:n:{key}")))
    rows.append((Button(ctx.t("teach.button_ignore"), f"{TEACH}:i:{key}"),
                  Button(ctx.t("teach.button_next"), f"{TEACH}:x:{key}")))
    return Reply(html=prefix + "\n".join(lines), buttons=tuple(rows), replace=replace)


def _taught_html(ctx: Context, taught: Taught, question: str) -> str:
    """What the live matcher now does with the taught question, in the staff member's words."""
    kb = ctx.knowledge.kb
    verdict = taught.verdict
    seconds = f"{taught.seconds:.1f}"
    if verdict is not None and verdict.outcome == "answer" and (entry := kb.get(verdict.answer_id or "")):
        key = "teach.done_answer"
    elif verdict is not None and verdict.suggestions and (entry := kb.get(verdict.suggestions[0])):
        key = "teach.done_suggest"
    else:
        entry, key = kb.get(taught.entry_id), "teach.done_weak"
    title = escape(render.text_of(entry.title, ctx.lang)) if entry else escape(taught.entry_id)
    html = ctx.t(key, question=_q(question), title=title, file=escape(taught.file), seconds=seconds)
    if taught.notices:
        html += "\n" + ctx.t("teach.notified", count=len(taught.notices))
    return html


def _refused(ctx: Context, refused: TeachRefused) -> str:
    params = {k: escape(quote(str(v), 120)) for k, v in refused.params.items()}
    return ctx.t("teach.refused", reason=ctx.t(refused.text_key, **params))


async def begin(ctx: Context) -> list[Reply]:
    """``/teach``: the most asked open group as a card with its buttons (or "nothing left"); ``/teach undo``
    takes back the newest teach. Leaves a new entry being written. Next: a card button."""
    if ctx.state.state in (ANSWER_STATE, CONFIRM_STATE):
        ctx.goto(IDLE, {})
    teacher = ctx.deps.teach
    if ctx.arg.strip().lower() == "undo":
        try:
            taught = await teacher.undo(ctx.incoming.user)
        except TeachRefused as refused:
            return [Reply(html=_refused(ctx, refused))]
        ctx.knowledge = teacher.knowledge.current
        return [Reply(html=ctx.t("teach.undone", entry=escape(taught.entry_id), file=escape(taught.file)))]
    if ctx.arg.strip():
        return [Reply(html=ctx.t("teach.usage"))]
    return [await _card(ctx, teacher, await teacher.groups(), 0)]


async def button(ctx: Context) -> list[Reply]:
    """``tc:s`` (start: the first card), ``tc:a:KEY:ENTRY`` (attach the group's most asked wording to ENTRY,
    gated, then live: "「…」 now answers …", then the next card), ``tc:c:KEY`` (categories), ``tc:k:KEY:CAT``
    (that category's entries as attach buttons), ``tc:n:KEY`` (draft a new entry: asks for the answer),
    ``tc:i:KEY`` (ignore), ``tc:x:KEY`` (next), ``tc:ok`` / ``tc:no`` (create / drop the drafted entry).
    A group already dealt with, or forged data, is a stale button. Next: another card, or the answer text."""
    verb, _, rest = ctx.arg.partition(":")
    key, _, extra = rest.partition(":")
    teacher = ctx.deps.teach
    if verb == "s":
        return [await _card(ctx, teacher, await teacher.groups(), 0)]
    if verb in ("ok", "no"):
        return await _confirm(ctx, teacher, verb == "ok")
    if verb not in ("a", "c", "k", "n", "i", "x"):
        return qa.stale(ctx)
    groups, index = await _find(teacher, key)
    if index < 0:
        return qa.stale(ctx)
    group = groups[index]
    if ctx.state.state in (ANSWER_STATE, CONFIRM_STATE):
        ctx.goto(IDLE, {})
    if verb == "x":
        return [await _card(ctx, teacher, groups, index + 1, replace=True)]
    if verb == "i":
        await teacher.ignore(ctx.incoming.user, list(group.wordings))
        groups, _ = await _find(teacher, "")
        head = ctx.t("teach.ignored", question=_q(group.representative))
        return [await _card(ctx, teacher, groups, index, replace=True, head=head)]
    if verb == "c":
        rows = tuple((Button(render.label(render.category_title(ctx.knowledge.kb, c.id, ctx.t, ctx.lang)),
                             f"{TEACH}:k:{key}:{c.id}"),)
                     for c in ctx.knowledge.kb.categories if any(e.category == c.id for e in ctx.knowledge.kb.entries))
        return [Reply(html=ctx.t("teach.pick_category", question=_q(group.representative)), buttons=rows,
                      replace=True)]
    if verb == "k":
        entries = [e for e in ctx.knowledge.kb.entries if e.category == extra][:60]
        if not entries:
            return qa.stale(ctx)
        rows = tuple((Button(render.label(render.button_title(e, ctx.lang)),
                              f"{TEACH}:a:{key}:{_entry_ref(e.id, f'{TEACH}:a:{key}:')}"),)
                     for e in entries)
        return [Reply(html=ctx.t("teach.pick_entry", question=_q(group.representative)), buttons=rows,
                      replace=True)]
    if verb == "n":
        draft = draft_entry(group, ctx.knowledge.kb)
        ctx.goto(ANSWER_STATE, {"teach_key": key, "draft": {"id": draft.id, "category": draft.category,
                                                            "title": draft.title, "questions": list(draft.questions)}})
        return [Reply(html=ctx.t("teach.new_prompt", id=escape(draft.id), category=escape(draft.category),
                                 title=escape(draft.title),
                                 questions="\n".join(f"• {_q(q)}" for q in draft.questions), max=ANSWER_MAX_CHARS),
                      buttons=((Button(ctx.t("teach.button_cancel"), f"{TEACH}:no"),),))]
    entry = ctx.knowledge.resolve(extra)
    if entry is None:
        return qa.stale(ctx)
    try:
        taught = await teacher.attach(ctx.incoming.user, entry.id, [group.representative], list(group.wordings))
    except TeachRefused as refused:
        return [Reply(html=_refused(ctx, refused)), await _card(ctx, teacher, groups, index)]
    ctx.knowledge = teacher.knowledge.current
    groups = await teacher.groups()
    return [Reply(html=_taught_html(ctx, taught, group.representative), replace=True), *taught.notices,
            await _card(ctx, teacher, groups, index)]


async def answer_text(ctx: Context) -> list[Reply]:
    """The new entry's answer (the message after "new entry"): shown with the draft and ✅ create / ✖️ cancel.
    Empty or too long: say so and keep waiting. Next: ✅ or ✖️ (or another answer text)."""
    text = ctx.arg.strip()
    draft = ctx.data.get("draft")
    if not draft:
        ctx.goto(IDLE, {})
        return qa.stale(ctx)
    if not text or len(text) > ANSWER_MAX_CHARS:
        return [Reply(html=ctx.t("teach.answer_length", max=ANSWER_MAX_CHARS, length=len(text)))]
    ctx.goto(CONFIRM_STATE, {**ctx.data, "answer": text})
    buttons = ((Button(ctx.t("teach.button_create"), f"{TEACH}:ok"),
                Button(ctx.t("teach.button_cancel"), f"{TEACH}:no")),)
    return [Reply(html=ctx.t("teach.new_confirm", id=escape(draft["id"]), title=escape(draft["title"]),
                             answer=escape(text)), buttons=buttons)]


async def _confirm(ctx: Context, teacher: Teacher, create: bool) -> list[Reply]:
    """✅: write the drafted entry (gated, then live) and show the next card; ✖️: drop it."""
    draft, answer = ctx.data.get("draft"), ctx.data.get("answer")
    if ctx.state.state not in (ANSWER_STATE, CONFIRM_STATE) or not draft:
        return qa.stale(ctx)
    key = str(ctx.data.get("teach_key") or "")
    waiting_for_answer = ctx.state.state == ANSWER_STATE
    ctx.goto(IDLE, {})
    if not create:
        return [Reply(html=ctx.t("teach.cancelled"), replace=True)]
    if waiting_for_answer or not answer:
        return qa.stale(ctx)
    groups, index = await _find(teacher, key)
    resolves = list(groups[index].wordings) if index >= 0 else list(draft["questions"])
    entry = EntryDraft(draft["id"], draft["category"], draft["title"], tuple(draft["questions"]), answer)
    try:
        taught = await teacher.create(ctx.incoming.user, entry, resolves)
    except TeachRefused as refused:
        return [Reply(html=_refused(ctx, refused))]
    ctx.knowledge = teacher.knowledge.current
    groups = await teacher.groups()
    return [Reply(html=_taught_html(ctx, taught, draft["questions"][0]), replace=True), *taught.notices,
            await _card(ctx, teacher, groups, max(index, 0))]


async def typed_on_confirm(ctx: Context) -> list[Reply]:
    """Text while ✅ / ✖️ is waiting: a replacement answer. Next: ✅ or ✖️."""
    ctx.goto(ANSWER_STATE, {k: v for k, v in ctx.data.items() if k != "answer"})
    return await answer_text(ctx)


router = Router("teach")
router.command("teach", begin, (IDLE,), staff=True,
               doc="one unanswered group at a time; /teach undo takes back the newest teach")
router.action(TEACH, button, (IDLE, ANSWER_STATE), staff=True,
              doc="attach / pick / new entry / ignore / next; create or drop a drafted entry")
router.text(ANSWER_STATE, answer_text, (CONFIRM_STATE,), staff=True,
            doc="the new entry's answer: shown with ✅ create / ✖️ cancel")
router.text(CONFIRM_STATE, typed_on_confirm, (CONFIRM_STATE, ANSWER_STATE), staff=True, doc="a replacement answer")
