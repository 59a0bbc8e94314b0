"""In-memory implementation of the store ports: for tests and for a console chat without a database.

It passes the same contract tests as the SQLite store (``tests/contracts/``); copies go in and out so callers
cannot change stored state by mutating what they hold.
"""
from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable
from datetime import datetime

from bot.core.ports import ERASED, ResidentState, UnansweredQuestion


class MemoryResidentStore:
    def __init__(self) -> None:
        self._states: dict[str, ResidentState] = {}
        self._unanswered: list[UnansweredQuestion] = []
        self._resolved: dict[int, str] = {}  # index in _unanswered → 'taught:ENTRY' | 'ignored'
        self._notify: set[int] = set()  # indices whose asker wants to hear when it is taught

    async def load_state(self, user: str) -> ResidentState:
        state = self._states.get(user)
        return copy.deepcopy(state) if state else ResidentState(user=user)

    async def save_state(self, state: ResidentState, data_json: str | None = None) -> None:
        self._states[state.user] = copy.deepcopy(state)

    async def stale_flows(self, older_than: datetime) -> list[ResidentState]:
        return [copy.deepcopy(s) for s in self._states.values()
                if s.state != "idle" and not s.reminded and s.updated_at is not None and s.updated_at < older_than]

    async def forget(self, user: str) -> None:
        self._states.pop(user, None)
        self._unanswered = [dataclasses.replace(q, question=ERASED, user=None) if q.user == user else q
                            for q in self._unanswered]

    async def record_unanswered(self, question: UnansweredQuestion) -> None:
        self._unanswered.append(question)

    async def unanswered(self, since: datetime | None = None) -> list[UnansweredQuestion]:
        return [dataclasses.replace(q, user=None) for i, q in enumerate(self._unanswered)
                if (since is None or q.asked_at >= since) and i not in self._resolved]

    async def want_notice(self, user: str, question: str) -> bool:
        for i in range(len(self._unanswered) - 1, -1, -1):
            q = self._unanswered[i]
            if q.user == user and q.question == question and i not in self._resolved:
                self._notify.add(i)
                return True
        return False

    async def resolve_unanswered(self, questions: Iterable[str], resolution: str,
                                 at: datetime) -> list[tuple[str, str]]:
        wanted, notices = set(questions), []
        for i, q in enumerate(self._unanswered):
            if i not in self._resolved and q.question in wanted:
                self._resolved[i] = resolution
                if i in self._notify and q.user:
                    notices.append((q.user, q.question))
                self._notify.discard(i)
        return notices
