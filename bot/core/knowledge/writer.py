"""Write what staff teach back into the knowledge files, as a hand edit would: one phrasing added to an entry's
``questions``, or one new entry at the end of a file's ``entries``, and nothing else in the file changed.

ruamel.yaml reads the file in round-trip mode (comments, key order, quoting, ``|``/``>`` blocks and flow lists
kept) and writes it back. Before an edit is planned, the file's own layout is found by writing it back unchanged
under a few indentation settings until one gives the file byte for byte; a file no setting reproduces is refused
(``TeachRefused``) rather than reformatted. After the edit the new text is compared with the old: anything but
added lines is refused too, so ``git diff`` shows exactly the added line(s).

Files are written to a temporary file beside them and renamed (never half-written); the previous version is kept
in ``.teach-undo/`` in the knowledge directory for ``/teach undo``. ``file_digest`` (SHA-256) of the file as the
bot read it is compared with the file on disk before writing: a hand edit made meanwhile is refused, never
overwritten.
"""
from __future__ import annotations

import difflib
import hashlib
import io
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.core.errors import TeachRefused

UNDO_DIR = ".teach-undo"
JOURNAL = "journal.json"
#: Undo steps kept (older backups are deleted).
UNDO_KEPT = 20
#: (mapping indent, sequence indent, sequence dash offset), the sample's style first.
_LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (2, 4, 0))
_NULLS = ("null", "~", "")


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def directory_digests(directory: Path) -> dict[str, str]:
    """``{file name: digest}`` of the knowledge files (the ``*.yaml`` the loader reads); {} when unreadable."""
    try:
        files = sorted(p for p in Path(directory).glob("*.yaml") if p.is_file() and not p.name.startswith("."))
        return {p.name: file_digest(p.read_bytes()) for p in files}
    except OSError:
        return {}


@dataclass(frozen=True)
class FileEdit:
    """One file's new content, not yet written. ``before`` is the file as read; ``added`` the added lines."""

    path: Path
    before: bytes
    after: bytes
    summary: str
    added: tuple[str, ...] = field(default=())


