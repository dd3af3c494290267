"""The shared store of one host: an SQLite file every worker process opens (no Redis needed).

SQLite in WAL mode lets the workers of a host read and write one file concurrently; each
operation is one short transaction (``BEGIN IMMEDIATE`` where it reads then writes), so the
failure limiter is as atomic here as Redis' scripts are. Calls take tens of microseconds and do
not yield to gevent; a busy file makes SQLite retry within ``busy_timeout``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

# Longest a call waits for another process's write transaction (they last microseconds).
BUSY_TIMEOUT_SECONDS = 2.0
# Expired records are swept by the writer that happens to pass, at most this often.
SWEEP_SECONDS = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, entry BLOB NOT NULL,
    written REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS log_by_name ON log (name, seq);
"""


class LocalStore:
    """``SharedStore`` over an SQLite file shared by the processes of one host."""

    kind = "local"

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._clock = clock
        self._lock = threading.Lock()  # one connection per process, used by one caller at once
        self._db = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        _set_wal(self._db)
        self._db.execute("PRAGMA synchronous=NORMAL")  # durable enough: this is a cache of state
        self._db.executescript(_SCHEMA)
        self._swept = 0.0

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a read-then-write transaction that no other process interleaves with."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def ping(self) -> None:
        """Raise unless the file can be read."""
        with self._lock:
            self._db.execute("SELECT 1").fetchone()

    def get(self, key: str) -> bytes | None:
        """Return the value of a live ``key``, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM kv WHERE key = ? AND expires > ?", (key, self._clock())
            ).fetchone()
        return None if row is None else bytes(row[0])

    def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO kv (key, value, expires) VALUES (?, ?, ?)",
                (key, value, self._clock() + ttl),
            )
            self._sweep(db)

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Store ``value`` only if ``key`` is absent or expired; return whether it was stored."""
        now = self._clock()
        with self._transaction() as db:
            db.execute("DELETE FROM kv WHERE key = ? AND expires <= ?", (key, now))
            cursor = db.execute(
                "INSERT OR IGNORE INTO kv (key, value, expires) VALUES (?, ?, ?)",
                (key, value, now + ttl),
            )
            return cursor.rowcount == 1

    def delete(self, key: str, *, only_if: bytes | None = None) -> None:
        """Forget ``key`` (only while it still holds ``only_if``, when given)."""
        with self._transaction() as db:
            if only_if is None:
                db.execute("DELETE FROM kv WHERE key = ?", (key,))
            else:
                db.execute("DELETE FROM kv WHERE key = ? AND value = ?", (key, only_if))

    def limit_attempt(
        self, keys: Sequence[str], limits: Sequence[int], window: float, failed: bool
    ) -> float:
        """Decide one attempt against several failure counters atomically (see SharedStore)."""
        now = self._clock()
        with self._transaction() as db:
            live = {
                key: (count, expires)
                for key, count, expires in db.execute(
                    f"SELECT key, count, expires FROM counters WHERE expires > ? "  # noqa: S608
                    f"AND key IN ({','.join('?' * len(keys))})",
                    (now, *keys),
                )
            }
            waits = [
                live[key][1] - now
                for key, limit in zip(keys, limits, strict=True)
                if key in live and live[key][0] >= limit
            ]
            if waits:
                return max(waits)
            if failed:
                for key in keys:
                    count, expires = live.get(key, (0, now + window))
                    db.execute(
                        "INSERT OR REPLACE INTO counters (key, count, expires) VALUES (?, ?, ?)",
                        (key, count + 1, expires),
                    )
                self._sweep(db)
            return 0.0

    def append(self, log: str, entry: bytes, *, retention: float, cap: int) -> int:
        """Append ``entry`` to ``log``; return its sequence number."""
        now = self._clock()
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO log (name, entry, written) VALUES (?, ?, ?)", (log, entry, now)
            )
            seq = int(cursor.lastrowid or 0)
            db.execute("DELETE FROM log WHERE name = ? AND written < ?", (log, now - retention))
            db.execute(
                "DELETE FROM log WHERE name = ? AND seq <= (SELECT seq FROM log WHERE name = ? "
                "ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                (log, log, cap),
            )
            return seq

    def read_since(self, log: str, seq: int) -> list[tuple[int, bytes]]:
        """Return the entries of ``log`` after ``seq``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, entry FROM log WHERE name = ? AND seq > ? ORDER BY seq", (log, seq)
            ).fetchall()
        return [(int(row_seq), bytes(entry)) for row_seq, entry in rows]

    def _sweep(self, db: sqlite3.Connection) -> None:
        """Delete expired records now and then, inside a write transaction already open."""
        now = self._clock()
        if now - self._swept < SWEEP_SECONDS:
            return
        self._swept = now
        db.execute("DELETE FROM kv WHERE expires <= ?", (now,))
        db.execute("DELETE FROM counters WHERE expires <= ?", (now,))


def _set_wal(db: sqlite3.Connection) -> None:
    """Switch ``db`` to WAL, waiting while another process holds the lock it needs.

    Two workers opening a new store at once: the mode change can answer "database is locked"
    at once instead of waiting the connection's busy timeout (seen once in CI, a worker failed
    to boot), so it is tried again within that timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
