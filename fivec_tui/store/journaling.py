"""The raw journal: a destructive body is committed before anything parses it, then ingested;
whatever a crash left unparsed is replayed at the next start.

:func:`journal` commits a body and returns its id; :func:`ingest_journal` parses it and
inserts its rows in one transaction that also marks it parsed.  Ingest is idempotent, so
:func:`replay` may re-ingest a body a crash interrupted at any point.

A body is kept either as text (pulls, which hand over what they decoded) or as the bytes
that came, with an ``envelope`` (JSON) saying how to read them: a push's request body with
its ``content_type`` and ``query``, read again by :func:`~fivec_tui.api.push.push_data`
exactly as the receiver read it; bytes with an empty envelope are read in their ``encode``.
Either is stored zlib-compressed (about a quarter of their size for report pulls) when that
makes it smaller, else as it is; ``size`` is always its length in bytes (UTF-8 for text),
which is what the sqlite3 shell's ``sqlar_uncompress(body, size)`` needs to read one back.
In Python, :func:`read_raw` (the bytes) and :func:`read_body` (the text ingest parses).
"""

from __future__ import annotations

import json
import logging
import time
import zlib
from collections.abc import Sequence

from ..api.wire import decode_body
from . import ingest
from .db import Store
from .forward_queue import queue_forwards

log = logging.getLogger("fivec_tui.store")

#: zlib level 1: a report pull compresses to about 15 bytes a report in under a millisecond
#: per 2,000 (level 6 saves one more byte for four times the time, on the pull's path).
ZLIB_LEVEL = 1


def pack(body: str | bytes) -> tuple[str | bytes, int]:
    """A body as stored: (zlib bytes, or the body itself when that is not smaller; size)."""
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    packed = zlib.compress(raw, ZLIB_LEVEL)
    return (packed if len(packed) < len(raw) else body), len(raw)


def unpack(stored: str | bytes, size: int | None) -> bytes:
    """A stored body's bytes (UTF-8 for text)."""
    if isinstance(stored, str):
        return stored.encode("utf-8", "surrogatepass")
    if len(stored) == size:  # never compressed: zlib is kept only when it is smaller
        return stored
    return zlib.decompress(stored)


def _insert(conn, stream: str, source: str, body: str | bytes, encode, envelope, now) -> int:
    """Plain sqlite3, not sqlite-utils' ``insert``: a destructive pull waits for this commit
    before it asks for the next chunk, and sqlite-utils' insert (and its update for the
    parsed mark) took 0.5 ms more a chunk here, 5-13% of a chunk's journal and ingest
    (``tests/bench/bench_ingest.py``, its last line)."""
    stored, size = pack(body)
    return int(
        conn.execute(
            "INSERT INTO journal(stream, source, received_at, encode, body, size, envelope) "
            "VALUES (?,?,?,?,?,?,?)",
            (stream, source, now, encode, stored, size, envelope),
        ).lastrowid
    )


def copy_stored(store: Store, entry: dict, received_at: float) -> int:
    """Journal a body exactly as another cache stored it (its ``stream``, ``source``,
    ``encode``, ``body``, ``size`` and ``envelope``), received when it first was; its id."""
    with store.transaction() as conn:
        return int(
            conn.execute(
                "INSERT INTO journal(stream, source, received_at, encode, body, size, envelope) "
                "VALUES (?,?,?,?,?,?,?)",
                (
                    entry["stream"],
                    entry["source"],
                    received_at,
                    entry["encode"],
                    entry["body"],
                    entry["size"],
                    entry["envelope"],
                ),
            ).lastrowid
        )


def journal(
    store: Store, stream: str, source: str, body: str | bytes, encode: str | None = None
) -> int:
    """Commit a raw body before anything else touches it: text as decoded, or the bytes as
    received (read in ``encode`` when ingested).  Returns its journal id."""
    envelope = None if isinstance(body, str) else "{}"
    with store.transaction() as conn:
        return _insert(conn, stream, source, body, encode, envelope, time.time())


def journal_push(
    store: Store,
    stream: str,
    body: bytes,
    envelope: dict[str, str],
    data: str | bytes,
    forward_to: Sequence[str],
) -> int:
    """Commit a pushed request body as received, with what is needed to read it again
    (``envelope``: its ``content_type`` and ``query``), and its ``data`` field's forward-queue
    entries, in one transaction."""
    now = time.time()
    with store.transaction() as conn:
        jid = _insert(conn, stream, "push", body, "UTF-8", json.dumps(envelope), now)
        queue_forwards(conn, jid, data, forward_to, now)
    return jid


def _row(store: Store, journal_id: int) -> dict:
    rows = store.query(
        "SELECT stream, source, encode, body, size, envelope FROM journal WHERE id = ?",
        (journal_id,),
    )
    if not rows:
        raise KeyError(journal_id)
    return rows[0]


def body_text(entry: dict) -> str:
    """The text ingest parses from a journal row's ``body``, ``size``, ``envelope``,
    ``source`` and ``encode`` as stored."""
    raw = unpack(entry["body"], entry["size"])
    if entry["envelope"] is None:
        return raw.decode("utf-8", "surrogatepass")
    envelope = json.loads(entry["envelope"])
    if entry["source"] == "push":
        from ..api.push import push_data  # the form parser: only pushes need it

        return push_data(raw, envelope.get("content_type", ""), envelope.get("query", ""))
    # Bytes valid in neither encoding stay lone surrogates, for ingest to flag (parse.flagged).
    return decode_body(raw, entry["encode"], "surrogateescape")


def read_raw(store: Store, journal_id: int) -> bytes:
    """A journaled body's bytes as stored: as received, or the UTF-8 of text."""
    entry = _row(store, journal_id)
    return unpack(entry["body"], entry["size"])


def read_body(store: Store, journal_id: int) -> str:
    """A journaled body as the text ingest parses (for replay, export and inspection): a
    push's ``data`` field, bytes not valid in its charset as lone surrogates."""
    return body_text(_row(store, journal_id))


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
    entry = _row(store, journal_id)
    return ingest_body(
        store, journal_id, entry["stream"], entry["source"], body_text(entry), entry["encode"]
    )


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
