"""Writing the feedback table (``table.py``) as CSV, XLSX or JSON, with cells made safe for spreadsheets.

- CSV is UTF-8 *with* BOM (``utf-8-sig``): without it Excel reads the file as the local ANSI code page and every
  Chinese character is garbled. Its codebook is a second file, ``NAME.codebook.csv``.
- XLSX is written by openpyxl in write-only mode (rows stream to the file instead of living as cell objects), with
  the sheets ``submissions`` and ``codebook``; line breaks are stored as LF.
- JSON is one document: the filters, the codebook and one object per submission; values exactly as stored.

Rows are read from the store and written a page at a time (``PAGE_SIZE``), so an export of 100,000 submissions
needs no more memory than one of 2,000.

Spreadsheet cells (CSV and XLSX) go through ``safe_cell``: control characters that XML 1.0 cannot carry (and
openpyxl refuses) are removed, and text starting with ``= + - @``, a tab or a carriage return gets a leading
``'`` so no spreadsheet runs it as a formula (CSV injection, e.g. ``=cmd|' /C calc'!A0``). Numbers stay numbers.
"""
from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from bot.core.feedback.ports import FeedbackStore
from bot.core.feedback.privacy import resident_hash
from bot.core.knowledge.model import KnowledgeBase
from bot.reports import labels as L
from bot.reports.table import TIME_FORMAT, Table, as_records, build_row, build_table, generated_at

Format = Literal["csv", "xlsx", "json"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "json")
#: C0 control characters except tab, line feed and carriage return: not allowed in XML 1.0, so not in XLSX.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The codebook's columns in JSON (the spreadsheets use the Chinese ``labels.CODEBOOK_HEADER``).
JSON_CODEBOOK_KEYS = ("column", "consultation", "question", "type", "prompt", "values")
#: Submissions read from the store at a time: a few MB of rows in memory, whatever the size of the export.
PAGE_SIZE = 2_000


def safe_cell(value: Any) -> Any:
    """A value a spreadsheet shows as written and never evaluates (see the module docstring)."""
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)  # one form for every row, date and time, which Excel reads as a date
    if not isinstance(value, str):
        return value
    text = CONTROL.sub("", value)
    return "'" + text if text.startswith(FORMULA_START) else text


@dataclass(frozen=True, slots=True)
class ExportResult:
    rows: int
    files: tuple[Path, ...]
    #: The resident column holds pseudonyms. False: no salt was given, and the column stays empty rather than hold
    #: plain hashes, which anyone could match against known Telegram ids.
    hashed: bool


def codebook_path(out: Path) -> Path:
    """``export.csv`` → ``export.codebook.csv`` (beside it)."""
    stem = out.name[:-4] if out.name.lower().endswith(".csv") else out.name
    return out.with_name(f"{stem}.codebook.csv")


async def export_feedback(store: FeedbackStore, kb: KnowledgeBase, out: Path, fmt: Format, *,
                          since: datetime | None = None, consultation_id: str | None = None,
                          include_contact: bool = False, salt: str = "",
                          now: datetime | None = None, page_size: int = PAGE_SIZE) -> ExportResult:
    """Read the submissions (and cases, unless one consultation is asked for) and write them to ``out``. The
    columns come first (from the questions answered), then the rows stream from the store to the file a page at a
    time, so memory does not grow with the number of submissions."""
    table = build_table(kb, await store.answered_questions(since, consultation_id),
                        include_cases=consultation_id is None, include_contact=include_contact)
    users = await store.linked_users(since, consultation_id) if salt else {}
    filters = {"since": since.isoformat() if since else None, "consultation": consultation_id,
               "include_contact": include_contact,
               "exported_at": generated_at(now) if now else None}
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = WRITERS[fmt](out, table, filters)
    count = 0
    after: str | None = None
    try:
        while page := await store.submissions(since, consultation_id, after=after, limit=page_size):
            rows = []
            for s in page:
                user = users.get(s.reference)
                contact = await store.contact(s.reference) if include_contact and s.has_contact else None
                rows.append(build_row(table, s,
                                      resident=resident_hash(user, salt) if user else None, contact=contact))
            writer.write(rows)
            count += len(rows)
            after = page[-1].reference
        files = writer.finish()
    except BaseException:
        writer.abandon()
        raise
    return ExportResult(count, files, bool(salt))


