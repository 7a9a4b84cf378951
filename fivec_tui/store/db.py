"""The SQLite cache: opening, pragmas, migrations (:mod:`.migrations`), transactions, and
the reads and writes outside the ingest path (through sqlite-utils, :attr:`Store.db`).

One file per profile.  WAL lets the TUI read while the poller writes; ``synchronous=FULL``
because a destructive read committed is the only copy there is (the pipelined ingest's
writer, whose rows can always be rebuilt from the journal, runs NORMAL: see
:mod:`.pipeline`).  Opening turns any SQLite error (not a database, a damaged page, a
read-only file system) and any refused path into :class:`~.integrity.CacheBroken`, whose
message is the one line to say.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..private_files import (
    UnsafePath,
    private_dir,
    private_fd,
    refuse_unsafe,
    sqlite_siblings,
)
from .integrity import SQLITE_ERRORS, CacheBroken, from_error
from .migrations import MigrationFailed, pending, upgrade

if TYPE_CHECKING:
    from sqlite_utils import Database


def made_private(path: Path) -> None:
    """Create the cache file empty and 0600 if it does not exist yet, so that SQLite (which
    gives its WAL and SHM the file's mode) never makes it with the umask's.

    An existing cache is never opened here, only checked (:func:`refuse_unsafe`): closing any
    descriptor of a file releases every POSIX lock this process holds on it, those of SQLite's
    connections included (another process could then change it under them: "disk I/O error",
    or worse).  ``O_EXCL`` makes the check and the creation one step.
    """
    with contextlib.suppress(FileExistsError):
        os.close(private_fd(path, os.O_RDONLY, new=True))


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
        defer_migration: bool = False,
    ) -> None:
        """``defer_migration``: migrate at the first use instead of now, a migration that
        fails then raising :class:`CacheBroken` there.  For the TUI, which opens its cache
        before its first frame: a new cache's migrations import sqlite-utils (35-160 ms)."""
        self.path = Path(path)
        self.lock = lock or threading.RLock()
        self._db: Database | None = None
        self._unmigrated = False
        try:
            self._open(readonly, synchronous, defer_migration)
        except (*SQLITE_ERRORS, UnsafePath) as exc:
            raise CacheBroken(from_error(self.path, exc)) from None

    def _open(self, readonly: bool, synchronous: str, defer: bool) -> None:
        """Connect, set the pragmas and (unless ``readonly``) migrate.  The cache and the files
        SQLite makes beside it are checked first: never a link, only files of this user."""
        if str(self.path) != ":memory:":
            # SQLite gives the WAL and SHM the database file's mode: made 0600 first, the
            # three are private whatever the umask.
            if not readonly:
                private_dir(self.path.parent)
            for file in (self.path, *sqlite_siblings(self.path)):
                refuse_unsafe(file)
            if self.path.parent.is_dir():
                made_private(self.path)
        conn = sqlite3.connect(
            str(self.path), timeout=30, check_same_thread=False, isolation_level=None
        )
        self._conn = conn
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {'NORMAL' if synchronous == 'NORMAL' else 'FULL'}")
            conn.execute("PRAGMA foreign_keys = ON")
            self._unmigrated = not readonly and bool(pending(conn))
            if self._unmigrated and not defer:
                self.migrate()
        except BaseException:
            conn.close()
            raise

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection, its schema migrated first if that was deferred."""
        if self._unmigrated:
            self.migrate()
        return self._conn

    def close(self) -> None:
        with self.lock:
            self._conn.close()

    def migrate(self) -> None:
        """Apply the pending migrations (:mod:`.migrations`), all or none, or raise
        :class:`CacheBroken`.  Whether any is pending is asked at the open, without a write
        lock or sqlite-utils: on every open but a cache's first after an upgrade, none is."""
        with self.lock:
            if not self._unmigrated:
                return
            try:
                if pending(self._conn):
                    with self._immediate(self._conn):
                        upgrade(self.db)
            except (*SQLITE_ERRORS, MigrationFailed) as exc:
                raise CacheBroken(from_error(self.path, exc)) from None
            self._unmigrated = False

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``: one writer, all or nothing."""
        with self.lock, self._immediate(self.conn) as conn:
            yield conn

    @staticmethod
    @contextmanager
    def _immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")  # inside: a failed commit is rolled back too
        except BaseException:
            if conn.in_transaction:  # SQLite rolls back by itself on a full disk
                conn.execute("ROLLBACK")
            raise

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

    @property
    def db(self) -> Database:
        """sqlite-utils on this connection: queries, inserts, updates and upserts go through it.

        Made on first use, so that opening a cache never imports sqlite-utils (35-45 ms
        here, 85-175 with numpy installed): the TUI opens its cache before its first frame
        and first reads it in a worker after, which pays for it once.  The ingest hot path
        stays plain sqlite3 (:mod:`.ingest`, :mod:`.journaling`: ``bench_ingest.py``).
        Call it under :attr:`lock`, as every method here does.
        """
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self._conn, recursive_triggers=False, execute_plugins=False)
        return self._db

    def query(self, sql: str, params: tuple | dict = ()) -> list[dict]:
        """Rows as dicts (sqlite-utils' ``query``), read whole under the lock."""
        with self.lock:
            self.migrate()
            return list(self.db.query(sql, params))

    def scalar(self, sql: str, params: tuple | dict = ()):
        """The first column of the first row, or None."""
        with self.lock:
            self.migrate()
            row = self.db.execute(sql, params).fetchone()
        return row[0] if row else None

    def insert(self, table: str, row: dict) -> int:
        """Insert ``row`` (column -> value) in a transaction of its own; returns its rowid."""
        with self.transaction():
            return self.db[table].insert(row).last_rowid

    def update(self, table: str, rowid: int, changes: dict) -> None:
        """Set ``changes`` (column -> value) on row ``rowid``, in a transaction of its own."""
        from sqlite_utils.db import NotFoundError

        with self.transaction():
            try:
                self.db[table].update(rowid, changes)
            except NotFoundError:  # gone since it was read (pruned): nothing left to change
                return

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM settings WHERE key = ?", (key,))
        return default if value is None else value

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction():
            self.db["settings"].upsert({"key": key, "value": value}, pk="key")

    def integrity_ok(self) -> bool:
        return self.scalar("PRAGMA integrity_check") == "ok"
