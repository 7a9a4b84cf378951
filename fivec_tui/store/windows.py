"""Window numbers to the second: what every summary, series and breakdown is counted from.

A window ``(start, end]`` holds the messages whose platform send time (``records.sent_at``)
is in it.  Each counts as delivered or failed once its report is *known*: with ``known_at``
None, every report cached (the live numbers, "as known now"); with a moment (at or after
``end``), only the reports whose platform report time (``reports.reported_at``; the cache's
receipt when the platform gave none) is at or before it ("as it was then"); otherwise it is
pending.

The window is cut into grains (:mod:`.rollup`), each read from the smallest rollup that
holds it whole: whole hours (the long windows), whole minutes, and in the two minutes cut by
an edge, the part inside the window or the whole minute less the part outside, whichever is
cheaper to read.  That part is read, live, from the per-second rollups (whole seconds of the
last :data:`~.rollup.KEEP_SECONDS_S`: a few rows of their Fenwick tree, the fewer the
cheaper) and the rows of the sends at a fraction of a second (none from the platform: an
index holds only them); otherwise, and as known at a moment, from its rows (the shorter the
cheaper).  As known at a moment, the whole minutes and hours lose the reports that came after it:
those of later minutes, and those of the moment's own minute after its second, both from
``rollup_late``; the moment's own minute is never taken whole.  Every part is linear in the
messages, so the parts add up to exactly the rows' count.

A screen that reads several windows ending at the same moment (the dashboard) passes one
``memo``, so that each edge, and each window's late reports, are read once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable

from ..api.carriers import carrier_of_prefix
from .db import Store
from .rollup import KEEP_SECONDS_S, LATE_LAG, PARTS, SENT, bucket_sql, offsets, span

#: What a window's numbers are grouped by, besides status (and latency bucket).  ``group``
#: (the message groups) is counted as known now only.
BY = ("", "minute", "prefix", "carrier", "group")
_REPORT_TIME = "coalesce(p.reported_at, p.cached_at)"
_BUCKET = bucket_sql("(p.reported_at - r.sent_at)")
_FRACTION = " AND r.sent_at <> CAST(r.sent_at AS INTEGER)"  # records_fraction's condition

Counts = dict[tuple, int]  # (key, status) -> n; status SENT, PARTS or a report status
Edge = tuple[int, float, str, float, str]  # (+1 inside / -1 outside, lo, op, hi, op)


def _key(by: str) -> Callable:
    """The window's key of a row, from its send minute, block (or None), carrier (or None:
    its block's) and group."""
    return {
        "": lambda minute, prefix, carrier, grp: "",
        "minute": lambda minute, prefix, carrier, grp: minute,
        "prefix": lambda minute, prefix, carrier, grp: prefix,
        "carrier": lambda minute, prefix, carrier, grp: carrier or carrier_of_prefix(prefix),
        "group": lambda minute, prefix, carrier, grp: grp,
    }[by]


class _Window:
    """The counts of one window, added up part by part."""

    def __init__(self, by: str, latency: bool, parts: bool) -> None:
        self.key, self.latency, self.parts = _key(by), latency, parts
        self.out: Counts = {}
        self.hist: Counts = {}

    def add(self, key, status: str, bucket: int, n: int, sign: int = 1) -> None:
        self.add_all(((key, status, bucket, n),), sign)

    def add_all(self, rows: Iterable[tuple], sign: int = 1) -> None:
        """Add ``(key, status, bucket, n)`` rows (the edges' many: one loop)."""
        out, hist, latency, parts = self.out, self.hist, self.latency, self.parts
        for key, status, bucket, n in rows:
            if not n or (status == PARTS and not parts):
                continue
            out[key, status] = out.get((key, status), 0) + sign * n
            if latency and status not in (SENT, PARTS):
                hist[key, bucket] = hist.get((key, bucket), 0) + sign * n


