"""Window numbers to the second: what every summary, series and breakdown is counted from.

A window ``(start, end]`` holds the messages whose platform send time (``records.sent_at``)
is in it.  Each counts as delivered or failed once its report is *known*: with ``known_at``
None, every report cached (the live numbers, "as known now"); with a moment, only the
reports whose platform report time (``reports.reported_at``; the cache's receipt when the
platform gave none) is at or before it ("as it was then"); otherwise it is pending.

The per-minute rollups (:mod:`.rollup`) serve the minutes of the window; a minute cut by an
edge is counted from its rows, either the part inside the window or, when that is the larger
part, the whole minute from the rollups less the rows outside: at most half a minute of rows
per edge, read through ``records_sent``.  As known at a moment, the rollups' minutes lose the
reports that came after it: those of a later minute from ``rollup_late``, and those of the
moment's own minute that came after its second from their rows (``reports_time``).  Every
part is linear in the messages, so the parts add up to exactly the rows' count.
"""

from __future__ import annotations

import math

from .db import Store
from .rollup import bucket_sql

#: What a window's numbers are grouped by, besides status and latency bucket.
KEYS = {"": "''", "minute": "r.minute", "prefix": "r.prefix"}
_REPORT_TIME = "coalesce(p.reported_at, p.cached_at)"
_BUCKET = bucket_sql("(p.reported_at - r.sent_at)")

Counts = dict[tuple, int]  # (key, status) -> n, status "SENT" for the messages sent


def _edges(start: float, end: float) -> tuple[int, int, list[tuple[int, str, tuple]]]:
    """The rollup minutes ``lo..hi`` of the window and its edge rows, as ``(sign, condition
    on r.sent_at, params)``: added when inside the window, subtracted when outside it."""
    first, last = math.floor(start / 60), math.floor(end / 60)
    if first == last:  # inside one minute: its rows
        return first + 1, first, [(1, "r.sent_at > ? AND r.sent_at <= ?", (start, end))]
    lo, hi, rows = first + 1, last - 1, []
    if (first + 1) * 60 - start <= start - first * 60:  # the smaller part of the minute
        rows.append((1, "r.sent_at > ? AND r.sent_at < ?", (start, (first + 1) * 60)))
    else:
        lo = first
        rows.append((-1, "r.sent_at >= ? AND r.sent_at <= ?", (first * 60, start)))
    if end - last * 60 < (last + 1) * 60 - end:
        rows.append((1, "r.sent_at >= ? AND r.sent_at <= ?", (last * 60, end)))
    else:
        hi = last
        rows.append((-1, "r.sent_at > ? AND r.sent_at < ?", (end, (last + 1) * 60)))
    return lo, hi, rows


def counts(
    store: Store,
    start: float,
    end: float,
    known_at: float | None = None,
    by: str = "",
    latency: bool = True,
) -> tuple[Counts, Counts]:
    """The messages sent in ``(start, end]`` by ``by`` (see :data:`KEYS`) and status, and
    their known reports by latency bucket: ``({(key, status): n}, {(key, bucket): n})``."""
    key, latency = KEYS[by], latency and by != "prefix"  # latencies are not kept by prefix

    def grouped(columns: str) -> str:  # by nothing: not by the constant, which costs double
        return f"1, {columns}" if by else columns

    lo, hi, edges = _edges(start, end)
    out: Counts = {}
    hist: Counts = {}

    def add(table: Counts, rows: list, sign: int) -> None:
        for k, what, n in rows:
            if n:
                table[k, what] = table.get((k, what), 0) + sign * n

    def rolled(table: str, column: str, late: str = "", params: tuple = ()) -> list:
        if lo > hi:
            return []
        return store.conn.execute(
            f"SELECT {key.replace('r.', '')}, {column}, sum(n) FROM {table} "
            f"WHERE minute BETWEEN ? AND ?{late} GROUP BY {grouped('2')}",
            (lo, hi, *params),
        ).fetchall()

    with store.read():
        add(out, rolled("rollup", "status"), 1)
        if latency:
            add(hist, rolled("latency", "bucket"), 1)
        if known_at is not None and lo <= hi:
            km = math.floor(known_at / 60)
            add(out, rolled("rollup_late", "status", " AND rminute > ?", (km,)), -1)
            if latency:
                add(hist, rolled("latency_late", "bucket", " AND rminute > ?", (km,)), -1)
            # the reports of the rollups' minutes that came later in known_at's own minute
            for k, status, bucket, n in store.conn.execute(
                f"SELECT {key}, p.status, {_BUCKET}, count(*) FROM reports p "
                "JOIN records r ON r.msgid = p.msgid AND r.mobile = p.mobile "
                f"WHERE {_REPORT_TIME} > ? AND {_REPORT_TIME} < ? "
                f"AND r.minute BETWEEN ? AND ? GROUP BY {grouped('2, 3')}",
                (known_at, (km + 1) * 60, lo, hi),
            ):
                add(out, [(k, status, n)], -1)
                add(hist, [(k, bucket, n)], -1)
        known = "1" if known_at is None else f"{_REPORT_TIME} <= ?"
        for sign, where, params in edges:
            for k, sent, status, bucket, n in store.conn.execute(
                f"SELECT {key}, count(*), p.status, {_BUCKET}, "
                f"sum(p.id IS NOT NULL AND {known}) FROM records r "
                "LEFT JOIN reports p ON p.msgid = r.msgid AND p.mobile = r.mobile "
                f"WHERE {where} GROUP BY {grouped('3, 4')}",
                (*(() if known_at is None else (known_at,)), *params),
            ):
                add(out, [(k, "SENT", sent)], sign)
                if status is not None:
                    add(out, [(k, status, n)], sign)
                    if latency:
                        add(hist, [(k, bucket, n)], sign)
    return out, hist
