"""Staff teach the bot: an unanswered question becomes a phrasing of an entry (or a new entry) in the YAML file,
gated like any edit, then live.

``Teacher.attach`` / ``create`` / ``undo`` do, in order and under the reloader's lock (so teaching, ``/reload``
and the file watcher never overlap; two staff teaching at once both land, one after the other):

1. plan the edit in memory (``bot.core.knowledge.writer``): refused when the file on disk is no longer the one
   the live knowledge base was read from (a hand edit meanwhile: ``/reload`` first), or its layout cannot be kept;
2. load a copy of the directory holding the edit as a candidate: validate, run every regression question, and
   check collisions around the new phrasing (it must not go to another entry, and the phrasings of the entries
   nearest to it must still go where they went) — any failure refuses the edit with the reason, the files
   byte-for-byte unchanged;
3. write the file (temporary file + rename, previous version kept for undo), serve the candidate, and ask the
   taught question through the live matcher: "「…」 now answers 失業登記".

Then the audit log and the taught table record who taught what; the unanswered questions it resolves leave the
list, and residents who asked to be told get the answer once.
"""
from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from html import escape
from pathlib import Path

from bot.core.dialog.render import entry_reply
from bot.core.errors import KnowledgeBaseInvalid, TeachRefused
from bot.core.i18n import texts_for
from bot.core.knowledge.model import KnowledgeBase
from bot.core.knowledge.service import KnowledgeService, KnowledgeSnapshot
from bot.core.knowledge.writer import EntryDraft, FileEdit, UndoJournal, file_digest, plan_entry, plan_phrasing
from bot.core.matching.result import MatchResult
from bot.core.messages import Reply
from bot.core.ports import ResidentStore
from bot.core.staff.ports import AuditRecord, AuditStore, TaughtRecord, TaughtStore, UnansweredResolver
from bot.core.staff.regression import got, run_regression
from bot.core.staff.reload import KnowledgeReloader, fingerprint
from bot.core.staff.text import quote
from bot.core.staff.unanswered import UnansweredGroup, group_unanswered
from bot.core.staff.watcher import staff_language

#: Entries nearest to a new phrasing whose own phrasings are re-asked on the candidate (the collision check).
NEIGHBOURS_CHECKED = 3
#: Characters of a resident's question quoted to staff (and in a drafted title).
QUOTE_CHARS = 80
TITLE_CHARS = 22
WEEK = timedelta(days=7)

#: Button prefix of ``/teach`` cards (``tc:VERB:…``), routed by ``bot.core.dialog.teach.router``.
PREFIX = "tc"


@dataclass(frozen=True)
class Taught:
    """What a teach did: the entry, the phrasings written, the file, how the live matcher now handles the first
    phrasing (``verdict``), seconds from the call to the new answer being live, and notices for residents."""

    entry_id: str
    phrasings: tuple[str, ...]
    file: str
    verdict: MatchResult | None
    seconds: float
    notices: tuple[Reply, ...] = ()
    undone: bool = False


def draft_entry(group: UnansweredGroup, kb: KnowledgeBase, answer: str = "") -> EntryDraft:
    """A new entry for an unanswered group: the nearest entry's category (``services`` without one), an id
    in that category's style (``policy-q3f9a1c``), the most asked wording as title and its wordings as
    questions; staff give the answer."""
    nearest = kb.get(group.nearest_id) if group.nearest_id else None
    category = nearest.category if nearest else "services"
    prefixes = Counter(e.id.split("-", 1)[0] for e in kb.entries if e.category == category and "-" in e.id)
    prefix = prefixes.most_common(1)[0][0] if prefixes else category
    digest = hashlib.blake2b(group.representative.encode(), digest_size=3).hexdigest()
    entry_id = f"{prefix}-q{digest}"
    while kb.get(entry_id):
        digest = hashlib.blake2b(entry_id.encode(), digest_size=3).hexdigest()
        entry_id = f"{prefix}-q{digest}"
    title = re.sub(r"[\s?？!！。.,，、~～]+$", "", " ".join(group.representative.split()))[:TITLE_CHARS] or "?"
    questions = tuple(w for w, _ in group.wordings.most_common(5) if w.strip())
    return EntryDraft(entry_id, category, title, questions, answer)


def file_for_category(kb: KnowledgeBase, category: str) -> str:
    """The file a new entry of ``category`` goes to: where most of that category's entries live (else where
    most entries do, else ``CATEGORY.yaml``)."""
    files = Counter(Path(e.file).name for e in kb.entries if e.category == category and e.file)
    files = files or Counter(Path(e.file).name for e in kb.entries if e.file)
    return files.most_common(1)[0][0] if files else f"{category}.yaml"