def _cut(start: float, end: float, known_at: float | None) -> tuple[int, int, list[Edge]]:
    """The whole minutes ``lo..hi`` of the window (none when ``lo > hi``) and its edges: of
    each edge minute, the part inside the window or the whole minute less the part outside,
    whichever is cheaper (:func:`_cost`)."""
    first, last = math.floor(start / 60), math.floor(end / 60)
    if first == last:  # inside one minute
        return first + 1, first, [(1, start, ">", end, "<=")]
    lo, hi = first + 1, last - 1
    outside: Edge = (-1, first * 60, ">=", start, "<=")
    inside: Edge = (1, start, ">", (first + 1) * 60, "<")
    if _cost(outside, known_at) < _cost(inside, known_at):
        lo, edges = first, [outside]
    else:
        edges = [inside]
    # As known at a moment, its own minute is never whole: its reports after the moment are
    # only in the rows (and rollup_late's seconds, which hold later minutes' sends).
    outside, inside = (-1, end, ">", (last + 1) * 60, "<"), (1, last * 60, ">=", end, "<=")
    last_whole = known_at is None or last < math.floor(known_at / 60)
    if last_whole and _cost(outside, known_at) < _cost(inside, known_at):
        hi = last
        edges.append(outside)
    else:
        edges.append(inside)
    return lo, hi, edges


def _per_second(edge: Edge, known_at: float | None) -> bool:
    """Whether an edge's whole seconds are read from the per-second rollups (live, and
    recent enough for them to hold it), not from its rows."""
    return known_at is None and edge[1] >= time.time() - KEEP_SECONDS_S


def _seconds(edge: Edge) -> tuple[int, int]:
    """The first and last whole second of an edge."""
    _sign, lo, lo_op, hi, hi_op = edge
    first = math.floor(lo) + 1 if lo_op == ">" else math.ceil(lo)
    last = math.ceil(hi) - 1 if hi_op == "<" else math.floor(hi)
    return first, last


def _cost(edge: Edge, known_at: float | None) -> float:
    """What reading an edge costs: the rows of the per-second rollups' tree it adds up, or
    from the rows, its length."""
    if _per_second(edge, known_at):
        return len(span(*_seconds(edge)))
    return edge[3] - edge[1]


def _edge_rows(
    store: Store, edge: Edge, known_at: float | None, fraction: bool, memo: dict
) -> list[tuple]:
    """An edge's messages from their rows by (minute, prefix, group, report status, latency
    bucket): how many, and how many of them with a known report.  ``fraction``: only those
    sent at a fraction of a second."""
    _sign, lo, lo_op, hi, hi_op = edge
    key = ("rows", lo, lo_op, hi, hi_op, known_at, fraction)
    if key not in memo:
        known = "1" if known_at is None else f"{_REPORT_TIME} <= ?"
        memo[key] = store.conn.execute(
            f"SELECT r.minute, r.prefix, coalesce(r.grp, 0), p.status, {_BUCKET}, count(*), "
            f"sum(p.id IS NOT NULL AND {known}), sum(r.parts) FROM records r "
            "LEFT JOIN reports p ON p.msgid = r.msgid AND p.mobile = r.mobile "
            f"WHERE r.sent_at {lo_op} ? AND r.sent_at {hi_op} ?{_FRACTION if fraction else ''} "
            "GROUP BY 1, 2, 3, 4, 5",
            (*(() if known_at is None else (known_at,)), lo, hi),
        ).fetchall()
    return memo[key]


#: Each ``by``'s per-second rollup and what it is grouped by there (an edge is inside one
#: minute: ``minute`` is the edge's own; no latency by block).
_PER_SECOND = {
    "": ("rollup_s", "status, bucket"),
    "minute": ("rollup_s", "status, bucket"),
    "carrier": ("rollup_s", "carrier, status, bucket"),
    "group": ("rollup_s", "grp, status, bucket"),
    "prefix": ("rollup_sp", "prefix, status"),
}


