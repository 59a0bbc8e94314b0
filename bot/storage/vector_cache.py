"""Knowledge-text vectors on disk (``EMBEDDING_CACHE``), so a restart or a reload embeds only what changed.

A plain SQLite file of its own, apart from the residents' database: it holds nothing personal, can be deleted at
any time (the next start re-embeds) and is shared by every command (``ask``, ``kb test``, the bot) that uses the
same path. Written from whichever thread embeds, so each call opens its own short transaction on a connection
made for that thread.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from bot.core.matching.embedding import DIMENSIONS

log = logging.getLogger(__name__)
_SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID"
_CHUNK = 500  # keys per SELECT … IN (…): below SQLite's default limit of bound parameters


class SqliteVectorCache:
    """A :class:`bot.core.matching.embedding.VectorCache` in one SQLite file. A cache that cannot be read or
    written degrades to embedding again, never to an error for the resident."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)
            self._local.connection = connection
        return connection

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        try:
            connection = self._connection()
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start:start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for key, blob in connection.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (DIMENSIONS,):
                        found[bytes(key)] = vector
        except sqlite3.Error as error:
            log.warning("embedding cache %s unreadable (%s): embedding again", self.path, error)
        return found

    def put_many(self, items: Mapping[bytes, np.ndarray]) -> None:
        rows = [(key, np.asarray(vector, dtype=np.float32).tobytes()) for key, vector in items.items()]
        try:
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)", rows)
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            log.warning("embedding cache %s not written (%s): the next start embeds these again", self.path, error)
            try:
                self._connection().execute("ROLLBACK")
            except sqlite3.Error:
                pass
