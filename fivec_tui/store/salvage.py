"""Rebuilding a damaged cache (``fivec-tui doctor --fix``): what the tool did is carried over
(:mod:`.carryover`: the audit trail, campaigns, outbox, alerts, settings), and what the raw
journal still gives is replayed into a new cache; the broken file is set aside, whole.

Reports and replies are taken from the platform destructively: the journal's bodies are the
only copy there is, so every one that can be read is read back.  The broken file is opened
read-only and its journal read a page of ids at a time; where a damaged page makes a read
raise, the ids after the last good one are tried one by one until reads succeed again, so
one bad page costs the bodies on it, not those after it.  Each body read is journaled into
the new cache with the time it was first received, and ingested there by the store's own
ingest (:mod:`.journaling`).  Send records are not journaled (they can be read again): the
records job's backfill refills them (the caller's, from the sync layer).  The account's
consent to destructive pulls is carried over with the settings when it can be read, so that a
daemon restarted after the repair pulls as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import struct
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

from ..private_files import cache_files, chmod_private
from .carryover import carry
from .db import Store
from .integrity import HEADER, SQLITE_ERRORS
from .journaling import body_text, copy_stored, ingest_body
from .readback import Lost, readable_rows

log = logging.getLogger("fivec_tui.store")

CONSENT_PREFIX = "consent.destructive."


@dataclass
class Salvage:
    """What the rebuild got back from the broken file's journal."""

    #: bodies read back and journaled into the new cache
    bodies: int = 0
    #: ids whose row could not be read (a damaged page; some may never have existed)
    unreadable: int = 0
    #: bodies read whose content was not a body any more (damaged compressed data)
    undecodable: int = 0
    #: bodies journaled but whose ingest raised (kept unparsed in the new journal)
    failed: int = 0
    #: rows made from the bodies (reports, replies)
    rows: int = 0
    #: the account's consent to destructive pulls, carried over
    consent: int = 0
    #: why the journal, or the rest of it, could not be read ("" when it could)
    error: str = ""
    #: rows of what the tool did carried over, by table; rows that could not be read; why a
    #: table could not be read whole; the campaigns that became ``damaged``
    carried: dict[str, int] = field(default_factory=dict)
    carried_lost: dict[str, int] = field(default_factory=dict)
    carried_errors: dict[str, str] = field(default_factory=dict)
    damaged_campaigns: list[int] = field(default_factory=list)

    def as_json(self) -> dict:
        return asdict(self)