def _edge_per_second(store: Store, edge: Edge, by: str, memo: dict) -> list[tuple]:
    """An edge's whole-second sends from the per-second rollups' tree (:func:`.rollup.span`)
    by :data:`_PER_SECOND`'s columns, then bucket (0 by block) and how many."""
    table, columns = _PER_SECOND[by]
    rows = span(*_seconds(edge))
    key = (table, columns, *rows.items())
    if key not in memo:
        marks = ", ".join("?" * len(rows))
        n, signs = "n", ()
        if -1 in rows.values():  # bound: one statement per count of rows
            n = f"n * CASE second {' '.join('WHEN ? THEN ?' for _ in rows)} END"
            signs = tuple(x for pair in rows.items() for x in pair)
        memo[key] = store.conn.execute(
            f"SELECT {columns}{'' if 'bucket' in columns else ', 0'}, sum({n}) FROM {table} "
            f"WHERE second IN ({marks}) GROUP BY {columns}",
            (*signs, *rows),
        ).fetchall()
    return memo[key]


def _add_edge(store, w: _Window, edge: Edge, known_at, by: str, memo: dict) -> None:
    sign = edge[0]
    if _per_second(edge, known_at):
        per = _edge_per_second(store, edge, by, memo)
        if by in ("", "minute"):  # the edge's own minute
            key = math.floor(edge[1] / 60) if by == "minute" else ""
            per = [(key, *row) for row in per]
        w.add_all(per, sign)
        rows = _edge_rows(store, edge, None, True, memo)
    else:
        rows = _edge_rows(store, edge, known_at, False, memo)
    for minute, prefix, grp, status, bucket, sent, known, parts in rows:
        k = w.key(minute, prefix, None, grp)
        w.add(k, SENT, 0, sent, sign)
        w.add(k, PARTS, 0, parts or 0, sign)
        if status is not None:
            w.add(k, status, bucket, known, sign)


#: Where each grain of a window by ``by`` is read: (table, key column, what it counts).
_ROLLED: dict[str, dict[str, list[tuple[str, str, str]]]] = {
    "": {
        "minute": [("rollup", "''", "status"), ("latency", "''", "bucket")],
        "hour": [("rollup_h", "''", "status"), ("latency_h", "''", "bucket")],
        "day": [("rollup_d", "''", "status")],
    },
    "minute": {"minute": [("rollup", "minute", "status"), ("latency", "minute", "bucket")]},
    "prefix": {"minute": [("rollup", "prefix", "status")]},
    "carrier": {
        "minute": [("rollup", "prefix", "status"), ("latency", "carrier", "bucket")],
        "hour": [("rollup_h", "carrier", "status"), ("latency_h", "carrier", "bucket")],
        "day": [("rollup_d", "carrier", "status")],
    },
    "group": {"minute": [("rollup_g", "grp", "status"), ("latency_g", "grp", "bucket")]},
}
#: Each grain in minutes, coarsest first.
_GRAINS = (("day", 1440), ("hour", 60), ("minute", 1))


