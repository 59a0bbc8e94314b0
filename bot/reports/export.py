"""Writing the feedback table (``table.py``) as CSV, XLSX or JSON, with cells made safe for spreadsheets.

- CSV is UTF-8 *with* BOM (``utf-8-sig``): without it Excel reads the file as the local ANSI code page and every
  Chinese character is garbled. Its codebook is a second file, ``NAME.codebook.csv``.
- XLSX is written by openpyxl in write-only mode (rows stream to the file instead of living as cell objects), with
  the sheets ``submissions`` and ``codebook``; line breaks are stored as LF.
- JSON is one document: the filters, the codebook and one object per submission; values exactly as stored.

Spreadsheet cells (CSV and XLSX) go through ``safe_cell``: control characters that XML 1.0 cannot carry (and
openpyxl refuses) are removed, and text starting with ``= + - @``, a tab or a carriage return gets a leading
``'`` so no spreadsheet runs it as a formula (CSV injection, e.g. ``=cmd|' /C calc'!A0``). Numbers stay numbers.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Sequence

from bot.core.feedback.ports import FeedbackStore
from bot.core.feedback.privacy import resident_hash
from bot.core.knowledge.model import KnowledgeBase
from bot.reports import labels as L
from bot.reports.table import Table, anonymous_ids, as_records, build_row, build_table, generated_at

Format = Literal["csv", "xlsx", "json"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "json")
#: C0 control characters except tab, line feed and carriage return: not allowed in XML 1.0, so not in XLSX.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The codebook's columns in JSON (the spreadsheets use the Chinese ``labels.CODEBOOK_HEADER``).
JSON_CODEBOOK_KEYS = ("column", "consultation", "question", "type", "prompt", "values")


def safe_cell(value: Any) -> Any:
    """A value a spreadsheet shows as written and never evaluates (see the module docstring)."""
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
                          now: datetime | None = None) -> ExportResult:
    """Read the submissions (and cases, unless one consultation is asked for) and write them to ``out``. The rows
    are built in memory first (about 330 MB at 100,000 submissions), then written in one go."""
    submissions = await store.submissions(since, consultation_id)
    users = await store.linked_users(since, consultation_id) if salt else {}
    table = build_table(kb, submissions, include_cases=consultation_id is None, include_contact=include_contact)
    anonymous = anonymous_ids(kb)
    rows = []
    for s in submissions:
        user = users.get(s.reference)
        contact = await store.contact(s.reference) if include_contact and s.has_contact else None
        rows.append(build_row(table, s, anonymous=s.consultation_id in anonymous,
                              resident=resident_hash(user, salt) if user else None, contact=contact))
    filters = {"since": since.isoformat() if since else None, "consultation": consultation_id,
               "include_contact": include_contact,
               "exported_at": generated_at(now) if now else None}
    files = write(table, rows, out, fmt, filters)
    return ExportResult(len(rows), files, bool(salt))


def write(table: Table, rows: Sequence[Sequence[Any]], out: Path, fmt: Format, filters: dict) -> tuple[Path, ...]:
    out.parent.mkdir(parents=True, exist_ok=True)
    codebook = [c.codebook_row() for c in table.columns]
    if fmt == "csv":
        write_csv(out, table.header, rows)
        write_csv(codebook_path(out), list(L.CODEBOOK_HEADER), codebook)
        return out, codebook_path(out)
    if fmt == "xlsx":
        write_xlsx(out, table.header, rows, codebook)
        return (out,)
    write_json(out, table.header, rows, [dict(zip(JSON_CODEBOOK_KEYS, row)) for row in codebook], filters)
    return (out,)


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([safe_cell(h) for h in header])
        writer.writerows([safe_cell(v) for v in row] for row in rows)


def write_xlsx(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]],
               codebook: Sequence[Sequence[Any]]) -> None:
    from openpyxl import Workbook  # noqa: PLC0415 - only the xlsx export needs it

    book = Workbook(write_only=True)
    for title, head, body, widths in (("submissions", header, rows, 14), ("codebook", L.CODEBOOK_HEADER, codebook,
                                                                         24)):
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "B2"
        for index in range(1, len(head) + 1):
            sheet.column_dimensions[_letter(index)].width = widths
        sheet.append([xlsx_cell(h) for h in head])
        for row in body:
            sheet.append([xlsx_cell(v) for v in row])
    book.save(path)


def xlsx_cell(value: Any) -> Any:
    """``safe_cell``, with line breaks as Excel stores them (LF): XML would turn a lone CR into LF anyway, so the
    file says plainly what a reader gets back."""
    value = safe_cell(value)
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    return get_column_letter(index)


def write_json(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]], codebook: list[dict],
               filters: dict) -> None:
    document = {"filters": filters, "codebook": codebook, "submissions": as_records(header, rows)}
    with path.open("w", encoding="utf-8") as f:
        json.dump(document, f, ensure_ascii=False)
        f.write("\n")
