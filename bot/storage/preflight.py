"""Start-up check of the database: before the bot contacts Telegram (or opens the console chat) it makes sure the
file it will need opens, is not damaged, is migrated and can take a write, so a bad file stops the process at
once with one plain line naming the file — and a supervisor (systemd ``Restart=on-failure``) sees it exit —
instead of a bot that looks alive but cannot answer.
"""
from __future__ import annotations

from pathlib import Path

from bot.core.errors import StorageUnavailable
from bot.storage.database import Database, storage_errors

#: How much the start-up write check writes (and commits): a disk with less room than this is as good as full.
PROBE_BYTES = 64 * 1024

#: SQLite's words → what they mean for whoever runs the bot.
_MEANING = (
    ("file is not a database", "it is not an SQLite database (or its first page is damaged)"),
    ("malformed", "the file is damaged"),
    ("readonly", "it cannot be written (read-only file or directory)"),
    ("unable to open", "it cannot be opened for writing (missing, read-only or inaccessible directory)"),
    ("disk is full", "the disk (or the database's size limit) is full"),
    ("disk i/o error", "the disk reported an I/O error"),
    ("locked", "another program holds it locked"),
)


def explain(reason: str) -> str:
    lowered = reason.lower()
    meaning = next((text for words, text in _MEANING if words in lowered), None)
    return f"{meaning} ({reason})" if meaning else reason


async def check_database(path: str | Path, *, max_page_count: int | None = None) -> str | None:
    """None when the database at ``path`` opens, passes ``PRAGMA quick_check``, is migrated and commits a write;
    otherwise one line saying what is wrong and where. ``max_page_count``: see ``Database``."""
    where = Path(path).absolute()
    database = Database(path, max_page_count=max_page_count)
    try:
        try:
            await database.open()
        except OSError as error:  # the folder could not be created
            raise StorageUnavailable(error.strerror or str(error)) from error
        row = await database.fetchone("PRAGMA quick_check")
        verdict = str(row[0]) if row else "no answer"
        if verdict != "ok":
            raise StorageUnavailable(f"database disk image is malformed: quick_check says {verdict[:200]}")
        # A write that must reach the disk: new pages (so a full disk or size limit shows) and a COMMIT, which
        # appends them to the WAL file — PROBE_BYTES of room are needed, and left free in the file for later.
        async with database.transaction() as conn:
            with storage_errors():
                await conn.execute("CREATE TABLE startup_write_check (x)")
                await conn.execute("INSERT INTO startup_write_check VALUES (zeroblob(?))", (PROBE_BYTES,))
                await conn.execute("DROP TABLE startup_write_check")
    except StorageUnavailable as error:
        return f"Database {where} (BOT_DB) cannot be used: {explain(str(error))}. The bot will not start."
    except RuntimeError as error:  # e.g. a schema newer than this program (Database.migrate)
        return f"Database {where} (BOT_DB) cannot be used: {error}. The bot will not start."
    finally:
        try:
            await database.close()
        except Exception:  # noqa: BLE001 - closing a file that failed to open; the first error is the one to tell
            pass
    return None
