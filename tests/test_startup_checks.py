"""Start-up refuses a database it cannot use: before contacting Telegram, exiting 1 within seconds with one plain
line naming the file (no traceback), so a supervisor restarts it or alerts (README, "Running as a service")."""
import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.storage.preflight import check_database

ROOT = Path(__file__).resolve().parent.parent
#: Root writes anywhere; without these capabilities it obeys a folder's permission bits like everyone else.
AS_PLAIN_ROOT = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner,-linux_immutable"]


def start_bot(db: Path, cwd: Path, drop_root_powers: bool = False) -> tuple[subprocess.CompletedProcess, float]:
    """The real entry point in Telegram mode, the Bot API pointing at a closed port: a bot that went on to contact
    Telegram would retry there for ever (and the timeout would fail the test)."""
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "123456:TEST-token-for-start-up", "BOT_DB": str(db),
           "TELEGRAM_API_URL": "http://127.0.0.1:9/bot", "KNOWLEDGE_DIR": str(ROOT / "knowledge")}
    started = time.monotonic()
    prefix = AS_PLAIN_ROOT if drop_root_powers else []
    done = subprocess.run([*prefix, sys.executable, str(ROOT / "run_bot.py")], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=30)
    return done, time.monotonic() - started


def assert_refused(done: subprocess.CompletedProcess, seconds: float, db: Path, words: str) -> None:
    assert done.returncode == 1, done.stderr
    assert seconds < 10
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr  # one plain line …
    assert "Traceback" not in done.stderr
    assert str(db) in lines[0] and words in lines[0]  # … naming the file and what is wrong
    assert "will not start" in lines[0]


def healthy_database(path: Path) -> None:
    assert asyncio.run(check_database(path)) is None


def test_a_garbage_file_stops_start_up_with_one_line(tmp_path):
    db = tmp_path / "bot.sqlite3"
    db.write_bytes(os.urandom(8192))
    assert_refused(*start_bot(db, tmp_path), db, "not an SQLite database")


def test_a_valid_header_followed_by_garbage_stops_start_up(tmp_path):
    db = tmp_path / "bot.sqlite3"
    healthy_database(db)
    header = db.read_bytes()[:100]
    db.write_bytes(header + os.urandom(40_000))
    assert_refused(*start_bot(db, tmp_path), db, "damaged")


def test_an_existing_database_in_a_read_only_directory_stops_start_up(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "bot.sqlite3"
    healthy_database(db)
    as_root = os.geteuid() == 0
    if as_root and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: a read-only folder cannot be emulated")
    folder.chmod(0o555)  # the file itself stays writable; the folder (for the WAL files) is not
    try:
        done, seconds = start_bot(db, folder, drop_root_powers=as_root)
    finally:
        folder.chmod(0o755)
    assert_refused(done, seconds, db, "cannot be")


def test_a_full_disk_is_found_before_start_up(tmp_path):
    """A full disk, emulated with SQLite's max_page_count: the write check needs a new page and a COMMIT."""
    db = tmp_path / "bot.sqlite3"
    healthy_database(db)
    pages = fill(db, extra_pages=4)
    problem = asyncio.run(check_database(db, max_page_count=pages))
    assert problem is not None and str(db) in problem and "full" in problem
    assert asyncio.run(check_database(db, max_page_count=pages + 100)) is None


def fill(db: Path, extra_pages: int) -> int:
    """Use up every free page of the file and ``extra_pages`` more; returns the page count reached."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        pages = conn.execute("PRAGMA page_count").fetchone()[0] + extra_pages
        conn.execute(f"PRAGMA max_page_count = {pages}")
        conn.execute("CREATE TABLE filler (x)")
        try:
            while True:
                conn.execute("INSERT INTO filler VALUES (zeroblob(500))")
        except sqlite3.OperationalError as full:
            assert "full" in str(full)
        return conn.execute("PRAGMA page_count").fetchone()[0]
    finally:
        conn.close()


def test_a_healthy_database_passes_and_a_missing_one_is_created(tmp_path):
    db = tmp_path / "new" / "bot.sqlite3"
    assert asyncio.run(check_database(db)) is None
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] > 0
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'startup_write_check'").fetchone() is None


def test_a_folder_that_cannot_be_created_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    db = blocker / "bot.sqlite3"
    problem = asyncio.run(check_database(db))
    assert problem is not None and str(db) in problem
