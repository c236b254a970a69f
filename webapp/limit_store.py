"""One rate-limit counting store per host without Redis: a small SQLite file that every worker on the host opens.

Flask-Limiter's ``memory://`` store counts in each process, so with W workers "30 per minute" allowed 30 x W
(issue 24). Without REDIS_URL, the limits count here instead: ``hostfile:///<absolute path>``, one file in
the instance folder, shared by the workers of one host (SQLite serialises the increments; each is one short
transaction). Several hosts share their counts through Redis (REDIS_URL), as before.

Only the fixed-window strategy (Flask-Limiter's default) is supported: it needs incr, get and get_expiry.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from limits.storage import Storage

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expiry REAL NOT NULL)"
)


class HostFileStorage(Storage):
    """``hostfile:///abs/path/limits.db``: fixed-window counters in a SQLite file shared by a host's workers."""

    STORAGE_SCHEME = ["hostfile"]  # noqa: RUF012 - limits reads the class attribute

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = unquote(urlsplit(uri).path)
        if not self.path:
            raise ValueError("hostfile:// needs an absolute path: hostfile:///srv/app/instance/limits.db")
        self._local = threading.local()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _conn(self) -> sqlite3.Connection:
        # One connection per thread and process (a forked worker must not use its parent's connection).
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")  # counters: losing the last second on a crash is harmless
            conn.execute(_SCHEMA)
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        conn = self._conn()
        # One statement, atomic: a window that has ended starts again at ``amount``.
        row = conn.execute(
            "INSERT INTO counters (key, value, expiry) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET "
            "value = CASE WHEN counters.expiry <= ? THEN excluded.value ELSE counters.value + excluded.value END, "
            "expiry = CASE WHEN counters.expiry <= ? THEN excluded.expiry ELSE counters.expiry END "
            "RETURNING value",
            (key, amount, now + expiry, now, now),
        ).fetchone()
        if random.random() < 0.002:  # noqa: S311 - now and then, forget ended windows (many addresses add up)
            self.purge_expired()
        return int(row[0])

    def get(self, key: str) -> int:
        row = (
            self._conn()
            .execute("SELECT value FROM counters WHERE key = ? AND expiry > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = (
            self._conn()
            .execute("SELECT expiry FROM counters WHERE key = ? AND expiry > ?", (key, time.time()))
            .fetchone()
        )
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        try:
            self._conn().execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    def reset(self) -> int | None:
        cursor = self._conn().execute("DELETE FROM counters")
        return cursor.rowcount

    def clear(self, key: str) -> None:
        self._conn().execute("DELETE FROM counters WHERE key = ?", (key,))

    def purge_expired(self) -> int:
        return self._conn().execute("DELETE FROM counters WHERE expiry <= ?", (time.time(),)).rowcount
