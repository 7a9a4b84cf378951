"""The SQLite cache: opening, pragmas, transactions and settings.

One file per profile.  WAL lets the TUI read while the poller writes; ``synchronous=FULL``
because a destructive read committed is the only copy there is (the pipelined ingest's
writer, whose rows can always be rebuilt from the journal, runs NORMAL: see
:mod:`.pipeline`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..private_files import private_dir, private_file
from .migrations import MIGRATIONS


class Store:
    """A connection to the cache.  Each thread or task group that writes opens its own.

    Calls are serialised by a lock so one instance may be handed to a worker thread; two
    connections of one process may share it (``lock``) to wait for each other's transactions
    in Python rather than in SQLite's busy handler.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        readonly: bool = False,
        lock: threading.RLock | None = None,
        synchronous: str = "FULL",
    ) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            # SQLite gives the WAL and SHM the database file's mode: made 0600 first, the
            # three are private whatever the umask.
            if not readonly:
                private_dir(self.path.parent)
            if self.path.parent.is_dir():
                private_file(self.path)
        self.conn = sqlite3.connect(
            str(self.path), timeout=30, check_same_thread=False, isolation_level=None
        )
        self.lock = lock or threading.RLock()
        self.conn.execute("PRAGMA busy_timeout = 30000")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute(f"PRAGMA synchronous = {'NORMAL' if synchronous == 'NORMAL' else 'FULL'}")
        self.conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            self.migrate()

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    @property
    def version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        with self.transaction():
            current = self.version
            for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``: one writer, all or nothing."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every query inside sees the same committed state.  Inside
        another transaction (a whole row of reads), that one's."""
        with self.lock:
            if self.conn.in_transaction:
                yield self.conn
                return
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[dict]:
        """Rows as dicts, read whole under the lock.

        Straight from sqlite3 rather than through sqlite-utils' ``Database.query``: every
        screen reads through here, and importing sqlite-utils (its plugins, dateutil, and
        numpy when it is installed) takes 110-250 ms on the TUI's worker thread, GIL held.
        """
        with self.lock:
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: tuple | dict = ()):
        with self.lock:
            row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def insert(self, table: str, row: dict) -> int:
        """Insert ``row`` (column -> value) in a transaction of its own; returns its rowid.

        Plain sqlite3, as :meth:`query`: sqlite-utils' ``insert`` would load sqlite-utils
        (110-250 ms, GIL held) on the first poll run, balance or alert of a session.
        """
        sql = f"INSERT INTO {table}({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"
        with self.transaction() as conn:
            return int(conn.execute(sql, tuple(row.values())).lastrowid)

    def update(self, table: str, rowid: int, changes: dict) -> None:
        """Set ``changes`` (column -> value) on row ``rowid``, in a transaction of its own."""
        sets = ", ".join(f"{column} = ?" for column in changes)
        with self.transaction() as conn:
            conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", (*changes.values(), rowid))

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM settings WHERE key = ?", (key,))
        return default if value is None else value

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def integrity_ok(self) -> bool:
        return self.scalar("PRAGMA integrity_check") == "ok"
