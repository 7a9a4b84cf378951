"""Report, reply and record ingest: a body or parsed items as rows, inserted idempotently.

Unique keys (``(msgid, mobile)`` for reports and records, a content hash for replies) make
every ingest safe to run twice, which is what lets a journaled body be replayed after a
crash (:mod:`.journaling`).  New rows are counted into the rollups in the same transaction
(:mod:`.rollup`): a report once both it and its record are present, whichever came second.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence

from ..api import ParseError, Record, Reply, Report, Unparsed
from ..api.carriers import prefix_of
from ..api.parse import (
    NOT_IN_ENCODING,
    parse_records,
    parse_replies,
    report_items,
    split_report_line,
)
from ..api.sms import parts
from ..api.wire import BROKEN, parse_epoch, readable
from .codes import is_opt_out
from .db import Store
from .groups import Grouper
from .rollup import count_matched, count_sent


def _ts(value) -> float | None:
    return value.timestamp() if value is not None else None


# -- bodies and items as rows ----------------------------------------------------------------
def _report_rows(body: str, journal_id: int | None) -> tuple[list[tuple], list[Unparsed]]:
    """A report pull as insert-ready rows (see :func:`_reports`), without ``Report`` objects;
    an item holding bytes not valid in the answer's encoding is unparsed (:func:`.flagged`)."""
    rows: list[tuple] = []
    bad: list[Unparsed] = []
    broken = BROKEN.search(body) is not None  # once a body: the common case pays nothing more
    for item in report_items(body):
        if broken and BROKEN.search(item):
            bad.append(Unparsed(readable(item), NOT_IN_ENCODING))
            continue
        fields = split_report_line(item)
        if isinstance(fields, Unparsed):
            bad.append(fields)
            continue
        msgid, mobile, status, ext, when = fields
        try:
            rows.append(
                (msgid, mobile, status, ext, parse_epoch(when) if when else None, journal_id)
            )
        except ParseError as exc:
            bad.append(Unparsed(item, str(exc)))
    return rows, bad


def _split(items: Iterable, journal_id: int | None) -> tuple[list, list[Unparsed]]:
    """Parsed items as (what to insert, what could not be read); reports become rows."""
    good, bad = [], []
    for i in items:
        if isinstance(i, Unparsed):
            bad.append(i)
        elif isinstance(i, Report):
            good.append((i.msgid, i.mobile, i.status, i.ext, _ts(i.reported_at), journal_id))
        else:
            good.append(i)
    return good, bad


def parse_body(
    stream: str, source: str, body: str, encode: str | None, journal_id: int | None
) -> tuple[list, list[Unparsed]]:
    """A journaled body as (rows or items to insert, items that could not be read)."""
    if source == "push":
        from ..api.push import parse_push  # XML and JSON payloads: only the receiver needs it

        items = parse_push("report" if stream == "reports" else "reply", body).items
    elif stream == "reports":
        return _report_rows(body, journal_id)
    else:
        items = (parse_replies if stream == "replies" else parse_records)(body, encode)
    return _split(items, journal_id)


# -- set-based ingest (inside the caller's transaction) ------------------------------------
def ingest_rows(
    store: Store, stream: str, good: list, bad: list[Unparsed], journal_id: int | None
) -> dict[str, int]:
    """Insert what :func:`parse_body` returned; counts of new rows, unparsed and items."""
    # When the cache got these rows (what retention counts from): one value for the chunk,
    # read inside its transaction, so it grows with the rowids the rows get.
    cached_at = int(time.time())
    if bad:
        store.conn.executemany(
            "INSERT OR IGNORE INTO unparsed(journal_id, stream, raw, reason) VALUES (?,?,?,?)",
            [(journal_id, stream, u.raw, u.reason) for u in bad],
        )
    if stream == "reports":
        new = _reports(store, good, cached_at)
    elif stream == "replies":
        new = _replies(store, good, journal_id, cached_at)
    else:
        new = _records(store, good, cached_at)
    return {"new": new, "unparsed": len(bad), "items": len(good) + len(bad)}


def _insert_new(
    store: Store, table: str, columns: str, rows: list[tuple], values: str = ""
) -> tuple[int, int]:
    """``INSERT OR IGNORE`` the rows; returns (max id before, how many were new).

    Rows added after ``before`` are exactly the new ones, which the rollups then count.
    The hot path: raw ``executemany``, about four times sqlite-utils' ``insert_all`` here.
    """
    conn = store.conn
    before = conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
    values = values or ",".join("?" * len(columns.split(",")))
    changes = conn.total_changes  # an ignored row changes nothing
    conn.executemany(f"INSERT OR IGNORE INTO {table}({columns}) VALUES ({values})", rows)
    return before, conn.total_changes - changes


