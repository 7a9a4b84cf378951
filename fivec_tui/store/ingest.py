"""Writing to the cache: journal first, then idempotent set-based ingest with rollups.

A destructive body is committed to ``journal`` before it is parsed (:func:`journal`), then
:func:`ingest_journal` parses it and inserts the rows in one transaction.  Unique keys make
that safe to run twice, so :func:`replay` can re-ingest whatever a crash left unparsed.

Rollups are keyed by the *send* minute of the record: a record adds to ``SENT``; a report
adds to its status once both it and its record are present (whichever arrives second does
the counting), so a window's delivery numbers are sums over minutes, not over reports.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable, Sequence

from ..api import Balance, BlacklistResult, ParseError, Record, Reply, Report, Unparsed
from ..api.parse import parse_records, parse_replies, report_items, split_report_line
from ..api.wire import parse_epoch
from .codes import is_opt_out
from .db import Store

log = logging.getLogger("fivec_tui.store")

#: Upper bounds (seconds) of the latency histogram buckets; the last is open-ended.
LATENCY_BOUNDS = (1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200, 1800, 3600)


def _bucket_sql(expr: str) -> str:
    """A CASE expression giving the latency bucket of ``expr`` (NULL or negative: bucket 0).

    The bucket is the first ``i`` with ``expr <= LATENCY_BOUNDS[i]`` (past the last bound:
    ``len(LATENCY_BOUNDS)``), found by nested halving: five comparisons per report instead of
    up to eighteen, which was a third of the cost of counting a chunk.
    """

    def halve(lo: int, hi: int) -> str:
        if lo == hi:
            return str(lo)
        mid = (lo + hi) // 2
        return (
            f"CASE WHEN {expr} <= {LATENCY_BOUNDS[mid]} THEN {halve(lo, mid)} "
            f"ELSE {halve(mid + 1, hi)} END"
        )

    return f"CASE WHEN {expr} IS NULL THEN 0 ELSE {halve(0, len(LATENCY_BOUNDS))} END"


def prefix_of(mobile: str) -> str:
    """Carrier hint: the 3-digit mainland prefix, or ``intl``."""
    m = mobile.removeprefix("+86") if mobile.startswith("+86") else mobile
    if len(m) == 13 and m.startswith("86"):
        m = m[2:]
    return m[:3] if len(m) == 11 and m.startswith("1") else "intl"


def _ts(value) -> float | None:
    return value.timestamp() if value is not None else None


# -- journal --------------------------------------------------------------------------------
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
    digest = hashlib.sha1(body.encode("utf-8", "surrogatepass")).hexdigest()
    with store.transaction() as conn:
        jid = int(
            conn.execute(
                "INSERT INTO journal(stream, source, received_at, encode, body) "
                "VALUES (?, 'push', ?, 'UTF-8', ?)",
                (stream, now, body),
            ).lastrowid
        )
        conn.executemany(
            "INSERT OR IGNORE INTO forward_queue(journal_id, target, body, body_sha1, next_at) "
            "VALUES (?,?,?,?,?)",
            [(jid, target, body, digest, now) for target in forward_to],
        )
    return jid


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


def _report_rows(body: str, journal_id: int | None) -> tuple[list[tuple], list[Unparsed]]:
    """A report pull as insert-ready rows (see :func:`_reports`), without ``Report`` objects."""
    rows: list[tuple] = []
    bad: list[Unparsed] = []
    for item in report_items(body):
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


def _parse(
    stream: str, source: str, body: str, encode: str | None, journal_id: int
) -> tuple[list, list[Unparsed]]:
    if source == "push":
        from ..api.push import parse_push  # XML and JSON payloads: only the receiver needs it

        items = parse_push("report" if stream == "reports" else "reply", body).items
    elif stream == "reports":
        return _report_rows(body, journal_id)
    elif stream == "replies":
        items = parse_replies(body, encode)
    else:
        items = parse_records(body, encode)
    return _split(items, journal_id)


def ingest_journal(store: Store, journal_id: int) -> dict[str, int]:
    """Parse one journal body and ingest it (idempotent).  Returns counts of new rows.

    A body the platform marked as an error was already raised by the client before being
    journaled, so anything the parser raises here is unexpected and stays unparsed-marked.
    """
    row = store.query("SELECT * FROM journal WHERE id = ?", (journal_id,))
    if not row:
        raise KeyError(journal_id)
    entry = row[0]
    good, bad = _parse(entry["stream"], entry["source"], entry["body"], entry["encode"], journal_id)
    with store.transaction() as conn:
        counts = _ingest_items(store, entry["stream"], good, bad, journal_id)
        conn.execute(
            "UPDATE journal SET parsed_at = ?, items = ?, unparsed = ? WHERE id = ?",
            (time.time(), counts["items"], counts["unparsed"], journal_id),
        )
    return counts


def _ingest_items(
    store: Store, stream: str, good: list, bad: list[Unparsed], journal_id: int | None
) -> dict[str, int]:
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


# -- set-based ingest (inside the caller's transaction) ------------------------------------
_MATCHED = """
    SELECT r.minute, r.prefix, p.status, {bucket}, count(*),
           sum(max(p.reported_at - r.sent_at, 0))
    FROM reports p JOIN records r ON {join}
    WHERE {where} AND r.minute IS NOT NULL  -- a record with no send time is in no window
    GROUP BY 1, 2, 3, 4
