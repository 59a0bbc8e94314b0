"""Automatic reload when staff save a file in the knowledge directory, without any transport.

The adapter calls ``await watcher.check()`` every few seconds (a background loop) and sends what it returns. A
change is acted on once the directory has stayed the same for one more check, so an editor that writes a file
in several steps, or staff copying several files at once, cause one reload rather than a burst of failing ones.
"""
from __future__ import annotations

from collections.abc import Sequence

from bot.core.i18n import texts_for
from bot.core.language import Lang
from bot.core.messages import Reply
from bot.core.ports import ResidentStore
from bot.core.staff.reload import WATCHER, Fingerprint, KnowledgeReloader, fingerprint, outcome_replies


async def staff_language(residents: ResidentStore, user: str) -> Lang:
    """The language a staff member reads the bot in (their ``/language`` choice, else what they last wrote)."""
    state = await residents.load_state(user)
    return state.language or state.last_language or "zh-Hant"


class KnowledgeWatcher:
    """Fingerprints the knowledge directory on every ``check`` and reloads through ``reloader`` on a change."""

    def __init__(self, reloader: KnowledgeReloader, staff_users: Sequence[str], residents: ResidentStore,
                 *, settle: bool = True):
        """``staff_users``: user keys (``tg:<id>``) told about every automatic reload. ``settle=False`` reloads
        on the first check that sees a change (tests)."""
        self.reloader = reloader
        self.staff_users = tuple(staff_users)
        self.residents = residents
        self.settle = settle
        self._pending: Fingerprint | None = None

    async def check(self) -> list[Reply]:
        """Reload if the directory changed since the last load; the staff notifications to send (none when
        nothing changed or the change is still settling)."""
        now = fingerprint(self.reloader.knowledge.directory)
        if now == self.reloader.fingerprint:
            self._pending = None
            return []
        if self.settle and now != self._pending:
            self._pending = now
            return []
        self._pending = None
        outcome = await self.reloader.reload(WATCHER)
        replies: list[Reply] = []
        for user in self.staff_users:
            t = texts_for(await staff_language(self.residents, user))
            replies.extend(outcome_replies(outcome, t, to=user, prefix=t("staff.auto_reload")))
        return replies
