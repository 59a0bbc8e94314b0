"""The Assistant: runs the transition table for every incoming message and keeps the resident's state.

Adapters call ``handle`` and send what it returns. Everything here is transport-free.
"""
from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from bot.core.dialog import groups, qa, table
from bot.core.dialog.context import Context, Dependencies, StateSnapshot, snapshot, stamp
from bot.core.errors import StorageUnavailable
from bot.core.i18n import texts_for
from bot.core.knowledge.service import KnowledgeService
from bot.core.language import Lang, choose_lang, detect_script, lang_from_code
from bot.core.messages import Incoming, Reply
from bot.core.ports import ResidentState
from bot.core.unit import Refused

log = logging.getLogger(__name__)

#: Commands shown in Telegram's menu, in order (staff commands are not advertised to everyone).
MENU_COMMANDS = ("start", "menu", "book", "mybookings", "feedback", "mystatus",
                 "help", "language", "subscribe", "cancel")
#: A resident silent this long in the middle of a flow gets one reminder.
REMINDER_AFTER = timedelta(minutes=30)


class InvalidTransition(RuntimeError):
    """A handler moved a resident to a state its table row does not allow: a programming error."""


def trigger_of(incoming: Incoming) -> tuple[str, str]:
    """The table trigger and the handler's argument for an incoming message."""
    if incoming.action is not None:
        prefix, _, arg = incoming.action.partition(":")
        return f"action:{prefix}", arg
    if incoming.location is not None:
        return "location", ""
    if incoming.unsupported is not None:
        return "unsupported", incoming.unsupported
    command = incoming.command
    if command is not None:
        return f"command:{command[0][1:]}", command[1]
    return "text", incoming.text or ""


