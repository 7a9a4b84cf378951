"""The raw journal: a destructive body is committed before anything parses it, then ingested;
whatever a crash left unparsed is replayed at the next start.

:func:`journal` commits a body and returns its id; :func:`ingest_journal` parses it and
inserts its rows in one transaction that also marks it parsed.  Ingest is idempotent, so
:func:`replay` may re-ingest a body a crash interrupted at any point.

Bodies are stored zlib-compressed (about a quarter of their size for report pulls) when that
makes them smaller, else as text; ``size`` is always their UTF-8 length, which is what the
sqlite3 shell's ``sqlar_uncompress(body, size)`` needs to read one back.  In Python,
:func:`read_body`.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Sequence

from . import ingest
from .db import Store
from .forward_queue import queue_forwards

log = logging.getLogger("fivec_tui.store")

#: zlib level 1: a report pull compresses to about 15 bytes a report in under a millisecond
#: per 2,000 (level 6 saves one more byte for four times the time, on the pull's path).
ZLIB_LEVEL = 1


def pack(body: str) -> tuple[str | bytes, int]:
    """A body as stored: (zlib bytes, or the text when that is not smaller; UTF-8 size)."""
    raw = body.encode("utf-8", "surrogatepass")
    packed = zlib.compress(raw, ZLIB_LEVEL)
    return (packed if len(packed) < len(raw) else body), len(raw)


def unpack(stored: str | bytes) -> str:
    """A stored body as it was received."""
    if isinstance(stored, bytes):
        return zlib.decompress(stored).decode("utf-8", "surrogatepass")
    return stored


def journal(store: Store, stream: str, source: str, body: str, encode: str | None = None) -> int:
    """Commit a raw body before anything else touches it.  Returns its journal id."""
    stored, size = pack(body)
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO journal(stream, source, received_at, encode, body, size) "
            "VALUES (?,?,?,?,?,?)",
            (stream, source, time.time(), encode, stored, size),
        )
        return int(cur.lastrowid)


def journal_push(store: Store, stream: str, body: str, forward_to: Sequence[str]) -> int:
    """Commit a pushed body and its forward-queue entries in one transaction."""
    now = time.time()
    stored, size = pack(body)
    with store.transaction() as conn:
        jid = int(
            conn.execute(
                "INSERT INTO journal(stream, source, received_at, encode, body, size) "
                "VALUES (?, 'push', ?, 'UTF-8', ?, ?)",
                (stream, now, stored, size),
            ).lastrowid
        )
        queue_forwards(conn, jid, body, forward_to, now)
    return jid


def read_body(store: Store, journal_id: int) -> str:
    """A journaled body as it was received (for replay, export and inspection)."""
    stored = store.scalar("SELECT body FROM journal WHERE id = ?", (journal_id,))
    if stored is None:
        raise KeyError(journal_id)
    return unpack(stored)


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
