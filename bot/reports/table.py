"""Feedback as one table: one row per submission or case, one column per question (multiple choice split into one
0/1 column per option), and a codebook saying what every column holds.

Columns are named ``CONSULTATION.QUESTION`` (``CONSULTATION.QUESTION.OPTION`` for multiple choice), so exports of
different periods line up. Values are codes — option ids, scale numbers — which the codebook turns into the
question text and option labels (Traditional Chinese, like the knowledge base). An empty cell means "not asked or
skipped"; 0 means "asked, not ticked". Answers to questions removed from the YAML since keep a column of their own.
No column holds a resident's user key: ``resident`` is ``resident_hash(user, EXPORT_SALT)``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.feedback.model import Question, Submission
from bot.core.knowledge.model import KnowledgeBase
from bot.core.staff.digest import DISTRICT_TZ
from bot.reports import labels as L

LANG = "zh-Hant"
FIXED = ("reference", "kind", "consultation", "created_at", "status", "language", "reply_hours", "rating",
         "resident")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    consultation: str = ""  # "title (id)" for question columns
    question: str = ""  # question id
    type: str = ""  # a key of labels.TYPE_NAMES; "" for the fixed columns
    prompt: str = ""  # question text, or what a fixed column holds
    values: str = ""  # what the values mean

    def codebook_row(self) -> tuple[str, ...]:
        return (self.name, self.consultation, self.question, L.TYPE_NAMES.get(self.type, ""), self.prompt,
                self.values)


@dataclass
class Table:
    """The columns, and for each (consultation, question) where its value goes: ``(index, option)`` pairs,
    ``option`` set for the 0/1 columns of a multiple-choice question."""

    columns: list[Column] = field(default_factory=list)
    slots: dict[tuple[str, str], list[tuple[int, str | None]]] = field(default_factory=dict)
    types: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def add(self, column: Column, key: tuple[str, str] | None = None, option: str | None = None) -> None:
        if key is not None:
            self.slots.setdefault(key, []).append((len(self.columns), option))
            self.types[key] = column.type
        self.columns.append(column)


def _label(text: Any) -> str:
    return text.get(LANG).strip() if text else ""


def _values(question: Question) -> str:
    if question.type == "scale":
        words = "；".join(f"{n}={_label(text)}" for n, text in question.labels)
        return f"1-5{'；' + words if words else ''}；{L.EMPTY_MEANS}"
    if question.type == "single":
        return "；".join(f"{o.id}={_label(o.label)}" for o in question.options) + f"；{L.EMPTY_MEANS}"
    if question.type == "text":
        return L.EMPTY_MEANS
    return ""


def build_table(kb: KnowledgeBase, answered: Mapping[str, Sequence[str]], *, include_cases: bool,
                include_contact: bool) -> Table:
    """The columns for submissions whose answers are ``answered`` (consultation → question ids, as the store's
    ``answered_questions`` gives them): the fixed ones, then every question of each consultation present (in the
    knowledge base's order; consultations no longer in it after them), then answers to removed questions."""
    table = Table()
    for name in FIXED:
        table.add(Column(name, prompt=L.FIXED_COLUMNS[name]))
    if include_cases:
        table.add(Column("case_text", prompt=L.FIXED_COLUMNS["case_text"]))
    if include_contact:
        table.add(Column("contact", prompt=L.FIXED_COLUMNS["contact"]))
    known = {c.id: c for c in kb.consultations}
    order = [c.id for c in kb.consultations if c.id in answered] + sorted(set(answered) - set(known))
    for cid in order:
        consultation = known.get(cid)
        title = f"{_label(consultation.title)}（{cid}）" if consultation else cid
        questions = consultation.questions if consultation else ()
        for q in questions:
            _add_question(table, cid, title, q)
        defined = {q.id for q in questions}
        for qid in answered[cid]:
            if qid not in defined:
                table.add(Column(f"{cid}.{qid}", title, qid, "removed", "", L.EMPTY_MEANS), (cid, qid))
    return table


def _add_question(table: Table, cid: str, title: str, q: Question) -> None:
    prompt = _label(q.prompt)
    if q.type != "multiple":
        table.add(Column(f"{cid}.{q.id}", title, q.id, q.type, prompt, _values(q)), (cid, q.id))
        return
    for option in q.options:
        values = f"1=選了「{_label(option.label)}」，0=沒選；{L.EMPTY_MEANS}"
        table.add(Column(f"{cid}.{q.id}.{option.id}", title, q.id, "multiple", prompt, values), (cid, q.id),
                  option.id)


#: How a date and time is written in CSV and JSON (XLSX gets a real Excel date).
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def created_local(submission: Submission) -> datetime:
    """Arrival in district time, without a zone (what a spreadsheet's date cell holds). Anonymous submissions are
    stored to the hour (``HH:00:00``); ones stored before that kept only the day (00:00 UTC: 08:00 here)."""
    return submission.created_at.astimezone(DISTRICT_TZ).replace(tzinfo=None)


def reply_hours(submission: Submission) -> float | None:
    if not submission.replies:
        return None
    first = min(r.created_at for r in submission.replies)
    return round(max(0.0, (first - submission.created_at).total_seconds() / 3600), 2)


def latest_rating(submission: Submission) -> int | None:
    rated = [r for r in submission.replies if r.rating is not None]
    return max(rated, key=lambda r: (r.created_at, r.id)).rating if rated else None


def build_row(table: Table, s: Submission, *, resident: str | None,
              contact: str | None = None) -> list[Any]:
    """The row of one submission, in ``table.header`` order (None: an empty cell)."""
    row: list[Any] = [None] * len(table.columns)
    row[:len(FIXED)] = [s.reference, s.kind, s.consultation_id, created_local(s), s.status, s.language,
                        reply_hours(s), latest_rating(s), resident]
    position = len(FIXED)
    if table.columns[position:position + 1] and table.columns[position].name == "case_text":
        row[position] = s.text if s.kind == "case" else None
        position += 1
    if table.columns[position:position + 1] and table.columns[position].name == "contact":
        row[position] = contact
    cid = s.consultation_id or ""
    for answer in s.answers:
        key = (cid, answer.question_id)
        slots = table.slots.get(key, ())
        value = answer.value
        for index, option in slots:
            if option is not None:
                row[index] = int(isinstance(value, tuple) and option in value)
            elif table.types[key] == "removed" and isinstance(value, tuple):
                row[index] = ";".join(value)
            else:
                row[index] = value
    return row




def as_records(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[Mapping[str, Any]]:
    """Rows as ``{column: value}`` objects (the JSON export)."""
    return [dict(zip(header, row, strict=True)) for row in rows]


def generated_at(now: datetime) -> str:
    return now.astimezone(DISTRICT_TZ).strftime(TIME_FORMAT)
