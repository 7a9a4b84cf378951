"""Retention: rows go by when this machine got them, whatever the platform's times say.

A backlog pulled after an outage, or a platform clock that is off, is kept ``days`` from its
arrival.  Rollups are small and kept four times as long, by send minute (the per-second
ones, for the edges of recent windows only, eight days).  Raw bodies whose
every item was parsed have their own, shorter retention (``keep_raw_days``): their rows hold
what they said; a body with unparsed items is kept as long as the rows, one never parsed
until a version that reads it.  The audit trail is kept longest: four times ``days``, as the
rollups, or ``[app] audit_retention_days`` when longer (:func:`.audit.prune`).
"""

from __future__ import annotations

import time

from . import audit, rollup
from .db import Store

#: What retention prunes, by when this machine got each row: every column is its clock at
#: insert, so it grows with the rowid.  (``replies.received_at`` is the platform's time.)
RECEIVED = (
    ("reports", "cached_at"),
    ("records", "cached_at"),
    ("replies", "cached_at"),
    ("balance", "at"),
    ("poll_runs", "started_at"),
    ("blacklist_lookups", "at"),
    ("journal", "received_at"),
)


def _first_kept(conn, table: str, column: str, cut: float) -> int:
    """The rowid from which ``table``'s rows are kept: every row below it came before ``cut``.

    Rows are inserted in arrival order, so walking rowids from the oldest, the first row that
    arrived at or after the cut bounds the old ones.  The walk reads the rows about to be
    deleted and one more: no index on ``column`` (no bytes per row), and then a rowid-range
    delete.  A clock stepped back only keeps rows longer; a row without a time is kept.
    """
    row = conn.execute(
        f"SELECT id FROM {table} WHERE coalesce({column} >= ?, 1) ORDER BY id LIMIT 1", (cut,)
    ).fetchone()
    if row:
        return row[0]
    return conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]


def prune(store: Store, days: float, keep_raw_days: float | None = None) -> dict[str, int]:
    """Drop rows the cache got more than ``days`` ago, and fully parsed raw bodies it got more
    than ``keep_raw_days`` ago (None: as long as the rows; the profile's ``keep_raw_days``).
    Returns how many rows went, per table."""
    now = time.time()
    cut = now - days * 86400
    counts = {}
    with audit.writing(store) as conn:  # its prune entry anchored once committed
        for table, column in RECEIVED:
            # Journal bodies not yet parsed are kept for a later version to read.
            parsed = " AND parsed_at IS NOT NULL" if table == "journal" else ""
            counts[table] = conn.execute(
                f"DELETE FROM {table} WHERE id < ?{parsed}",
                (_first_kept(conn, table, column, cut),),
            ).rowcount
        if keep_raw_days is not None and keep_raw_days < days:
            raw_cut = now - keep_raw_days * 86400
            counts["journal"] += conn.execute(
                "DELETE FROM journal WHERE id < ? AND parsed_at IS NOT NULL "
                "AND coalesce(unparsed, 0) = 0",
                (_first_kept(conn, "journal", "received_at", raw_cut),),
            ).rowcount
        counts |= rollup.prune(conn, int((now - 4 * days * 86400) // 60), now)
        counts["audit"] = audit.prune(conn, days, now)
    return counts