def _reports(store: Store, reports: Sequence[tuple], cached_at: int) -> int:
    """Insert ``(msgid, mobile, STATUS, ext, epoch, journal_id)`` rows and count them."""
    if not reports:
        return 0
    # A report whose record is already here is counted now and keeps the record's rowid; the
    # others wait (record_id = 0) for their record.  ``cached_at``, the same for every row, is
    # written into the statement instead of into each row's parameters.
    before, new = _insert_new(
        store,
        "reports",
        "msgid, mobile, status, ext, reported_at, journal_id, cached_at, record_id",
        reports,
        f"?1, ?2, ?3, ?4, ?5, ?6, {int(cached_at)}, "
        "coalesce((SELECT id FROM records WHERE msgid = ?1 AND mobile = ?2), 0)",
    )
    if new:
        count_matched(store.conn, "r.id = p.record_id", "p.id > ? AND p.record_id > 0", (before,))
    return new


def _records(store: Store, records: Sequence[Record], cached_at: int) -> int:
    """Insert one row per recipient, with its block, billed parts and message group."""
    rows = []
    grouper = Grouper(store)
    campaigns = grouper.campaigns(rec.msgid for rec in records)
    for rec in records:
        sent = _ts(rec.sent_at)
        minute = int(sent // 60) if sent is not None else None
        grp = grouper.group(rec.content, campaigns.get(rec.msgid, 0))
        text = rec.content or ""
        mainland_parts = parts(text)
        for mobile in rec.mobiles:
            prefix = prefix_of(mobile)
            n = parts(text, international=True) if prefix == "intl" else mainland_parts
            rows.append(
                (rec.msgid, mobile, rec.content, sent, rec.username, minute, prefix, grp, n)
            )
    if not rows:
        return 0
    before, new = _insert_new(
        store,
        "records",
        "msgid, mobile, content, sent_at, username, minute, prefix, grp, parts, cached_at",
        rows,
        f"?, ?, ?, ?, ?, ?, ?, ?, ?, {int(cached_at)}",
    )
    if new:
        count_sent(store.conn, before)
        # Reports that arrived before their record are counted now, and marked so.  Both
        # statements start from the new records (a rowid range) and look their reports up by
        # key: starting from the waiting reports instead made a backlog drained before its
        # records quadratic (every batch of records scanned every waiting report).
        by_key = "r.msgid = p.msgid AND r.mobile = p.mobile"
        count_matched(store.conn, by_key, "r.id > ? AND p.record_id = 0", (before,))
        store.conn.execute(
            "UPDATE reports SET record_id = m.rid FROM (SELECT p.id AS pid, r.id AS rid "
            f"FROM records r JOIN reports p ON {by_key} WHERE r.id > ? AND p.record_id = 0) m "
            "WHERE reports.id = m.pid",
            (before,),
        )
    return new


def reply_key(r: Reply) -> str:
    when = f"{_ts(r.received_at):.0f}" if r.received_at else ""
    return hashlib.sha1(
        "\x1f".join((r.ext, r.reply_id, r.mobile, r.content, when)).encode("utf-8", "surrogatepass")
    ).hexdigest()


def _replies(store: Store, replies: Sequence[Reply], journal_id: int | None, cached_at: int) -> int:
    if not replies:
        return 0
    conn = store.conn
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO replies(key, mobile, content, ext, reply_id, received_at, raw, "
        f"clean, opt_out, journal_id, cached_at) VALUES (?,?,?,?,?,?,?,?,?,?,{int(cached_at)})",
        [
            (
                reply_key(r),
                r.mobile,
                r.content,
                r.ext,
                r.reply_id,
                _ts(r.received_at),
                r.raw,
                int(r.content_clean),
                int(is_opt_out(r.content)),
                journal_id,
            )
            for r in replies
        ],
    )
    return conn.total_changes - before


def ingest_items(
    store: Store, stream: str, items: Iterable, journal_id: int | None = None
) -> dict[str, int]:
    """Ingest already-parsed items (repeatable queries that need no journal)."""
    with store.transaction():
        return ingest_rows(store, stream, *_split(items, journal_id), journal_id)


def ingest_together(store: Store, batches: Iterable[tuple[str, Iterable]]) -> None:
    """Already-parsed items of several streams in one transaction, so that a reader of the
    cache sees all of them or none: records with their reports are never pending between
    two commits (the demo's past, which a reports-overdue rule would take for overdue)."""
    with store.transaction():
        for stream, items in batches:
            ingest_rows(store, stream, *_split(items, None), None)