def set_aside(db_path: str | Path, now: float | None = None) -> Path:
    """Move the cache and its ``-wal``/``-shm`` to ``NAME.broken-YYYYmmddTHHMMSS`` (with the
    same suffixes, so SQLite still finds the WAL), each 0600.  Returns the new name."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(now))
    target, n = Path(f"{db_path}.broken-{stamp}"), 1
    while any(os.path.lexists(p) for p in cache_files(target)):
        target, n = Path(f"{db_path}.broken-{stamp}-{n}"), n + 1
    for source, kept in zip(cache_files(db_path), cache_files(target), strict=True):
        try:
            os.rename(source, kept)
        except FileNotFoundError:
            continue
        chmod_private(kept)
    return target


def _connect(broken: Path) -> sqlite3.Connection:
    """The broken file, read-only; ``immutable`` (its WAL then unread) when SQLite cannot
    open it with its WAL.  ``writable_schema`` makes SQLite open a file shorter than its
    header says (truncated) instead of refusing it whole; nothing is written."""
    uri = f"file:{quote(str(broken))}"
    try:
        conn = _open(f"{uri}?mode=ro")
        conn.execute("SELECT 1 FROM sqlite_schema LIMIT 1").fetchall()
    except SQLITE_ERRORS:
        conn = _open(f"{uri}?mode=ro&immutable=1")
    return conn


def _open(uri: str) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True)
    conn.execute("PRAGMA writable_schema = ON")
    return conn


#: A journal row as salvage reads it; caches from before migration 11 have no ``envelope``
#: (their bodies are text): :func:`_columns` reads NULL in its place.
_COLUMNS = "id, stream, source, received_at, encode, body, size, envelope"


def _columns(conn: sqlite3.Connection) -> str:
    try:
        conn.execute("SELECT envelope FROM journal LIMIT 0").fetchall()
    except SQLITE_ERRORS:
        return _COLUMNS.replace("envelope", "NULL")
    return _COLUMNS


def _journal_rows(conn: sqlite3.Connection, result: Salvage) -> Iterator[tuple]:
    """Every journal row that can still be read, in id order; ``result.unreadable`` counts
    the ids that could not be."""
    lost = Lost()
    yield from readable_rows(conn, "journal", _columns(conn), lost)
    result.unreadable, result.error = lost.keys, lost.error


def salvage(broken: str | Path, store: Store) -> Salvage:
    """Carry what the tool did over from the broken cache into ``store`` (new), then replay
    what its journal still gives.  What the broken file does never raises: it is counted in
    the result."""
    result = Salvage()
    broken = Path(broken)
    with _readable(broken, result) as conn:
        if conn is None:
            return result
        carried = carry(conn, store)
        result.carried, result.carried_lost = carried.copied, carried.lost
        result.carried_errors, result.damaged_campaigns = carried.errors, carried.damaged
        result.consent = store.scalar(
            "SELECT count(*) FROM settings WHERE key LIKE ? AND value = 'yes'",
            (CONSENT_PREFIX + "%",),
        )
        for row in _journal_rows(conn, result):
            _replay(store, row, result)
    return result


@contextlib.contextmanager
def _readable(broken: Path, result: Salvage) -> Iterator[sqlite3.Connection | None]:
    """A read-only connection to the broken file; when its 100-byte header is gone, to a copy
    given a new one (the pages after it are all there), removed afterwards."""
    copy = None
    try:
        with open(broken, "rb") as fh:
            headless = fh.read(len(HEADER)) != HEADER
        if headless:
            copy = _with_header(broken)
        conn = _connect(copy or broken)
    except (OSError, *SQLITE_ERRORS) as exc:
        result.error = str(exc)
        conn = None
    try:
        yield conn
    finally:
        if conn is not None:
            conn.close()
        if copy is not None:
            copy.unlink(missing_ok=True)


def _with_header(broken: Path) -> Path | None:
    """A private copy of ``broken`` with a database header written over the lost one, for the
    first page size at which its schema reads; None when none does."""
    size = broken.stat().st_size
    fd, name = tempfile.mkstemp(prefix=f".{broken.name}.", suffix=".read", dir=broken.parent)
    copy = Path(name)
    try:
        with open(broken, "rb") as src, os.fdopen(fd, "r+b") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            for page_size in (4096, 1024, 2048, 8192, 16384, 32768, 65536):
                dst.seek(0)
                dst.write(_header(page_size, size // page_size))
                dst.flush()
                if _schema_reads(copy):
                    return copy
    except BaseException:
        copy.unlink(missing_ok=True)
        raise
    copy.unlink(missing_ok=True)
    return None


def _header(page_size: int, pages: int) -> bytes:
    """A database header (https://sqlite.org/fileformat.html#the_database_header): UTF-8,
    rollback journal, no free list (its pages are then only unused), one change."""
    return b"".join(
        (
            HEADER,
            struct.pack(">HBBBBBB", page_size if page_size < 65536 else 1, 1, 1, 0, 64, 32, 32),
            struct.pack(">12I", 1, pages, 0, 0, 1, 4, 0, 0, 1, 0, 0, 0),
            bytes(20),
            struct.pack(">II", 1, _version()),
        )
    )


def _version() -> int:
    major, minor, patch = sqlite3.sqlite_version_info
    return major * 1_000_000 + minor * 1000 + patch


def _schema_reads(path: Path) -> bool:
    try:
        conn = _open(f"file:{quote(str(path))}?mode=ro&immutable=1")
    except SQLITE_ERRORS:
        return False
    try:
        return bool(conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0])
    except SQLITE_ERRORS:
        return False
    finally:
        conn.close()


def _replay(store: Store, row: tuple, result: Salvage) -> None:
    """Journal one body read back, as it was stored and received when it first was, then
    ingest it."""
    _id, stream, source, received_at, encode, stored, size, envelope = row
    entry = {
        "stream": stream,
        "source": source if isinstance(source, str) else "pull",
        "encode": encode,
        "body": stored,
        "size": size,
        "envelope": envelope,
    }
    try:
        if not isinstance(stream, str) or not isinstance(stored, str | bytes):
            raise ValueError("not a body")
        body = body_text(entry)
    except (zlib.error, UnicodeDecodeError, ValueError, TypeError):
        result.undecodable += 1
        return
    when = received_at if isinstance(received_at, int | float) else time.time()
    journal_id = copy_stored(store, entry, when)
    result.bodies += 1
    try:
        counts = ingest_body(store, journal_id, stream, entry["source"], body, encode)
    except Exception:  # logged with its traceback; the body stays unparsed in the journal
        log.exception("salvaged journal body %d could not be ingested; kept unparsed", _id)
        result.failed += 1
        return
    result.rows += counts.get("new", 0)
