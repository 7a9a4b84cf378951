"""The raw journal: a destructive body is committed before anything parses it, then ingested;
whatever a crash left unparsed is replayed at the next start.

:func:`journal` commits a body and returns its id; :func:`ingest_journal` parses it and
inserts its rows in one transaction that also marks it parsed.  Ingest is idempotent, so
:func:`replay` may re-ingest a body a crash interrupted at any point.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from . import ingest
from .db import Store
from .forward_queue import queue_forwards

log = logging.getLogger("fivec_tui.store")


def journal(store: Store, stream: str, source: str, body: str, encode: str | None = None) -> int:
    """Commit a raw body before anything else touches it.  Returns its journal id."""
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO journal(stream, source, received_at, encode, body) VALUES (?,?,?,?,?)",
            (stream, source, time.time(), encode, body),
        )
        return int(cur.lastrowid)


def journal_push(store: Store, stream: str, body: str, forward_to: Sequence[str]) -> int:
    """Commit a pushed body and its forward-queue entries in one transaction."""
    now = time.time()
    with store.transaction() as conn:
        jid = int(
            conn.execute(
                "INSERT INTO journal(stream, source, received_at, encode, body) "
                "VALUES (?, 'push', ?, 'UTF-8', ?)",
                (stream, now, body),
            ).lastrowid
        )
        queue_forwards(conn, jid, body, forward_to, now)
    return jid


def read_body(store: Store, journal_id: int) -> str:
    """A journaled body as it was received (for replay, export and inspection)."""
    body = store.scalar("SELECT body FROM journal WHERE id = ?", (journal_id,))
    if body is None:
        raise KeyError(journal_id)
    return body


def ingest_body(
    store: Store, journal_id: int, stream: str, source: str, body: str, encode: str | None
) -> dict[str, int]:
    """Parse a journaled body and ingest it (idempotent), marking it parsed in the same
    transaction.  Returns counts of new rows, unparsed items and items."""
    good, bad = ingest.parse_body(stream, source, body, encode, journal_id)
    with store.transaction() as conn:
        counts = ingest.ingest_rows(store, stream, good, bad, journal_id)
        conn.execute(
            "UPDATE journal SET parsed_at = ?, items = ?, unparsed = ? WHERE id = ?",
            (time.time(), counts["items"], counts["unparsed"], journal_id),
        )
    return counts


def ingest_journal(store: Store, journal_id: int) -> dict[str, int]:
    """Parse one journal body and ingest it (idempotent).  Returns counts of new rows.

    A body the platform marked as an error was already raised by the client before being
    journaled, so anything the parser raises here is unexpected and stays unparsed-marked.
    """
    rows = store.query("SELECT stream, source, encode FROM journal WHERE id = ?", (journal_id,))
    if not rows:
        raise KeyError(journal_id)
    entry = rows[0]
    body = read_body(store, journal_id)
    return ingest_body(store, journal_id, entry["stream"], entry["source"], body, entry["encode"])


def replay(store: Store) -> int:
    """Ingest every journal body a crash left unparsed.  Returns how many were ingested.

    A body that fails to ingest is logged and left unparsed for a later version to replay;
    it must not stop the bodies after it, nor the poller that calls this at start.
    """
    ids = [
        r["id"] for r in store.query("SELECT id FROM journal WHERE parsed_at IS NULL ORDER BY id")
    ]
    done = 0
    for journal_id in ids:
        try:
            ingest_journal(store, journal_id)
        except Exception:  # logged with its traceback; the raw body stays in the journal
            log.exception("journal body %d could not be ingested; kept unparsed", journal_id)
        else:
            done += 1
    return done
