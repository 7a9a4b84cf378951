"""The forward queue: pushed bodies waiting to be relayed downstream, in arrival order."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .db import Store

if TYPE_CHECKING:
    import sqlite3


def queue_forwards(
    conn: sqlite3.Connection,
    journal_id: int,
    body: str | bytes,
    targets: Sequence[str],
    now: float,
) -> None:
    """Queue ``body`` (a push's ``data``: text, or bytes when some were not valid text) for
    each target, inside the caller's transaction.

    A body the platform pushes again (it retries when our answer was lost) is queued for each
    target once: ``(target, body_sha1)`` is unique.
    """
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    digest = hashlib.sha1(raw).hexdigest()
    conn.executemany(
        "INSERT OR IGNORE INTO forward_queue(journal_id, target, body, body_sha1, next_at) "
        "VALUES (?,?,?,?,?)",
        [(journal_id, target, body, digest, now) for target in targets],
    )


def forward_queued(store: Store, limit: int = 50) -> list[dict]:
    """Queued forwards, per target in arrival order."""
    return store.query(
        "SELECT * FROM forward_queue WHERE state = 'queued' ORDER BY target, id LIMIT ?", (limit,)
    )


def forward_done(store: Store, forward_id: int) -> None:
    with store.transaction() as conn:
        conn.execute(
            "UPDATE forward_queue SET state = 'done', attempts = attempts + 1 WHERE id = ?",
            (forward_id,),
        )


def forward_failed(store: Store, forward_id: int, error: str, next_at: float) -> None:
    with store.transaction() as conn:
        conn.execute(
            "UPDATE forward_queue SET attempts = attempts + 1, last_error = ?, next_at = ? WHERE id = ?",
            (error, next_at, forward_id),
        )
