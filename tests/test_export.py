"""``python -m bot feedback export``: the files are opened back (csv, openpyxl, json) and compared cell by cell with
what the SQLite database holds — read here with plain SQL, not through the exporter's code — including hostile
contents: formulas, control characters, emoji, a 10,000-character answer, Traditional and Simplified text."""
from __future__ import annotations

import asyncio
import csv
import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from feedback_helpers import write_knowledge
from openpyxl import load_workbook

from bot.cli import main
from bot.core.feedback.model import Answer, HelpfulVote, NewSubmission
from bot.core.feedback.privacy import resident_hash
from bot.reports.export import codebook_path, safe_cell
from bot.storage.database import Database
from bot.storage.feedback import SqliteFeedbackStore

SALT = "export-test-salt"
T0 = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)
DISTRICT = timezone(timedelta(hours=8))
HOSTILE = [
    "=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1:A9)", "\t=1+1", "\rCR first",
    "".join(chr(i) for i in range(32)) + "控制字元",
    "emoji 😀🏊‍♂️👍🏽 and ZWJ", "長" * 10_000,
    "繁體：臺灣的後來，髮型與頭髮", "简体：台湾的后来，发型与头发", "=HYPERLINK(\"http://x\",\"點我\")",
    "multi\nline\r\nanswer",
]
CONTACT = "電話 138-0000-0000"
JOBS_COLUMNS = ["jobs.status", "jobs.help.skills", "jobs.help.referrals", "jobs.help.loans", "jobs.rating",
                "jobs.note"]


async def seed(db_path: Path) -> None:
    database = Database(db_path)
    await database.open()
    store = SqliteFeedbackStore(database)
    at = T0
    for i, text in enumerate(HOSTILE):
        at += timedelta(minutes=7)
        answers = [Answer("status", "grad" if i % 2 else "other", 0), Answer("rating", 1 + i % 5, 2),
                   Answer("note", text, 3)]
        if i % 2:  # asked only for graduates and school leavers (ask_if)
            answers.append(Answer("help", ("skills", "loans") if i % 3 else (), 1))
        await store.add(NewSubmission(reference=f"FB-20261102{i:06d}", kind="survey", language="zh-Hant",
                                      created_at=at, consultation_id="jobs", answers=tuple(answers),
                                      user=f"tg:{1000 + i}", contact=text if i == 2 else (CONTACT if i == 3 else None)))
    hour = T0.replace(minute=0)  # anonymous: stored to the hour
    await store.add(NewSubmission(reference="FB-20261102900001", kind="survey", language="zh-Hans", created_at=hour,
                                  consultation_id="dibao", participation="token-1",
                                  answers=(Answer("receiving", "receiving", 0), Answer("adequacy", 2, 1),
                                           Answer("comment", "=2+3 低保不够", 2))))
    await store.add(NewSubmission(reference="FB-20261103000001", kind="case", language="en",
                                  created_at=T0 + timedelta(days=1), text="@admin <b>hi</b>\x07", user="tg:1000"))
    await store.add(NewSubmission(reference="FB-20261104000001", kind="survey", language="zh-Hant",
                                  created_at=T0 + timedelta(days=2), consultation_id="jobs", user="tg:2000",
                                  answers=(Answer("status", "grad", 0), Answer("removed-q", ("x", "y"), 1))))
    first = await store.add_reply("FB-20261102000001", "收到", T0 + timedelta(hours=5))
    await store.add_reply("FB-20261102000001", "再補充", T0 + timedelta(hours=9))
    await store.rate("tg:1001", first.reply.id, 4, T0 + timedelta(hours=6))
    await store.add_reply("FB-20261103000001", "ok", T0 + timedelta(days=1, minutes=90))
    await store.set_status("FB-20261102000003", "closed", T0 + timedelta(days=3))
    await store.record_vote(HelpfulVote("policy-dibao-apply", True, "zh-Hant", T0))
    await database.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    kb = write_knowledge(folder / "kb")
    db = folder / "bot.sqlite3"
    asyncio.run(seed(db))
    return kb, db