class CsvWriter:
    """The rows as CSV (UTF-8 with BOM), and the codebook beside it as ``NAME.codebook.csv``."""

    def __init__(self, out: Path, table: Table, filters: dict):
        self.out, self.table = out, table
        self.file = out.open("w", encoding="utf-8-sig", newline="")
        self.csv = csv.writer(self.file)
        self.csv.writerows(_safe_rows([table.header]))

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        self.csv.writerows(_safe_rows(rows))

    def finish(self) -> tuple[Path, ...]:
        self.file.close()
        codebook = codebook_path(self.out)
        with codebook.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(_safe_rows([L.CODEBOOK_HEADER, *(c.codebook_row() for c in self.table.columns)]))
        return self.out, codebook

    def abandon(self) -> None:
        self.file.close()


def _safe_rows(rows: Sequence[Sequence[Any]]):
    """CSV rows with every cell through ``safe_cell``."""
    return ([safe_cell(v) for v in row] for row in rows)


class XlsxWriter:
    """One workbook: the sheet ``submissions`` (rows stream to a temporary file in openpyxl's write-only mode)
    and the sheet ``codebook``."""

    def __init__(self, out: Path, table: Table, filters: dict):
        from openpyxl import Workbook  # noqa: PLC0415 - only the xlsx export needs it

        self.out, self.table = out, table
        self.book = Workbook(write_only=True)
        self.sheet = self._sheet("submissions", table.header, 14)

    def _sheet(self, title: str, head: Sequence[str], width: int):
        sheet = self.book.create_sheet(title)
        sheet.freeze_panes = "B2"
        for index in range(1, len(head) + 1):
            sheet.column_dimensions[_letter(index)].width = width
        sheet.append([xlsx_cell(h) for h in head])
        return sheet

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            self.sheet.append([xlsx_cell(v) for v in row])

    def finish(self) -> tuple[Path, ...]:
        codebook = self._sheet("codebook", L.CODEBOOK_HEADER, 24)
        for column in self.table.columns:
            codebook.append([xlsx_cell(v) for v in column.codebook_row()])
        self.book.save(self.out)
        return (self.out,)

    def abandon(self) -> None:
        self.book.close()


class JsonWriter:
    """One JSON document: the filters, the codebook and one object per submission, written as rows arrive."""

    def __init__(self, out: Path, table: Table, filters: dict):
        self.out, self.header = out, table.header
        self.file = out.open("w", encoding="utf-8")
        codebook = [dict(zip(JSON_CODEBOOK_KEYS, c.codebook_row(), strict=True)) for c in table.columns]
        self.file.write(f'{{"filters": {_json(filters)}, "codebook": {_json(codebook)}, "submissions": [')
        self.first = True

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        for record in as_records(self.header, rows):
            self.file.write(("" if self.first else ", ") + _json(record))
            self.first = False

    def finish(self) -> tuple[Path, ...]:
        self.file.write("]}\n")
        self.file.close()
        return (self.out,)

    def abandon(self) -> None:
        self.file.close()


WRITERS = {"csv": CsvWriter, "xlsx": XlsxWriter, "json": JsonWriter}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_time)


def _json_time(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def xlsx_cell(value: Any) -> Any:
    """``safe_cell``, with line breaks as Excel stores them (LF): XML would turn a lone CR into LF anyway, so the
    file says plainly what a reader gets back. Dates and times stay real Excel dates (sortable, filterable)."""
    if isinstance(value, datetime):
        return value
    value = safe_cell(value)
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    return get_column_letter(index)
