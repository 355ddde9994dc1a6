"""A Django cache in one SQLite file: shared by every process and thread of a host, as
Django's file cache is, for a fraction of its cost.

The cache's one job here is the API's rate limit (survival.api.rate_window: one count per
client and period, added to on every request). Django's FileBasedCache writes each value to
a new temporary file, renames it over the old one and lists the folder to decide whether to
cull: several file-system calls per request, which measured 0.3–1 ms of a request's 1–3 ms
(bench/profile_api.py). Here a read is one indexed SELECT, a write one UPSERT and a count
(`count_in_window`) one UPSERT … RETURNING, so two workers adding to the same count at once
both see their own addition; the file is write-ahead-logged and nothing is synced to disk,
because rate counts lost to a power cut cost nothing.

Integers are stored as SQLite integers (as Django's Redis cache stores them as Redis
integers), everything else pickled.

LOCATION is a folder (as for the file cache); the database is `cache.sqlite3` in it.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from redis.exceptions import RedisError

FILE_NAME = "cache.sqlite3"
# What a failing cache of this site raises: Redis' errors (REDIS_URL), this SQLite file's (it
# cannot be opened or written: a full disk, a folder in its place), the file system's.
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisError, sqlite3.Error, OSError)
# Expired rows are deleted on one write in this many (a process's own count), so that the
# table holds about one row per recent client and key.
PURGE_EVERY = 500
# How long a process waits for another one's write before it fails.
BUSY_TIMEOUT_MS = 5000

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cache ("
    " key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL) WITHOUT ROWID"
)


class SQLiteCache(BaseCache):
    """Django's cache API on a SQLite file (see the module's docstring)."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        self._path = Path(location) / FILE_NAME
        self._local = threading.local()
        self._writes = 0

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread (gthread workers serve requests in threads) and per
        # process (a forked worker must not share its parent's).
        connection = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != os.getpid():
            self._path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self._path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute(_SCHEMA)
            self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def _expiry(self, timeout: Any) -> float | None:
        # None: never expires; 0 or less: already expired (Django's meaning).
        timeout = self.get_backend_timeout(timeout)
        return None if timeout is None else timeout

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        row = (
            self._connection()
            .execute(
                "SELECT value FROM cache WHERE key = ? AND (expires IS NULL OR expires > ?)",
                (key, time.time()),
            )
            .fetchone()
        )
        return default if row is None else _decoded(row[0])

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        key = self.make_and_validate_key(key, version=version)
        self._write(
            "INSERT INTO cache (key, value, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
            (key, _encoded(value), self._expiry(timeout)),
        )

    def add(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        # Inserts, or replaces only a row that has expired.
        cursor = self._write(
            "INSERT INTO cache (key, value, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires "
            "WHERE cache.expires IS NOT NULL AND cache.expires <= ?",
            (key, _encoded(value), self._expiry(timeout), time.time()),
        )
        return cursor.rowcount == 1

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        cursor = self._write(
            "UPDATE cache SET expires = ? WHERE key = ? AND (expires IS NULL OR expires > ?)",
            (self._expiry(timeout), key, time.time()),
        )
        return cursor.rowcount == 1

    def delete(self, key: str, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return self._write("DELETE FROM cache WHERE key = ?", (key,)).rowcount == 1

    def has_key(self, key: str, version: int | None = None) -> bool:
        sentinel = object()
        return self.get(key, sentinel, version=version) is not sentinel

    def count_in_window(self, key: str, seconds: int, now: float) -> tuple[int, float]:
        """Adds one to the key's count and returns it with the seconds its window has left.
        A key without a count, or whose window closed by `now`, starts a new window of
        `seconds` at 1. One statement: concurrent callers each see their own addition."""
        key = self.make_and_validate_key(key)
        connection = self._connection()
        # fetchall: the statement runs to its end, which ends its write transaction.
        ((count, closes),) = connection.execute(
            "INSERT INTO cache (key, value, expires) VALUES (?, 1, ?) "
            "ON CONFLICT (key) DO UPDATE SET "
            " value = CASE WHEN cache.expires > ? THEN cache.value + 1 ELSE 1 END,"
            " expires = CASE WHEN cache.expires > ? THEN cache.expires ELSE excluded.expires END "
            "RETURNING value, expires",
            (key, now + seconds, now, now),
        ).fetchall()
        self._written(connection)
        return count, closes - now

    def clear(self) -> None:
        self._write("DELETE FROM cache", ())

    def close(self, **kwargs: Any) -> None:
        # Django closes caches after every request; the connection is kept for the next.
        pass

    def _write(self, statement: str, parameters: tuple[Any, ...]) -> sqlite3.Cursor:
        connection = self._connection()
        cursor = connection.execute(statement, parameters)
        self._written(connection)
        return cursor

    def _written(self, connection: sqlite3.Connection) -> None:
        self._writes += 1
        if self._writes % PURGE_EVERY == 0:
            connection.execute("DELETE FROM cache WHERE expires <= ?", (time.time(),))


def _encoded(value: Any) -> int | bytes:
    # bool is an int too, but must come back as a bool; SQLite's integers have 64 bits.
    if type(value) is int and -(2**63) <= value < 2**63:
        return value
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _decoded(stored: int | bytes) -> Any:
    return stored if isinstance(stored, int) else pickle.loads(stored)