@pytest.fixture
def cli(data, tmp_path, monkeypatch, capsys):
    kb, db = data
    monkeypatch.chdir(tmp_path)  # no stray .env; default output lands here
    monkeypatch.setenv("BOT_DB", str(db))
    monkeypatch.setenv("KNOWLEDGE_DIR", str(kb))
    monkeypatch.setenv("EXPORT_SALT", SALT)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["feedback", "export", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


# --- what the database holds, read with SQL ----------------------------------------------------------------------
def database_rows(db: Path, include_contact: bool, consultation: str | None = None) -> list[dict]:
    """The expected export, column → value, computed straight from the tables."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    expected = []
    for s in conn.execute("SELECT * FROM feedback_submission WHERE ? IS NULL OR consultation_id = ? "
                          "ORDER BY created_at, id", (consultation, consultation)):
        created = datetime.fromisoformat(s["created_at"])
        row = {"reference": s["reference"], "kind": s["kind"], "consultation": s["consultation_id"],
               "created_at": created.astimezone(DISTRICT).replace(tzinfo=None),
               "status": s["status"], "language": s["language"]}
        replies = conn.execute("SELECT r.created_at, g.score FROM feedback_reply r LEFT JOIN feedback_rating g "
                               "ON g.reply_id = r.id WHERE r.submission_id = ? ORDER BY r.id", (s["id"],)).fetchall()
        row["reply_hours"] = (round((datetime.fromisoformat(replies[0][0]) - created).total_seconds() / 3600, 2)
                              if replies else None)
        rated = [score for _, score in replies if score is not None]
        row["rating"] = rated[-1] if rated else None
        link = conn.execute("SELECT user FROM feedback_link WHERE submission_id = ?", (s["id"],)).fetchone()
        row["resident"] = resident_hash(link[0], SALT) if link else None
        if consultation is None:
            row["case_text"] = s["text"]
        if include_contact:
            found = conn.execute("SELECT contact FROM feedback_contact WHERE submission_id = ?", (s["id"],)).fetchone()
            row["contact"] = found[0] if found else None
        for a in conn.execute("SELECT question_id, value FROM feedback_answer WHERE submission_id = ?", (s["id"],)):
            value = json.loads(a["value"])
            column = f"{s['consultation_id']}.{a['question_id']}"
            if a["question_id"] == "help":
                for option in ("skills", "referrals", "loans"):
                    row[f"{column}.{option}"] = int(option in value)
            elif isinstance(value, list):
                row[column] = ";".join(value)
            else:
                row[column] = value
        expected.append(row)
    conn.close()
    return expected


def spreadsheet_text(value) -> object:
    """What a spreadsheet cell must hold for a stored value: control characters gone, formulas neutralised."""
    if not isinstance(value, str):
        return value
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_cell(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else str(spreadsheet_text(value))


def json_cell(value) -> object:
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else value


def xlsx_cell(value) -> object:
    value = spreadsheet_text(value)
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def read_csv(path: Path) -> list[list[str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf"), "UTF-8 BOM, so Excel reads Chinese"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


# --- the exports -------------------------------------------------------------------------------------------------
def test_csv_matches_the_database_cell_by_cell(cli, data, tmp_path):
    code, out, err = cli("--format", "csv", "--out", "export.csv")
    assert code == 0 and "wrote 16 submissions" in out and err == ""
    header, *rows = read_csv(tmp_path / "export.csv")
    expected = database_rows(data[1], include_contact=False)
    assert header[:10] == ["reference", "kind", "consultation", "created_at", "status", "language", "reply_hours",
                           "rating", "resident", "case_text"]
    assert header[10:] == JOBS_COLUMNS + ["jobs.removed-q", "dibao.receiving", "dibao.adequacy", "dibao.comment"]
    assert len(rows) == len(expected) == 16
    for row, want in zip(rows, expected, strict=True):
        assert row == [csv_cell(want.get(column)) for column in header], want["reference"]


def test_hostile_cells_are_neutralised_and_stripped(cli, tmp_path):
    cli("--format", "csv", "--out", "export.csv")
    header, *rows = read_csv(tmp_path / "export.csv")
    notes = [row[header.index("jobs.note")] for row in rows[1:len(HOSTILE) + 1]]
    assert notes[:6] == ["'=cmd|' /C calc'!A0", "'+1", "'-1", "'@SUM(A1:A9)", "'\t=1+1", "'\rCR first"]
    assert notes[6] == "'\t\n\r控制字元"
    assert notes[7] == "emoji 😀🏊‍♂️👍🏽 and ZWJ" and notes[8] == "長" * 10_000
    assert notes[9:12] == [HOSTILE[9], HOSTILE[10], "'=HYPERLINK(\"http://x\",\"點我\")"]
    assert notes[12] == "multi\nline\r\nanswer"
    case = next(row for row in rows if row[1] == "case")
    assert case[header.index("case_text")] == "'@admin <b>hi</b>"
    for row in rows:
        for cell in row:
            assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", cell)
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_xlsx_matches_the_database_cell_by_cell(cli, data, tmp_path):
    code, out, _ = cli("--format", "xlsx", "--out", "export.xlsx")
    assert code == 0 and "export.xlsx" in out
    book = load_workbook(tmp_path / "export.xlsx")
    assert book.sheetnames == ["submissions", "codebook"]
    sheet = book["submissions"]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    expected = database_rows(data[1], include_contact=False)
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected, strict=True):
        assert row == [xlsx_cell(want.get(column)) for column in header], want["reference"]
    assert all(cell.data_type != "f" for r in sheet.iter_rows() for cell in r), "no formula cells"
    assert rows[9][header.index("jobs.note")] == "長" * 10_000
    codebook = [list(r) for r in book["codebook"].iter_rows(values_only=True)]
    assert codebook[0] == ["欄位", "問卷", "題目編號", "類型", "題目", "取值說明"]
    skills = next(r for r in codebook if r[0] == "jobs.help.skills")
    assert skills[1] == "就業幫扶（jobs）" and skills[4] == "需要哪些幫助？" and "技能培訓" in skills[5]
    status = next(r for r in codebook if r[0] == "jobs.status")
    assert "grad=高校畢業生" in status[5] and "leaver=兩后生" in status[5]


def test_json_keeps_values_exactly_as_stored(cli, data, tmp_path):
    code, _, _ = cli("--format", "json", "--out", "export.json")
    document = json.loads((tmp_path / "export.json").read_text(encoding="utf-8"))
    expected = database_rows(data[1], include_contact=False)
    assert code == 0 and len(document["submissions"]) == len(expected)
    columns = [c["column"] for c in document["codebook"]]
    for got, want in zip(document["submissions"], expected, strict=True):
        assert list(got) == columns
        assert got == {column: json_cell(want.get(column)) for column in columns}
    assert document["submissions"][7]["jobs.note"] == HOSTILE[6], "raw in JSON: no spreadsheet here"
    assert document["filters"] == {"since": None, "consultation": None, "include_contact": False,
                                   "exported_at": document["filters"]["exported_at"]}


def test_the_csv_codebook_is_a_second_file_describing_every_column(cli, tmp_path):
    cli("--format", "csv", "--out", "out/feedback.csv")
    assert codebook_path(Path("out/feedback.csv")) == Path("out/feedback.codebook.csv")
    header = read_csv(tmp_path / "out/feedback.csv")[0]
    book = read_csv(tmp_path / "out/feedback.codebook.csv")
    assert [r[0] for r in book[1:]] == header
    rating = next(r for r in book if r[0] == "jobs.rating")
    assert rating[3] == "評分（1-5）" and "1=很不滿意" in rating[5] and "5=很滿意" in rating[5]
    removed = next(r for r in book if r[0] == "jobs.removed-q")
    assert "已從知識庫刪除" in removed[3]


def test_contact_details_only_with_include_contact(cli, data, tmp_path):
    cli("--format", "csv", "--out", "plain.csv")
    raw = (tmp_path / "plain.csv").read_text(encoding="utf-8-sig")
    assert CONTACT not in raw and "contact" not in raw.splitlines()[0]
    cli("--format", "csv", "--out", "with.csv", "--include-contact")
    header, *rows = read_csv(tmp_path / "with.csv")
    expected = database_rows(data[1], include_contact=True)
    assert "contact" in header
    for row, want in zip(rows, expected, strict=True):
        assert row == [csv_cell(want.get(column)) for column in header]
    assert [row[header.index("contact")] for row in rows if row[header.index("contact")]] == [
        spreadsheet_text(HOSTILE[2]), CONTACT]


def test_residents_appear_only_as_keyed_hashes(cli, data, tmp_path):
    cli("--format", "xlsx", "--out", "x.xlsx")
    cli("--format", "json", "--out", "x.json")
    cli("--format", "csv", "--out", "x.csv")
    for name in ("x.json", "x.csv"):
        assert not re.search(r"tg:\d", (tmp_path / name).read_text(encoding="utf-8-sig"))
    values = [c for r in load_workbook(tmp_path / "x.xlsx")["submissions"].iter_rows(values_only=True) for c in r]
    assert not any(isinstance(v, str) and re.search(r"tg:\d", v) for v in values)
    header, *rows = read_csv(tmp_path / "x.csv")
    resident = {row[0]: row[header.index("resident")] for row in rows}
    assert resident["FB-20261102000000"] == resident_hash("tg:1000", SALT) != resident_hash("tg:1000", "other")
    assert resident["FB-20261103000001"] == resident["FB-20261102000000"], "the same resident, the same pseudonym"
    assert resident["FB-20261102900001"] == "", "anonymous"


def test_filters_by_consultation_and_date(cli, data, tmp_path):
    code, out, _ = cli("--format", "csv", "--consultation", "dibao", "--out", "dibao.csv")
    header, *rows = read_csv(tmp_path / "dibao.csv")
    assert code == 0 and "case_text" not in header and [r[0] for r in rows] == ["FB-20261102900001"]
    assert header[9:] == ["dibao.receiving", "dibao.adequacy", "dibao.comment"]
    assert rows[0][header.index("dibao.comment")] == "'=2+3 低保不够" and rows[0][header.index("resident")] == ""
    cli("--format", "csv", "--since", "2026-11-03", "--out", "late.csv")
    assert [r[0] for r in read_csv(tmp_path / "late.csv")[1:]] == ["FB-20261103000001", "FB-20261104000001"]
    code, _, err = cli("--consultation", "no-such-thing")
    assert code == 1 and "no consultation 'no-such-thing'" in err and "jobs" in err


def test_each_export_is_audited_as_cli(cli, data, tmp_path):
    cli("--format", "json", "--out", "audited.json", "--include-contact")
    conn = sqlite3.connect(data[1])
    staff_user, action, detail = conn.execute(
        "SELECT staff_user, action, detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    assert (staff_user, action) == ("cli", "export")
    assert detail.startswith("json, 16 rows → audited.json;") and "contact included" in detail


def test_without_export_salt_the_resident_column_stays_empty(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("EXPORT_SALT")
    code, _, err = cli("--format", "csv")
    assert code == 0 and "EXPORT_SALT is not set" in err
    [path] = [p for p in tmp_path.glob("feedback-*.csv") if ".codebook" not in p.name]
    header, *rows = read_csv(path)
    assert {row[header.index("resident")] for row in rows} == {""}


@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("a\x00b\x1fc\x0b", "abc"), ("\x00=1", "'=1"), ("a=1", "a=1"), (" =1", " =1"), (-1, -1), (2.5, 2.5),
    (None, None), ("", ""),
])
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_paging_through_the_database_changes_nothing_in_the_file(data, tmp_path, fmt):
    # rows stream from the store a page at a time; pages of 3 (rows arriving in the same minute split across
    # pages, a removed question's column known before its row is read) give the file one big page gives
    from bot.core.knowledge.loader import load_knowledge
    from bot.reports.export import export_feedback

    kb_dir, db_path = data
    kb = load_knowledge(kb_dir)
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    async def export(page_size: int, out: Path):
        database = Database(db_path)
        await database.open()
        try:
            return await export_feedback(SqliteFeedbackStore(database), kb, out, fmt, salt=SALT, now=now,
                                         page_size=page_size)
        finally:
            await database.close()

    small = asyncio.run(export(3, tmp_path / "small" / f"out.{fmt}"))
    big = asyncio.run(export(10_000, tmp_path / "big" / f"out.{fmt}"))
    assert small.rows == big.rows == len(HOSTILE) + 3
    for a, b in zip(small.files, big.files, strict=True):
        if fmt == "xlsx":  # a zip with timestamps inside: compare what a reader sees
            sheets = [[list(r) for r in load_workbook(p, read_only=True)["submissions"].iter_rows(values_only=True)]
                      for p in (a, b)]
            assert sheets[0] == sheets[1]
        else:
            assert a.read_bytes() == b.read_bytes()


def test_an_anonymous_reply_a_minute_later_reads_as_minutes_and_dates_are_real_excel_dates(tmp_path, monkeypatch,
                                                                                            capsys):
    # A resident answers the anonymous survey at 19:06:22 district time; staff reply a minute later.
    from bot.core.feedback.service import FeedbackService
    from bot.core.knowledge.service import KnowledgeService
    from bot.storage.residents import SqliteResidentStore

    kb = write_knowledge(tmp_path / "kb")
    db = tmp_path / "bot.sqlite3"
    moment = [datetime(2026, 12, 6, 11, 6, 22, tzinfo=UTC)]

    async def run():
        database = Database(db)
        await database.open()
        service = FeedbackService(SqliteFeedbackStore(database), SqliteResidentStore(database), clock=lambda: moment[0])
        dibao = next(c for c in KnowledgeService(kb).current.kb.consultations if c.id == "dibao")
        reference = await service.submit(dibao, {"receiving": "never"}, user="tg:1", language="zh-Hant")
        moment[0] += timedelta(minutes=1)
        await service.reply(reference, "收到，謝謝。")
        await database.close()

    asyncio.run(run())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_DB", str(db))
    monkeypatch.setenv("KNOWLEDGE_DIR", str(kb))
    assert main(["feedback", "export", "--format", "csv", "--out", "e.csv"]) == 0
    header, row = read_csv(tmp_path / "e.csv")
    assert row[header.index("created_at")] == "2026-12-06 19:00:00", "to the hour, same form as every row"
    assert float(row[header.index("reply_hours")]) < 1, "not 11 hours"
    assert main(["feedback", "export", "--format", "xlsx", "--out", "e.xlsx"]) == 0
    cell = load_workbook(tmp_path / "e.xlsx")["submissions"]["D2"]
    assert cell.is_date and cell.value == datetime(2026, 12, 6, 19, 0)
    capsys.readouterr()