"""
_LATENCY_BUCKET = _bucket_sql("(p.reported_at - r.sent_at)")


def _count_matched(store: Store, join: str, where: str, params: tuple) -> None:
    """Add the reports selected by ``where`` (alias ``p``, joined to their record ``r`` by
    ``join``) to the rollups.

    The join runs once, grouped by minute, prefix, status and latency bucket: a few dozen rows
    per chunk, which are then summed into both rollups.
    """
    conn = store.conn
    counts: dict[tuple, int] = {}
    latency: dict[tuple, list] = {}
    sql = _MATCHED.format(join=join, where=where, bucket=_LATENCY_BUCKET)
    for minute, prefix, status, bucket, n, seconds in conn.execute(sql, params):
        counts[minute, prefix, status] = counts.get((minute, prefix, status), 0) + n
        total = latency.setdefault((minute, bucket), [0, 0.0])
        total[0] += n
        total[1] += seconds or 0.0
    conn.executemany(
        "INSERT INTO rollup(minute, prefix, status, n) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(minute, prefix, status) DO UPDATE SET n = n + excluded.n",
        [(*key, n) for key, n in counts.items()],
    )
    conn.executemany(
        "INSERT INTO latency(minute, bucket, n, total_s) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(minute, bucket) DO UPDATE SET n = n + excluded.n, "
        "total_s = total_s + excluded.total_s",
        [(*key, n, seconds) for key, (n, seconds) in latency.items()],
    )


def _insert_new(
    store: Store, table: str, columns: str, rows: list[tuple], values: str = ""
) -> tuple[int, int]:
    """``INSERT OR IGNORE`` the rows; returns (max id before, how many were new).

    Rows added after ``before`` are exactly the new ones, which the rollups then count.
    """
    conn = store.conn
    before = conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
    values = values or ",".join("?" * len(columns.split(",")))
    conn.executemany(f"INSERT OR IGNORE INTO {table}({columns}) VALUES ({values})", rows)
    new = conn.execute(f"SELECT count(*) FROM {table} WHERE id > ?", (before,)).fetchone()[0]
    return before, new


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
        _count_matched(store, "r.id = p.record_id", "p.id > ? AND p.record_id > 0", (before,))
    return new


def _records(store: Store, records: Sequence[Record], cached_at: int) -> int:
    rows = []
    for rec in records:
        sent = _ts(rec.sent_at)
        minute = int(sent // 60) if sent is not None else None
        for mobile in rec.mobiles:
            rows.append(
                (rec.msgid, mobile, rec.content, sent, rec.username, minute, prefix_of(mobile))
            )
    if not rows:
        return 0
    before, new = _insert_new(
        store,
        "records",
        "msgid, mobile, content, sent_at, username, minute, prefix, cached_at",
        rows,
        f"?, ?, ?, ?, ?, ?, ?, {int(cached_at)}",
    )
    if new:
        store.conn.execute(
            "INSERT INTO rollup(minute, prefix, status, n) "
            "SELECT minute, prefix, 'SENT', count(*) FROM records WHERE id > ? AND minute IS NOT NULL "
            "GROUP BY 1, 2 ON CONFLICT(minute, prefix, status) DO UPDATE SET n = n + excluded.n",
            (before,),
        )
        # Reports that arrived before their record are counted now, and marked so.  Both
        # statements start from the new records (a rowid range) and look their reports up by
        # key: starting from the waiting reports instead made a backlog drained before its
        # records quadratic (every batch of records scanned every waiting report).
        by_key = "r.msgid = p.msgid AND r.mobile = p.mobile"
        _count_matched(store, by_key, "r.id > ? AND p.record_id = 0", (before,))
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
        return _ingest_items(store, stream, *_split(items, journal_id), journal_id)


# -- the small streams -----------------------------------------------------------------------
def add_balance(store: Store, balance: Balance) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO balance(at, remaining, total, raw) VALUES (?,?,?,?)",
            (time.time(), float(balance.remaining), float(balance.total), balance.raw),
        )


def add_blacklist_lookup(store: Store, result: BlacklistResult, action: str = "check") -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO blacklist_lookups(at, mobile, black, description, added, action, raw) "
            "VALUES (?,?,?,?,?,?,?)",
            (
                time.time(),
                result.mobile,
                int(result.black),
                result.description,
                result.added,
                action,
                result.raw,
            ),
        )


def add_poll_run(
    store: Store, job: str, started: float, outcome: str, error: str = "", items: int = 0
) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO poll_runs(job, started_at, duration, outcome, error, items) VALUES (?,?,?,?,?,?)",
            (job, started, time.time() - started, outcome, error, items),
        )


def outbox_add(
    store: Store, mobiles: Sequence[str], content: str, encode: str, form: str, parts: int
) -> int:
    """Record a send *before* it goes out, state ``sending``."""
    now = time.time()
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO outbox(created_at, updated_at, state, mobiles, content, encode, form, parts) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (now, now, "sending", ",".join(mobiles), content, encode, form, parts),
        )
        return int(cur.lastrowid)


def outbox_update(
    store: Store, outbox_id: int, state: str, msgid: str = "", detail: str = ""
) -> None:
    with store.transaction() as conn:
        conn.execute(
            "UPDATE outbox SET state = ?, msgid = ?, detail = ?, updated_at = ? WHERE id = ?",
            (state, msgid, detail, time.time(), outbox_id),
        )


def add_alert(store: Store, rule: str, state: str, message: str, payload: dict) -> int:
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO alerts(at, rule, state, message, payload) VALUES (?,?,?,?,?)",
            (time.time(), rule, state, message, json.dumps(payload, ensure_ascii=False)),
        )
        return int(cur.lastrowid)


def ack_alert(store: Store, alert_id: int) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE alerts SET acked = 1 WHERE id = ?", (alert_id,))


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


def prune(store: Store, days: float) -> dict[str, int]:
    """Drop rows the cache got more than ``days`` ago, whatever the platform's times say (a
    backlog pulled after an outage is kept ``days`` from its arrival).  Rollups are kept four
    times as long, by send minute: they are small."""
    cut = time.time() - days * 86400
    counts = {}
    with store.transaction() as conn:
        for table, column in RECEIVED:
            # Journal bodies not yet parsed are kept for a later version to read.
            parsed = " AND parsed_at IS NOT NULL" if table == "journal" else ""
            counts[table] = conn.execute(
                f"DELETE FROM {table} WHERE id < ?{parsed}",
                (_first_kept(conn, table, column, cut),),
            ).rowcount
        old_minute = int((time.time() - 4 * days * 86400) // 60)
        for table in ("rollup", "latency"):
            counts[table] = conn.execute(
                f"DELETE FROM {table} WHERE minute < ?", (old_minute,)
            ).rowcount
    return counts