def _spans(grains: list[tuple[str, int]], lo: int, hi: int) -> list[tuple[str, int, int]]:
    """Minutes ``lo..hi`` as the fewest slots of ``grains`` (coarsest first): whole slots of
    the first in the middle, the rest at either end in the finer ones."""
    (grain, size), finer = grains[0], grains[1:]
    first, last = -(-lo // size), (hi + 1) // size - 1
    if not finer:
        return [(grain, lo, hi)] if lo <= hi else []
    if first > last:
        return _spans(finer, lo, hi)
    return [
        *_spans(finer, lo, first * size - 1),
        (grain, first, last),
        *_spans(finer, (last + 1) * size, hi),
    ]


def _add_rolled(store, w: _Window, by: str, lo: int, hi: int) -> None:
    """The whole minutes ``lo..hi``, each part from the coarsest rollup holding it whole
    (latencies are kept by hour at the coarsest)."""
    grains = [g for g in _GRAINS if g[0] in _ROLLED[by] and (g[0] != "day" or not w.latency)]
    for grain, a, b in _spans(grains, lo, hi):
        for table, column, what in _ROLLED[by][grain]:
            if what == "bucket" and not w.latency:
                continue
            into = w.out if what == "status" else w.hist
            for k, value, n in store.conn.execute(
                f"SELECT {column}, {what}, sum(n) FROM {table} WHERE {grain} BETWEEN ? AND ? "
                "GROUP BY 1, 2",
                (a, b),
            ):
                if column == "prefix" and by == "carrier":
                    k = carrier_of_prefix(k)
                if value != PARTS or w.parts:
                    into[k, value] = into.get((k, value), 0) + n


def _less_late(store, w: _Window, lo: int, hi: int, known_at: float, memo: dict) -> None:
    """Take from the whole minutes ``lo..hi`` the reports that came after ``known_at`` (in
    its own minute, those after its second): of the :data:`~.rollup.LATE_LAG` minutes
    before its own by send minute, the few later still through ``rollup_late_long``, so that
    what is read does not grow with the window or its age."""
    key = ("late", lo, hi, known_at)
    if key not in memo:
        memo[key] = _late(store, lo, hi, known_at)
    w.add_all(((w.key(m, prefix, None, None), *rest) for m, prefix, *rest in memo[key]), -1)


def _late(store, lo: int, hi: int, known_at: float) -> list[tuple]:
    """:func:`_less_late`'s reports: (send minute, block, status, bucket, how many)."""
    mk = math.floor(known_at / 60)
    after = known_at - 60 * mk  # exact: the two are within a minute of each other
    columns = "minute, prefix, status, bucket, rminute, n, seconds FROM rollup_late"
    near = store.conn.execute(
        f"SELECT {columns} WHERE minute BETWEEN ? AND ? AND rminute >= ? "
        f"AND rminute <= minute + {LATE_LAG}",
        (max(lo, mk - LATE_LAG), hi, mk),
    ).fetchall()
    far = store.conn.execute(
        f"SELECT {columns} INDEXED BY rollup_late_long WHERE rminute > minute + {LATE_LAG} "
        "AND rminute >= ? AND minute BETWEEN ? AND ?",
        (mk, lo, hi),
    ).fetchall()
    out = []
    for minute, prefix, status, bucket, rminute, n, seconds in near + far:
        if rminute == mk:  # the moment's own minute: those after its second
            n = sum(k for offset, k in offsets(seconds).items() if offset > after)
        out.append((minute, prefix, status, bucket, n))
    return out


def counts(
    store: Store,
    start: float,
    end: float,
    known_at: float | None = None,
    by: str = "",
    latency: bool = True,
    memo: dict | None = None,
    parts: bool = False,
) -> tuple[Counts, Counts]:
    """The messages sent in ``(start, end]`` by ``by`` (one of :data:`BY`) and status (and
    ``SENT``; with ``parts``, ``PARTS``: the parts they were billed), and their known reports
    by latency bucket: ``({(key, status): n}, {(key, bucket): n})``."""
    if known_at is not None and (known_at < end or by == "group"):
        raise ValueError("as known at a moment: windows ending then, not by group")
    memo = {} if memo is None else memo
    w = _Window(by, latency and by != "prefix", parts)  # latencies are not kept by block
    with store.read():
        lo, hi, edges = _cut(start, end, known_at)
        if lo <= hi:
            _add_rolled(store, w, by, lo, hi)
            if known_at is not None:
                _less_late(store, w, lo, hi, known_at, memo)
        for edge in edges:
            _add_edge(store, w, edge, known_at, by, memo)
    return {k: n for k, n in w.out.items() if n}, {k: n for k, n in w.hist.items() if n}