def _verdict_entry(result: MatchResult) -> str | None:
    if result.outcome == "answer":
        return result.answer_id
    return result.suggestions[0] if result.suggestions else None


def _gate(knowledge: KnowledgeService, live: KnowledgeSnapshot, edit: FileEdit, entry_id: str | None,
          phrasings: Sequence[str]) -> KnowledgeSnapshot:
    """Load a copy of the directory with ``edit`` applied; validate, regression-test and check collisions.
    Blocking (runs in a worker thread); nothing is written to the knowledge directory."""
    with tempfile.TemporaryDirectory(prefix="teach-") as tmp:
        copy = Path(tmp)
        for path in knowledge.directory.glob("*.yaml"):
            if path.is_file() and not path.name.startswith("."):
                shutil.copyfile(path, copy / path.name)
        if edit.after:
            (copy / edit.path.name).write_bytes(edit.after)
        else:
            (copy / edit.path.name).unlink(missing_ok=True)
        try:
            candidate = knowledge.load_candidate(copy)
        except KnowledgeBaseInvalid as invalid:
            problem = invalid.problems[0]
            raise TeachRefused("teach.refused.invalid", problem=f"{Path(problem.file).name}:{problem.line}: "
                                                                f"{problem.message}") from None
    failures = run_regression(candidate.kb, candidate.matcher)
    if failures:
        case = failures[0].case
        raise TeachRefused("teach.refused.regression", question=case.question, expected=case.expect or "—",
                           got=got(failures[0].result), count=len(failures))
    for phrasing in phrasings if entry_id else ():
        result = candidate.matcher.match(phrasing)
        other = _verdict_entry(result)
        if other is not None and other != entry_id:
            raise TeachRefused("teach.refused.collision", phrasing=phrasing, other=other)
        neighbours = [c.entry_id for c in live.matcher.match(phrasing).candidates[:NEIGHBOURS_CHECKED + 1]]
        for neighbour in (n for n in neighbours if n != entry_id):
            entry = live.kb.get(neighbour)
            for question in entry.questions if entry else ():
                before = live.matcher.match(question)
                if before.outcome == "answer" and before.answer_id == neighbour:
                    after = candidate.matcher.match(question)
                    if after.answer_id != neighbour:
                        raise TeachRefused("teach.refused.collision_other", question=question, other=neighbour,
                                           got=got(after))
    return candidate


