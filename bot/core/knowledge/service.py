"""The knowledge base currently serving, swapped atomically on reload.

A reload validates and indexes the new directory completely before the swap, so a bad edit never replaces a good
knowledge base: the caller gets ``KnowledgeBaseInvalid`` and the previous snapshot keeps serving.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from bot.core.knowledge.model import Entry, KnowledgeBase
from bot.core.knowledge.writer import directory_digests
from bot.core.matching.matcher import Matcher

T = TypeVar("T")


def entry_token(entry_id: str) -> str:
    """A short stable token for an entry id whose button action would not fit in 64 bytes."""
    return "#" + hashlib.blake2b(entry_id.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class KnowledgeSnapshot:
    kb: KnowledgeBase
    matcher: Matcher
    loaded_at: datetime
    _by_token: dict[str, str] = field(default_factory=dict, repr=False)
    _derived: dict[Callable[[KnowledgeBase], Any], Any] = field(default_factory=dict, repr=False, compare=False)
    #: ``{file name: SHA-256}`` of the knowledge files as read for this snapshot (taken before reading, so a save
    #: during the load shows as a change): what teaching compares with the disk to detect a hand edit meanwhile.
    digests: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, kb: KnowledgeBase, matcher_factory: Callable[[KnowledgeBase], Matcher] = Matcher,
              digests: Mapping[str, str] | None = None) -> KnowledgeSnapshot:
        by_token = {entry_token(e.id): e.id for e in kb.entries}
        return cls(kb=kb, matcher=matcher_factory(kb), loaded_at=datetime.now(UTC), _by_token=by_token,
                   digests=dict(digests or {}))

    def derived(self, build: Callable[[KnowledgeBase], T]) -> T:
        """``build(kb)``, made once per snapshot: an index or memo a feature keeps of this knowledge base instead
        of recomputing it for every message. A reload serves a new snapshot, and with it new ones."""
        try:
            # Each value was made by its key, so it is that builder's T (a dict cannot say so per key).
            return cast(T, self._derived[build])
        except KeyError:
            value = self._derived[build] = build(self.kb)
            return value

    def resolve(self, token: str) -> Entry | None:
        """The entry behind a button token: the id itself, or ``#hash`` for long ids."""
        entry_id = self._by_token.get(token, token) if token.startswith("#") else token
        return self.kb.get(entry_id)


@dataclass(frozen=True, slots=True)
class ReloadReport:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    edited: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.edited)


def diff_knowledge(old: KnowledgeBase, new: KnowledgeBase) -> ReloadReport:
    """Entries added, removed and edited between two knowledge bases (ids, sorted)."""
    old_by_id = {e.id: e for e in old.entries}
    new_by_id = {e.id: e for e in new.entries}

    def content(e: Entry) -> Entry:
        # file/line move when staff insert an entry above; that is not an edit of this one.
        return replace(e, file="", line=0)

    added = sorted(new_by_id.keys() - old_by_id.keys())
    removed = sorted(old_by_id.keys() - new_by_id.keys())
    edited = sorted(i for i in old_by_id.keys() & new_by_id.keys()
                    if content(old_by_id[i]) != content(new_by_id[i]))
    return ReloadReport(tuple(added), tuple(removed), tuple(edited))


def relocate(kb: KnowledgeBase, source: Path, target: Path) -> KnowledgeBase:
    """``kb`` read from ``source`` with every file path moved to ``target``."""
    def moved(file: str) -> str:
        path = Path(file)
        return str(target / path.name) if path.parent == source else file

    return replace(kb, directory=str(target),
                   entries=tuple(replace(e, file=moved(e.file)) for e in kb.entries),
                   regression=tuple(replace(c, file=moved(c.file)) for c in kb.regression))


class KnowledgeService:
    """Loads a knowledge directory and serves the latest valid snapshot."""

    def __init__(self, directory: str | Path, loader: Callable[[Path], KnowledgeBase] | None = None,
                 matcher_factory: Callable[[KnowledgeBase], Matcher] = Matcher):
        if loader is None:
            from bot.core.knowledge.loader import load_knowledge  # noqa: PLC0415 - avoid import cycle

            loader = load_knowledge
        self.directory = Path(directory)
        self._loader = loader
        self._matcher_factory = matcher_factory
        self.current = self.load_candidate()

    def load_candidate(self, source: Path | None = None) -> KnowledgeSnapshot:
        """Load and index the directory as it is now, without serving it (raises ``KnowledgeBaseInvalid``).
        ``source``: read that directory instead (a copy holding an edit not yet written here), as if it were this
        one: entries and regression questions name this directory's files."""
        source = Path(source or self.directory)
        digests = directory_digests(source)
        kb = self._loader(source)
        if source != self.directory:
            kb = relocate(kb, source, self.directory)
        return KnowledgeSnapshot.build(kb, self._matcher_factory, digests)

    def swap(self, candidate: KnowledgeSnapshot) -> ReloadReport:
        """Serve ``candidate`` from now on; one reference assignment, so readers see old or new, never a mix."""
        report = diff_knowledge(self.current.kb, candidate.kb)
        self.current = candidate
        return report

    def reload(self) -> ReloadReport:
        return self.swap(self.load_candidate())