def _yaml(layout: tuple[int, int, int], null: str) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 16  # never re-wrap a long line
    yaml.indent(mapping=layout[0], sequence=layout[1], offset=layout[2])
    yaml.representer.add_representer(
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", null))
    return yaml


def _dump(yaml: YAML, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _round_trip(text: str, name: str) -> tuple[YAML, Any]:
    """A YAML instance that writes this file back byte for byte, and the file's data; else ``TeachRefused``."""
    for layout in _LAYOUTS:
        for null in _NULLS:
            yaml = _yaml(layout, null)
            try:
                data = yaml.load(text)
            except YAMLError:
                raise TeachRefused("teach.refused.unreadable", file=name) from None
            if _dump(yaml, data) == text:
                return yaml, data
    raise TeachRefused("teach.refused.layout", file=name)


def _only_added(before: str, after: str, may_grow: int | None = None) -> tuple[str, ...] | None:
    """The added (or grown) lines when ``after`` is ``before`` with lines inserted and nothing else — except that
    line ``may_grow`` (0-based: a flow list ``[a, b]``, which can only grow on its own line) may become one longer
    line starting the same way; else None."""
    old, new = before.splitlines(), after.splitlines()
    added: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "insert":
            added.extend(new[j1:j2])
        elif op == "replace" and (i1, i2, j2 - j1) == (may_grow, (may_grow or 0) + 1, 1) \
                and new[j1].startswith(old[i1].rstrip().rstrip("]")):
            added.append(new[j1])
        elif op != "equal":
            return None
    return tuple(added)


def _read(path: Path, expected_digest: str | None) -> tuple[bytes, str]:
    try:
        raw = path.read_bytes()
    except OSError:
        raise TeachRefused("teach.refused.changed", file=path.name) from None
    if expected_digest is not None and file_digest(raw) != expected_digest:
        raise TeachRefused("teach.refused.changed", file=path.name)
    try:
        return raw, raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TeachRefused("teach.refused.unreadable", file=path.name) from None


def _finish(path: Path, raw: bytes, text: str, yaml: YAML, data: Any, summary: str,
            may_grow: int | None = None) -> FileEdit:
    new_text = _dump(yaml, data)
    added = _only_added(text, new_text, may_grow)
    if not added:
        raise TeachRefused("teach.refused.layout", file=path.name)
    return FileEdit(path, raw, new_text.encode("utf-8"), summary, added)


def _entries(data: Any, path: Path) -> CommentedSeq:
    entries = data.get("entries") if isinstance(data, CommentedMap) else None
    if not isinstance(entries, CommentedSeq):
        raise TeachRefused("teach.refused.changed", file=path.name)
    return entries


def plan_phrasing(path: Path, entry_id: str, phrasings: Iterable[str], expected_digest: str | None) -> FileEdit:
    """The file with ``phrasings`` appended to entry ``entry_id``'s ``questions`` (ones it already has skipped).
    Raises ``TeachRefused``: the file changed since it was read, its layout cannot be kept, or nothing is new."""
    raw, text = _read(path, expected_digest)
    yaml, data = _round_trip(text, path.name)
    entry = next((e for e in _entries(data, path) if isinstance(e, CommentedMap) and e.get("id") == entry_id), None)
    if entry is None or not isinstance(entry.get("questions"), list):
        raise TeachRefused("teach.refused.changed", file=path.name)
    questions = entry["questions"]
    new = [p for p in dict.fromkeys(p.strip() for p in phrasings) if p and p not in questions]
    if not new:
        raise TeachRefused("teach.refused.known", entry=entry_id)
    flow = questions.fa.flow_style() if isinstance(questions, CommentedSeq) else False
    may_grow = entry.lc.value("questions")[0] if flow else None
    questions.extend(new)
    return _finish(path, raw, text, yaml, data, f"{entry_id} += {' | '.join(new)}", may_grow)


@dataclass(frozen=True)
class EntryDraft:
    """A new entry as staff confirm it: the bot drafts id, category, title and questions; staff give the answer."""

    id: str
    category: str
    title: str
    questions: tuple[str, ...]
    answer: str
    title_lang: str = "zh-Hant"


def plan_entry(path: Path, draft: EntryDraft, expected_digest: str | None, today: date) -> FileEdit:
    """The file with ``draft`` as a new last entry (a blank line before it, like the sample). A file without an
    ``entries`` section gets one at its end."""
    raw, text = _read(path, expected_digest) if path.exists() else (b"", "")
    yaml, data = _round_trip(text, path.name) if text else (_yaml(_LAYOUTS[0], "null"), None)
    if data is None:
        data = CommentedMap()
    if "entries" not in data:
        data["entries"] = CommentedSeq()
    entries = _entries(data, path)
    item = CommentedMap()
    item["id"] = draft.id
    item["category"] = draft.category
    item["title"] = CommentedMap({draft.title_lang: draft.title})
    item["questions"] = CommentedSeq(draft.questions)
    answer = draft.answer.strip() + "\n" if "\n" in draft.answer.strip() else draft.answer.strip()
    item["answer"] = CommentedMap({draft.title_lang: LiteralScalarString(answer) if "\n" in answer else answer})
    item["updated"] = today
    entries.append(item)
    if len(entries) > 1:
        entries.yaml_set_comment_before_after_key(len(entries) - 1, before="\n", indent=0)
    return _finish(path, raw, text, yaml, data, f"new entry {draft.id}")


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` (a dot file: the loader never reads it), flush it to
    disk, and rename it over ``path``: readers see the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class UndoStep:
    """A written edit that ``undo`` can take back: the file, its content before and after (by digest), the
    backup of the content before, who made it and what it was."""

    file: str
    backup: str
    before: str
    after: str
    staff_user: str
    summary: str
    at: str
    created: bool = False  # the edit created the file: undo deletes it
    entry_id: str = ""


class UndoJournal:
    """``.teach-undo/journal.json`` in the knowledge directory: the last ``UNDO_KEPT`` edits, newest last."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.folder = self.directory / UNDO_DIR

    def steps(self) -> list[UndoStep]:
        try:
            return [UndoStep(**s) for s in json.loads((self.folder / JOURNAL).read_text(encoding="utf-8"))]
        except (OSError, ValueError, TypeError):
            return []

    def _save(self, steps: list[UndoStep]) -> None:
        self.folder.mkdir(exist_ok=True)
        body = json.dumps([s.__dict__ for s in steps], ensure_ascii=False, indent=1).encode("utf-8")
        write_atomically(self.folder / JOURNAL, body)

    def write(self, edit: FileEdit, staff_user: str, at: datetime, entry_id: str = "") -> UndoStep:
        """Keep the previous version, then write the edit (temporary file + rename)."""
        steps = self.steps()
        self.folder.mkdir(exist_ok=True)
        backup = f"{at:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}-{edit.path.name}"
        write_atomically(self.folder / backup, edit.before)
        step = UndoStep(edit.path.name, backup, file_digest(edit.before), file_digest(edit.after), staff_user,
                        edit.summary, at.isoformat(), created=not edit.path.exists(), entry_id=entry_id)
        write_atomically(edit.path, edit.after)
        steps.append(step)
        for old in steps[:-UNDO_KEPT]:
            (self.folder / old.backup).unlink(missing_ok=True)
        self._save(steps[-UNDO_KEPT:])
        return step

    def last(self) -> UndoStep | None:
        steps = self.steps()
        return steps[-1] if steps else None

    def plan_undo(self, digests: Mapping[str, str] | None = None) -> tuple[UndoStep, FileEdit]:
        """The newest step and the edit that takes it back. Refused when there is none, or when the file is no
        longer what that step wrote (edited since, by hand or by a later step)."""
        step = self.last()
        if step is None:
            raise TeachRefused("teach.refused.no_undo")
        path = self.directory / step.file
        try:
            current = path.read_bytes()
            before = b"" if step.created else (self.folder / step.backup).read_bytes()
        except OSError:
            raise TeachRefused("teach.refused.changed", file=step.file) from None
        if file_digest(current) != step.after or (digests is not None and digests.get(step.file) != step.after):
            raise TeachRefused("teach.refused.changed", file=step.file)
        return step, FileEdit(path, current, before, f"undo: {step.summary}")

    def commit_undo(self, step: UndoStep, edit: FileEdit) -> None:
        if step.created:
            edit.path.unlink(missing_ok=True)
        else:
            write_atomically(edit.path, edit.after)
        steps = self.steps()
        if steps and steps[-1] == step:
            (self.folder / step.backup).unlink(missing_ok=True)
            self._save(steps[:-1])