class Teacher:
    """Teaching for the chat (``/teach``), the console and the CLI (``python -m bot teach``)."""

    def __init__(self, knowledge: KnowledgeService, reloader: KnowledgeReloader, residents: ResidentStore,
                 audit: AuditStore, taught: TaughtStore, clock: Callable[[], datetime]):
        self.knowledge = knowledge
        self.reloader = reloader
        self.residents = residents
        self.audit = audit
        self.taught_store = taught
        self.clock = clock
        self.journal = UndoJournal(knowledge.directory)

    async def groups(self) -> list[UnansweredGroup]:
        """The open unanswered groups (not taught, not ignored), most asked first, nearest entry as of now."""
        return group_unanswered(await self.residents.unanswered(), self.knowledge.current.matcher)

    async def taught_this_week(self) -> int:
        return sum(1 for r in await self.taught_store.taught(self.clock() - WEEK) if r.kind != "undo")

    async def attach(self, staff_user: str, entry_id: str, phrasings: Sequence[str],
                     resolves: Sequence[str] = ()) -> Taught:
        """Add ``phrasings`` to entry ``entry_id`` (gated, then live); ``resolves``: the unanswered questions this
        answers (they leave the list). Raises ``TeachRefused`` with the reason; then nothing changed."""
        async with self.reloader.lock:
            started = time.perf_counter()
            live = self.knowledge.current
            entry = live.kb.get(entry_id)
            if entry is None or not entry.file:
                raise TeachRefused("teach.refused.no_entry", entry=entry_id)
            path = Path(entry.file)
            edit = plan_phrasing(path, entry_id, phrasings, live.digests.get(path.name))
            return await self._land(staff_user, edit, entry_id, list(phrasings), resolves, started, "phrasing")

    async def create(self, staff_user: str, draft: EntryDraft, resolves: Sequence[str] = ()) -> Taught:
        """Add ``draft`` as a new entry to the file of its category, gated like ``attach``."""
        async with self.reloader.lock:
            started = time.perf_counter()
            live = self.knowledge.current
            if live.kb.get(draft.id):
                raise TeachRefused("teach.refused.known", entry=draft.id)
            path = self.knowledge.directory / file_for_category(live.kb, draft.category)
            edit = plan_entry(path, draft, live.digests.get(path.name), self.clock().date())
            return await self._land(staff_user, edit, draft.id, list(draft.questions), resolves, started, "entry")

    async def undo(self, staff_user: str) -> Taught:
        """Take back the newest teach (by anyone): the file goes back to its previous version, gated the same
        way. Refused when that file has been edited since (by hand, or by a reload not yet picked up)."""
        async with self.reloader.lock:
            started = time.perf_counter()
            live = self.knowledge.current
            step, edit = self.journal.plan_undo(live.digests)
            candidate = await asyncio.to_thread(_gate, self.knowledge, live, edit, None, ())
            self._check_unchanged(edit, live)
            self.journal.commit_undo(step, edit)
            self.knowledge.swap(candidate)
            self.reloader.fingerprint = fingerprint(self.knowledge.directory)
            seconds = time.perf_counter() - started
            await self.audit.record(AuditRecord(self.clock(), staff_user, "teach.undo",
                                                f"{step.summary} ({step.file}; taught by {step.staff_user})"))
            await self.taught_store.record_taught([TaughtRecord(self.clock(), staff_user, step.entry_id,
                                                                step.summary, "undo", step.file)])
            return Taught(step.entry_id, (), step.file, None, seconds, undone=True)

    async def ignore(self, staff_user: str, questions: Sequence[str]) -> int:
        """Off-topic: these questions leave the unanswered list and are not shown again."""
        # ``ResidentStore`` does not promise the unanswered list's upkeep; both real resident stores keep it.
        assert isinstance(self.residents, UnansweredResolver), "this resident store keeps no unanswered list"
        await self.residents.resolve_unanswered(questions, "ignored", self.clock())
        await self.audit.record(AuditRecord(self.clock(), staff_user, "teach.ignore",
                                            " | ".join(quote(q, 40) for q in questions[:3])))
        return len(questions)

    def _check_unchanged(self, edit: FileEdit, live: KnowledgeSnapshot) -> None:
        """Just before writing: the file is still the one read (a hand edit during the gate is refused too)."""
        try:
            current = edit.path.read_bytes()
        except FileNotFoundError:
            current = b""
        if current != edit.before and file_digest(current) != live.digests.get(edit.path.name):
            raise TeachRefused("teach.refused.changed", file=edit.path.name)

    async def _land(self, staff_user: str, edit: FileEdit, entry_id: str, phrasings: list[str],
                    resolves: Sequence[str], started: float, kind: str) -> Taught:
        live = self.knowledge.current
        candidate = await asyncio.to_thread(_gate, self.knowledge, live, edit, entry_id, phrasings)
        self._check_unchanged(edit, live)
        self.journal.write(edit, staff_user, self.clock(), entry_id)
        self.knowledge.swap(candidate)
        self.reloader.fingerprint = fingerprint(self.knowledge.directory)
        verdict = await candidate.matcher.match_async(phrasings[0])
        seconds = time.perf_counter() - started
        now = self.clock()
        taught_entry = candidate.kb.get(entry_id)
        written = [p for p in phrasings if p in (taught_entry.questions if taught_entry else ())]
        await self.audit.record(AuditRecord(now, staff_user, f"teach.{'new' if kind == 'entry' else 'attach'}",
                                            f"{edit.summary} ({edit.path.name})"))
        await self.taught_store.record_taught([TaughtRecord(now, staff_user, entry_id, p, kind, edit.path.name)
                                               for p in written])
        notices = await self._resolve(list(resolves) or phrasings, entry_id, candidate)
        return Taught(entry_id, tuple(written), edit.path.name, verdict, seconds, tuple(notices))

    async def _resolve(self, questions: list[str], entry_id: str, snapshot: KnowledgeSnapshot) -> list[Reply]:
        """The questions leave the unanswered list; residents who asked to be told get the answer, once."""
        resolve = getattr(self.residents, "resolve_unanswered", None)
        if resolve is None:
            return []
        notices = []
        entry = snapshot.kb.get(entry_id)
        for user, question in await resolve(questions, f"taught:{entry_id}", self.clock()):
            if entry is None:
                continue
            lang = await staff_language(self.residents, user)
            t = texts_for(lang)
            head = t("teach.notice", question=escape(quote(question, QUOTE_CHARS)))
            answer = entry_reply(snapshot.kb, entry, t, lang)[0]
            notices.append(replace(answer, html=f"{head}\n\n{answer.html}", to=user))
        return notices
