"""Per-minute rollups: what window numbers are summed from, written at ingest.

Rollups are keyed by the *send* minute of the record: a record adds to ``SENT``; a report
adds to its status once both it and its record are present (whichever arrives second does
the counting), so a window's delivery numbers are sums over minutes, not over reports.
``latency`` is a histogram per minute with fixed bucket bounds (:data:`LATENCY_BOUNDS`).

``rollup_late`` and ``latency_late`` hold the same counts for the reports whose platform
report time (``reported_at``; the cache's receipt when the platform gave none) falls in a
later minute than their send minute, keyed by that report minute too: what the account looked
like at a past moment is the rollups minus the late rows reported after its minute, and minus
the rows of its own minute reported after its second (:mod:`.windows`).
Only late reports are kept there, since a report in its send minute is known at any moment
whose window holds its send: usually a fraction of the reports, in a few rows per minute.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

#: Upper bounds (seconds) of the latency histogram buckets; the last is open-ended.
LATENCY_BOUNDS = (1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200, 1800, 3600)


def bucket_sql(expr: str) -> str:
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


def percentile(buckets: dict[int, int], q: float) -> float | None:
    """Estimate a percentile from histogram buckets (linear inside the bucket)."""
    total = sum(buckets.values())
    if not total:
        return None
    target = q * total
    seen = 0
    for bucket in sorted(buckets):
        n = buckets[bucket]
        if seen + n >= target:
            lo = LATENCY_BOUNDS[bucket - 1] if bucket > 0 else 0.0
            hi = LATENCY_BOUNDS[bucket] if bucket < len(LATENCY_BOUNDS) else lo * 2
            return lo + (hi - lo) * ((target - seen) / n)
        seen += n
    return float(LATENCY_BOUNDS[-1])


def prefix_of(mobile: str) -> str:
    """Carrier hint: the 3-digit mainland prefix, or ``intl``."""
    m = mobile.removeprefix("+86") if mobile.startswith("+86") else mobile
    if len(m) == 13 and m.startswith("86"):
        m = m[2:]
    return m[:3] if len(m) == 11 and m.startswith("1") else "intl"


_MATCHED = """
    SELECT r.minute, r.prefix, p.status, {bucket}, count(*),
           sum(max(p.reported_at - r.sent_at, 0)),
           CAST(coalesce(p.reported_at, p.cached_at) / 60 AS INTEGER)
    FROM reports p JOIN records r ON {join}
    WHERE {where} AND r.minute IS NOT NULL  -- a record with no send time is in no window
    GROUP BY 1, 2, 3, 4, 7
"""
_LATENCY_BUCKET = bucket_sql("(p.reported_at - r.sent_at)")


def count_matched(conn: sqlite3.Connection, join: str, where: str, params: tuple) -> None:
    """Add the reports selected by ``where`` (alias ``p``, joined to their record ``r`` by
    ``join``) to the rollups, inside the caller's transaction.

    The join runs once, grouped by minute, prefix, status and latency bucket: a few dozen rows
    per chunk, which are then summed into both rollups.
    """
    counts: dict[tuple, int] = {}
    latency: dict[tuple, list] = {}
    late: dict[tuple, int] = {}
    late_latency: dict[tuple, list] = {}
    sql = _MATCHED.format(join=join, where=where, bucket=_LATENCY_BUCKET)
    for minute, prefix, status, bucket, n, seconds, rminute in conn.execute(sql, params):
        counts[minute, prefix, status] = counts.get((minute, prefix, status), 0) + n
        total = latency.setdefault((minute, bucket), [0, 0.0])
        total[0] += n
        total[1] += seconds or 0.0
        if rminute > minute:
            late[minute, rminute, prefix, status] = (
                late.get((minute, rminute, prefix, status), 0) + n
            )
            total = late_latency.setdefault((minute, rminute, bucket), [0, 0.0])
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
    if late:
        conn.executemany(
            "INSERT INTO rollup_late(minute, rminute, prefix, status, n) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(minute, rminute, prefix, status) DO UPDATE SET n = n + excluded.n",
            [(*key, n) for key, n in late.items()],
        )
        conn.executemany(
            "INSERT INTO latency_late(minute, rminute, bucket, n, total_s) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(minute, rminute, bucket) DO UPDATE SET n = n + excluded.n, "
            "total_s = total_s + excluded.total_s",
            [(*key, n, seconds) for key, (n, seconds) in late_latency.items()],
        )


def count_sent(conn: sqlite3.Connection, after_id: int) -> None:
    """Add the records past rowid ``after_id`` to ``SENT``, inside the caller's transaction."""
    conn.execute(
        "INSERT INTO rollup(minute, prefix, status, n) "
        "SELECT minute, prefix, 'SENT', count(*) FROM records WHERE id > ? AND minute IS NOT NULL "
        "GROUP BY 1, 2 ON CONFLICT(minute, prefix, status) DO UPDATE SET n = n + excluded.n",
        (after_id,),
    )
