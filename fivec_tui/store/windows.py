"""Window numbers to the second: what every summary, series and breakdown is counted from.

A window ``(start, end]`` holds the messages whose platform send time (``records.sent_at``)
is in it.  Each counts as delivered or failed once its report is *known*: with ``known_at``
None, every report cached (the live numbers, "as known now"); with a moment, only the
reports whose platform report time (``reports.reported_at``; the cache's receipt when the
platform gave none) is at or before it ("as it was then"); otherwise it is pending.

The per-minute rollups (:mod:`.rollup`) serve the minutes of the window; a minute cut by an
edge is counted from its rows: the part inside the window, or the whole minute from the
rollups less the part outside, whichever holds fewer rows (counted first through
``records_sent``; live, the minute of ``end`` is whole but for the seconds still to come).
As known at a moment, the rollups' minutes lose the reports that came after it: those of a
later minute from ``rollup_late``, and those of the moment's own minute that came after its
second from their rows (``reports_time``).  Every part is linear in the messages, so the
parts add up to exactly the rows' count.

A screen that reads several windows ending at the same moment (the dashboard: three
summaries, the series and the prefixes) passes one ``memo``, so that each edge and each
moment's late reports are read once.
"""

from __future__ import annotations

import math

from .db import Store
from .rollup import bucket_sql

#: What a window's numbers are grouped by, besides status (and latency bucket).
BY = ("", "minute", "prefix")
_REPORT_TIME = "coalesce(p.reported_at, p.cached_at)"
_BUCKET = bucket_sql("(p.reported_at - r.sent_at)")

Counts = dict[tuple, int]  # (key, status) -> n, status "SENT" for the messages sent
Edge = tuple[int, str, tuple]  # (+1 inside / -1 outside the window, condition on sent_at, params)


def _rows_in(store: Store, where: str, params: tuple, memo: dict) -> int:
    key = ("n", where, params)
    if key not in memo:
        memo[key] = store.conn.execute(
            f"SELECT count(*) FROM records r WHERE {where}", params
        ).fetchone()[0]
    return memo[key]


def _split(store: Store, start: float, end: float, memo: dict) -> tuple[int, int, list[Edge]]:
    """The rollup minutes ``lo..hi`` of the window and its edge rows."""
    first, last = math.floor(start / 60), math.floor(end / 60)
    if first == last:  # inside one minute: its rows
        return first + 1, first, [(1, "r.sent_at > ? AND r.sent_at <= ?", (start, end))]
    lo, hi, edges = first + 1, last - 1, []
    inside: Edge = (1, "r.sent_at > ? AND r.sent_at < ?", (start, (first + 1) * 60))
    outside: Edge = (-1, "r.sent_at >= ? AND r.sent_at <= ?", (first * 60, start))
    if _rows_in(store, *outside[1:], memo) < _rows_in(store, *inside[1:], memo):
        lo, inside = first, outside
    edges.append(inside)
    inside = (1, "r.sent_at >= ? AND r.sent_at <= ?", (last * 60, end))
    outside = (-1, "r.sent_at > ? AND r.sent_at < ?", (end, (last + 1) * 60))
    if _rows_in(store, *outside[1:], memo) < _rows_in(store, *inside[1:], memo):
        hi, inside = last, outside
    edges.append(inside)
    return lo, hi, edges


def _edge_rows(store: Store, where: str, params: tuple, known_at: float | None, memo: dict):
    """An edge's messages by (minute, prefix, report status, latency bucket): how many, and
    how many of them with a known report."""
    key = ("edge", where, params, known_at)
    if key not in memo:
        known = "1" if known_at is None else f"{_REPORT_TIME} <= ?"
        memo[key] = store.conn.execute(
            f"SELECT r.minute, r.prefix, p.status, {_BUCKET}, count(*), "
            f"sum(p.id IS NOT NULL AND {known}) FROM records r "
            "LEFT JOIN reports p ON p.msgid = r.msgid AND p.mobile = r.mobile "
            f"WHERE {where} GROUP BY 1, 2, 3, 4",
            (*(() if known_at is None else (known_at,)), *params),
        ).fetchall()
    return memo[key]


def _later_rows(store: Store, known_at: float, memo: dict):
    """The reports of ``known_at``'s own minute that came after it, by (their message's send
    minute, prefix, status, latency bucket)."""
    key = ("later", known_at)
    if key not in memo:
        end = (math.floor(known_at / 60) + 1) * 60
        memo[key] = store.conn.execute(
            f"SELECT r.minute, r.prefix, p.status, {_BUCKET}, count(*) FROM reports p "
            "JOIN records r ON r.msgid = p.msgid AND r.mobile = p.mobile "
            f"WHERE {_REPORT_TIME} > ? AND {_REPORT_TIME} < ? GROUP BY 1, 2, 3, 4",
            (known_at, end),
        ).fetchall()
    return memo[key]


def counts(
    store: Store,
    start: float,
    end: float,
    known_at: float | None = None,
    by: str = "",
    latency: bool = True,
    memo: dict | None = None,
) -> tuple[Counts, Counts]:
    """The messages sent in ``(start, end]`` by ``by`` (one of :data:`BY`) and status, and
    their known reports by latency bucket: ``({(key, status): n}, {(key, bucket): n})``."""
    memo = {} if memo is None else memo
    latency = latency and by != "prefix"  # latencies are not kept by prefix
    out: Counts = {}
    hist: Counts = {}

    def add(table: Counts, key, what, n: int) -> None:
        if n:
            table[key, what] = table.get((key, what), 0) + n

    def pick(minute: int, prefix: str):
        return minute if by == "minute" else prefix if by == "prefix" else ""

    def rolled(table: str, column: str, late: str = "", params: tuple = ()) -> list:
        group = f"{by}, {column}" if by else column  # not by a constant: that costs double
        return store.conn.execute(
            f"SELECT {by or repr('')}, {column}, sum(n) FROM {table} "
            f"WHERE minute BETWEEN ? AND ?{late} GROUP BY {group}",
            (lo, hi, *params),
        ).fetchall()

    with store.read():
        lo, hi, edges = _split(store, start, end, memo)
        if lo <= hi:
            for k, status, n in rolled("rollup", "status"):
                add(out, k, status, n)
            for k, bucket, n in rolled("latency", "bucket") if latency else ():
                add(hist, k, bucket, n)
        if known_at is not None and lo <= hi:
            late = " AND rminute > ?", (math.floor(known_at / 60),)
            for k, status, n in rolled("rollup_late", "status", *late):
                add(out, k, status, -n)
            for k, bucket, n in rolled("latency_late", "bucket", *late) if latency else ():
                add(hist, k, bucket, -n)
            for minute, prefix, status, bucket, n in _later_rows(store, known_at, memo):
                if lo <= minute <= hi:
                    add(out, pick(minute, prefix), status, -n)
                    if latency:
                        add(hist, pick(minute, prefix), bucket, -n)
        for sign, where, params in edges:
            for minute, prefix, status, bucket, sent, n in _edge_rows(
                store, where, params, known_at, memo
            ):
                k = pick(minute, prefix)
                add(out, k, "SENT", sign * sent)
                if status is not None:
                    add(out, k, status, sign * n)
                    if latency:
                        add(hist, k, bucket, sign * n)
    return out, hist
