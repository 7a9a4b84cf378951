"""A cache as an older fivec-tui left it, made by today's migrations: what the tests of an
upgrade start from.

Before ``_sqlite_migrations``, a cache counted the migrations it had run in ``PRAGMA
user_version`` alone: version N is the first N of :data:`~fivec_tui.store.migrations.STEPS`
applied, nothing recorded by sqlite-utils.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from fivec_tui.store.migrations import STEPS

#: The last version counted in ``user_version`` alone.
LAST_COUNTED = 14


def old_cache(path: str | Path, version: int) -> sqlite3.Connection:
    """A cache at ``version`` (0 to :data:`LAST_COUNTED`) at ``path``, open in autocommit for
    the test to put rows in; close it before a :class:`~fivec_tui.store.Store` opens it."""
    assert 0 <= version <= LAST_COUNTED, version
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    db = Database(conn, recursive_triggers=False, execute_plugins=False)
    for step in STEPS[:version]:
        step(db)
    conn.execute(f"PRAGMA user_version = {version}")
    return conn


def up_to_date(store) -> bool:
    """Every migration recorded once in ``_sqlite_migrations``, in order, and counted in
    ``user_version`` too."""
    names = [r[0] for r in store.conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    version = store.conn.execute("PRAGMA user_version").fetchone()[0]
    return names == [step.__name__ for step in STEPS] == names[:version]