class Assistant:
    """Runs the conversation for every person, one message at a time."""

    def __init__(self, knowledge: KnowledgeService, deps: Dependencies):
        """``deps``: every service, built by the composition root (``bot.app.build_services``)."""
        self.knowledge = knowledge
        self.deps = deps

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Everything the bot answers to one message (possibly also to other people, with ``Reply.to`` set).

        When storage fails (``StorageUnavailable``: disk full, damaged file) the bot degrades honestly: questions
        are still answered from the loaded knowledge base, and a step that had to store something (a submission,
        a rating, a flow's progress) is refused with "please try again later" — never acknowledged."""
        try:
            state = await self.deps.residents.load_state(incoming.user)
        except StorageUnavailable as failed:
            log.error("cannot read %s's state, answering without it: %s", incoming.user, failed)
            state = ResidentState(user=incoming.user)
        before = snapshot(state, state.loaded_data)  # the text the store parsed ``data`` from, if it has one
        trigger, arg = trigger_of(incoming)
        if incoming.chat == "private":
            trigger, arg = groups.resumed(trigger, arg)  # a group's link to the private chat: what was asked
        lang = self._language(incoming, state)
        if incoming.text and trigger == "text" and (script := detect_script(incoming.text)):
            state.last_language = script
        if incoming.chat != "private":  # others read along: knowledge at most, and nothing saved (groups.py)
            return await groups.answer(Context(incoming=incoming, state=state, lang=lang, t=texts_for(lang),
                                               knowledge=self.knowledge.current, deps=self.deps, table=table.TABLE,
                                               arg=arg), trigger)
        row = table.find(state.state, trigger)
        if row is None and trigger.startswith("command:"):
            row = table.find(state.state, "command:*")
        ctx = Context(incoming=incoming, state=state, lang=lang, t=texts_for(lang),
                      knowledge=self.knowledge.current, deps=self.deps, arg=arg, table=table.TABLE)
        if row is None:
            replies = qa.stale(ctx) if trigger.startswith("action:") else await qa.unsupported(ctx)
        elif row.staff and not incoming.is_staff:
            log.warning("non-staff %s tried staff trigger %s", incoming.user, trigger)
            replies = qa.stale(ctx) if trigger.startswith("action:") else await qa.unknown_command(ctx)
        else:
            try:
                replies = await row.handler(ctx)
            except StorageUnavailable as failed:  # what it had to store was not stored: say so, move nobody
                log.error("storage failed during %s for %s: %s", trigger, incoming.user, failed)
                return [Reply(html=ctx.t("storage_unavailable"))]
            if ctx.state.state != before[0] and ctx.state.state not in row.goes_to:
                raise InvalidTransition(f"{row.handler.__name__} moved {before[0]!r} → {ctx.state.state!r}")
        after = snapshot(state)
        if ctx.staged:
            return await self._commit(ctx, replies, before, after if after != before else None,
                                      row.goes_to if row is not None else ())
        if after != before:
            stamp(state, self.deps.clock())
            try:
                await self.deps.residents.save_state(state, after[3])
            except StorageUnavailable as failed:
                log.error("cannot save %s's state: %s", incoming.user, failed)
                # An answer needs nothing stored; a step into, through or out of a flow, or a setting, is only
                # real once it is saved.
                if state.state != "idle" or before[0] != "idle" or state.language != before[1]:
                    return [Reply(html=ctx.t("storage_unavailable"))]
        return replies

    async def _commit(self, ctx: Context, replies: list[Reply], before: StateSnapshot, changed: StateSnapshot | None,
                      goes_to: tuple[str, ...]) -> list[Reply]:
        """The unit of work of the message: every write the handler staged and the resident's state (``changed``:
        its snapshot when it changed) in one transaction; the acknowledgements are built only once it is
        committed. A write its store refuses (a second submission, a slot just taken) is answered with the
        handler's ``refused`` words, which may move the resident elsewhere (back to the summary of a booking), and
        the state they leave is then saved alone; when storage fails nothing is acknowledged."""
        staged = list(ctx.staged)
        state = ctx.state
        if changed is not None:
            stamp(state, self.deps.clock())
        try:
            while True:
                try:
                    await self.deps.unit.commit([s.write for s in staged], state if changed else None,
                                                changed[3] if changed else None)
                    break
                except Refused as refusal:
                    item = staged[refusal.index]
                    again = item.retry(refusal.error) if item.retry is not None else None
                    if again is not None:
                        staged[refusal.index] = dataclasses.replace(item, write=again)
                        continue
                    if item.refused is None:
                        raise refusal.error from None
                    answer = await item.refused(refusal.error)
                    # Nothing staged is stored; the step the resident took still is, as ``refused`` left it.
                    refused = snapshot(state)
                    if refused[0] != before[0] and refused[0] not in goes_to:
                        raise InvalidTransition(f"refused moved {before[0]!r} → {refused[0]!r}") from None
                    if refused != before:
                        stamp(state, self.deps.clock())
                        await self.deps.unit.commit([], state, refused[3])
                    return replies + answer
        except StorageUnavailable as failed:
            log.error("storage failed committing %s's message: %s", ctx.incoming.user, failed)
            return [Reply(html=ctx.t("storage_unavailable"))]
        return replies + [reply for item in staged for reply in item.then()]

    async def language_of(self, user: str, language_code: str | None = None) -> Lang:
        """The language the bot would answer ``user`` in now (for an adapter's own words, e.g. the console's)."""
        state = await self.deps.residents.load_state(user)
        return self._language(Incoming(user=user, language_code=language_code), state)

    def _language(self, incoming: Incoming, state: ResidentState) -> Lang:
        if state.language:
            return state.language
        if incoming.text and not incoming.command:
            script = detect_script(incoming.text)
            if script:
                return script
        return state.last_language or lang_from_code(incoming.language_code) or choose_lang(None, None, None)

    def command_menu(self, lang: Lang) -> list[tuple[str, str]]:
        """(command, description) pairs for the messenger's command menu."""
        t = texts_for(lang)
        return [(name, t(f"cmd.{name}")) for name in MENU_COMMANDS]

    def error_text(self, lang: Lang) -> str:
        """The polite message residents see when something failed on our side."""
        return texts_for(lang)("error")

    async def due_reminders(self) -> list[Reply]:
        """One reminder for each resident left half-way through a flow for ``REMINDER_AFTER``; never a second."""
        now = self.deps.clock()
        replies = []
        for state in await self.deps.residents.stale_flows(now - REMINDER_AFTER):
            lang = state.language or state.last_language or "zh-Hant"
            replies.append(Reply(html=texts_for(lang)("reminder"), to=state.user))
            state.reminded = True
            await self.deps.residents.save_state(state)
        return replies
