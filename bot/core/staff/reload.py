"""Reloading the knowledge base while the bot serves: validate, run the regression questions, then swap.

A bad edit (a YAML mistake, an unknown id, …) or an edit that breaks a regression question never replaces the
knowledge base residents are being answered from; the staff member gets the reasons instead. ``/reload`` and the
file watcher share one ``KnowledgeReloader``, so reloads never overlap and the watcher knows what a manual reload
has already picked up.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.core.errors import KnowledgeBaseInvalid, Problem
from bot.core.i18n import Texts
from bot.core.knowledge.service import KnowledgeService, KnowledgeSnapshot, ReloadReport
from bot.core.messages import Reply
from bot.core.staff.ports import AuditAction, AuditRecord, AuditStore
from bot.core.staff.regression import RegressionFailure, run_regression
from bot.core.staff.text import MAX_LINES, pack

#: Who the audit log names for reloads nobody asked for.
WATCHER = "system:watcher"

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(directory: Path) -> Fingerprint:
    """Name, modification time and size of every knowledge file: changes when staff save, add or remove one."""
    try:
        files = sorted(p for p in directory.glob("*.yaml") if p.is_file() and not p.name.startswith("."))
        return tuple((p.name, (st := p.stat()).st_mtime_ns, st.st_size) for p in files)
    except OSError:  # the directory vanished, or a file did between listing and stat: that is a change too
        return (("?", -1, -1),)


@dataclass(frozen=True, slots=True)
class ReloadOutcome:
    """What a reload did: ``report`` when the new knowledge base now serves; otherwise the ``problems`` that make
    the directory invalid, or the ``regressions`` that fail with it (the previous knowledge base still serves)."""

    report: ReloadReport | None = None
    problems: tuple[Problem, ...] = ()
    regressions: tuple[RegressionFailure, ...] = ()

    @property
    def ok(self) -> bool:
        return self.report is not None

    def summary(self) -> str:
        """One line for the audit log."""
        if self.report is not None:
            r = self.report
            return f"ok: {len(r.added)} added, {len(r.removed)} removed, {len(r.edited)} edited"
        if self.problems:
            return f"refused: {len(self.problems)} problems, first {self.problems[0]}"
        return f"refused: {len(self.regressions)} regression questions fail, first {self.regressions[0].describe()}"


def _candidate(knowledge: KnowledgeService) -> KnowledgeSnapshot | ReloadOutcome:
    """Load, index and regression-test the directory (blocking; runs in a worker thread): the snapshot to serve,
    or the outcome that refuses it."""
    try:
        candidate = knowledge.load_candidate()
    except KnowledgeBaseInvalid as invalid:
        return ReloadOutcome(problems=tuple(invalid.problems))
    failures = run_regression(candidate.kb, candidate.matcher)
    if failures:
        return ReloadOutcome(regressions=tuple(failures))
    return candidate


class KnowledgeReloader:
    """Serialises reloads of one ``KnowledgeService`` and writes each to the audit log."""

    def __init__(self, knowledge: KnowledgeService, audit: AuditStore, clock: Callable[[], datetime]):
        self.knowledge = knowledge
        self.audit = audit
        self.clock = clock
        self._lock = asyncio.Lock()
        #: The directory as last loaded (at start-up or by the latest reload attempt, good or bad).
        self.fingerprint = fingerprint(knowledge.directory)

    @property
    def lock(self) -> asyncio.Lock:
        """Held by every change of the serving knowledge base (reloads, teaching), so none overlap."""
        return self._lock

    async def reload(self, staff_user: str) -> ReloadOutcome:
        """Reload now on behalf of ``staff_user`` (``WATCHER`` for automatic reloads)."""
        async with self._lock:
            # Taken before reading: a save during the load then shows up as one more change for the watcher.
            self.fingerprint = fingerprint(self.knowledge.directory)
            # Parsing and indexing take a moment on a large directory; residents keep being answered meanwhile.
            loaded = await asyncio.to_thread(_candidate, self.knowledge)
            outcome = loaded if isinstance(loaded, ReloadOutcome) else ReloadOutcome(report=self.knowledge.swap(loaded))
            await self.audit.record(AuditRecord(self.clock(), staff_user, AuditAction.RELOAD, outcome.summary()))
            return outcome


def _ids_line(t: Texts, key: str, ids: tuple[str, ...], limit: int = 30) -> str:
    shown = ", ".join(ids[:limit]) + (f" … (+{len(ids) - limit})" if len(ids) > limit else "")
    return t(key, ids=shown)


def outcome_replies(outcome: ReloadOutcome, t: Texts, *, to: str | None = None, prefix: str = "") -> list[Reply]:
    """The staff member's report of a reload: what changed, or every reason it was refused (``FILE:LINE``),
    escaped and packed into as few messages as fit. ``prefix`` (HTML) opens the first message."""
    head = f"{prefix}\n" if prefix else ""
    if outcome.report is not None:
        r = outcome.report
        if not r.changed:
            return [Reply(html=head + t("staff.reload_unchanged"), to=to)]
        lines = [_ids_line(t, key, ids) for key, ids in
                 (("staff.reload_added", r.added), ("staff.reload_removed", r.removed),
                  ("staff.reload_edited", r.edited)) if ids]
        header = head + t("staff.reload_ok", added=len(r.added), removed=len(r.removed), edited=len(r.edited))
        return [Reply(html=html, to=to) for html in pack(header, lines)]
    if outcome.problems:
        header = head + t("staff.reload_invalid", count=len(outcome.problems))
        lines = [f"{Path(p.file).name}:{p.line}: {p.message}" if p.line else f"{p.file}: {p.message}"
                 for p in outcome.problems]
        command = "python -m bot kb validate"
    else:
        header = head + t("staff.reload_regression", count=len(outcome.regressions))
        lines = [f.describe(short_path=True) for f in outcome.regressions]
        command = "python -m bot kb test"
    more = t("staff.more_lines", count=max(0, len(lines) - MAX_LINES), command=command)
    return [Reply(html=html, to=to) for html in pack(header, lines, more)]
