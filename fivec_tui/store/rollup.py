"""Rollups: what window numbers are summed from, written at ingest in the rows' transaction.

Every rollup is keyed by the *send* time of the message: a record adds to ``SENT`` (and its
billed parts to ``PARTS``); a report adds to its status (and its latency bucket) once both it
and its record are present, whichever arrives second doing the counting.  So a window's
numbers are sums over send times, never over reports.  The same counts are kept at several
grains, each for what reads it (:mod:`.windows`):

- ``rollup`` (minute, number block, status) and ``latency`` (minute, carrier, bucket: a
  histogram with the fixed bounds :data:`LATENCY_BOUNDS`, and its sum);
- ``rollup_h`` and ``latency_h``: the same by hour and carrier, for the long windows (a
  day); ``rollup_d``, the counts by UTC day and carrier, for the longest (the SLO's thirty);
- ``rollup_g`` and ``latency_g``: by minute and message group (``groups``: signature,
  template, campaign; :mod:`.groups`), for the breakdowns;
- ``rollup_s``: by send *second* (carrier, group, status, bucket) for messages sent on a
  whole second (all the platform's are), so that the part-minutes at a window's edges are
  read from a few rows instead of every message's.  Each minute's seconds are kept as a
  Fenwick tree (:func:`nodes`): the row of a second holds its own sends and those of the
  seconds before it in its minute that the tree puts under it, so that any run of seconds
  in a minute is the sum of at most ten rows (:func:`span`), however long it is.  A flood
  has a few dozen rows a second: read second by second, a half-minute edge cost a flooded
  dashboard 2.6 times a quiet one's.  Kept :data:`KEEP_SECONDS_S`: the dashboard's edges,
  today's and the same a week earlier.  ``rollup_sp``: the same seconds by number block and
  status alone, for the breakdown by block;
- ``rollup_late``: the reports whose report time (``reported_at``; the cache's receipt when
  the platform gave none) is in a later minute than their send minute, keyed by that report
  minute too, with ``seconds``: where in that minute they came (``"offset:count,…"``,
  offsets from the minute's start, exact; an offset may repeat, its counts add up).  The
  few later than :data:`LATE_LAG` minutes are indexed by report minute too
  (``rollup_late_long``), so that a moment's late reports are found without reading every
  late row of a long window.  The account as it was at a past moment is the
  rollups less the late reports that came after it (:mod:`.windows`); only late reports are
  kept, as a report in its send minute is known at any moment whose window holds its send.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING

from ..api.carriers import carrier_of_prefix

if TYPE_CHECKING:
    import sqlite3

#: Upper bounds (seconds) of the latency histogram buckets; the last is open-ended.
LATENCY_BOUNDS = (1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200, 1800, 3600)
#: How long the per-second rollups are kept: the edges of a day's window a week back.
KEEP_SECONDS_S = 8 * 86400
#: Minutes after its send minute within which nearly every late report comes; the others are
#: indexed by report minute (``rollup_late_long``).
LATE_LAG = 10
#: Characters a late row's ``seconds`` may grow to by appending before it is merged.
SECONDS_TEXT = 1000
#: Pseudo-statuses: messages sent, and the parts they were billed.
SENT, PARTS = "SENT", "PARTS"

#: Each rollup table: its key columns, and the columns summed into it.
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "rollup": (("minute", "prefix", "status"), ("n",)),
    "rollup_h": (("hour", "carrier", "status"), ("n",)),
    "rollup_d": (("day", "carrier", "status"), ("n",)),
    "rollup_g": (("minute", "grp", "status"), ("n",)),
    "rollup_s": (("second", "carrier", "grp", "status", "bucket"), ("n",)),
    "rollup_sp": (("second", "prefix", "status"), ("n",)),
    "latency": (("minute", "carrier", "bucket"), ("n", "total_s")),
    "latency_h": (("hour", "carrier", "bucket"), ("n", "total_s")),
    "latency_g": (("minute", "grp", "bucket"), ("n",)),
    "rollup_late": (("minute", "rminute", "prefix", "status", "bucket"), ("n",)),
}


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
    """Estimate a percentile from histogram buckets (linear inside the bucket): within the
    width of the bucket it falls in of the rows' own percentile."""
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


# -- the per-second rollups' Fenwick tree ---------------------------------------------------
def nodes(second: int) -> list[int]:
    """The rows of a per-second rollup that a send ``second`` adds to: in its minute, the
    Fenwick tree's nodes over its 60 seconds (at offset ``i - 1``, node ``i`` holds the
    seconds after offset ``i - (i & -i) - 1`` up to its own), its own first."""
    start, i = second - second % 60, second % 60 + 1
    out = []
    while i <= 60:
        out.append(start + i - 1)
        i += i & -i
    return out


def span(first: int, last: int) -> dict[int, int]:
    """The seconds ``first..last`` of one minute (none when ``first > last``) as the rows of a
    per-second rollup to add up: ``{second: +1 or -1}``, at most ten rows."""
    if first > last:
        return {}
    start = first - first % 60
    i, j = last - start + 1, first - start  # the prefix up to i less the prefix up to j
    out: dict[int, int] = {}
    while i != j:
        if i > j:
            out[start + i - 1] = 1
            i -= i & -i
        else:
            out[start + j - 1] = -1
            j -= j & -j
    return out


# -- report times inside a minute ----------------------------------------------------------
def offsets(seconds: str | None) -> dict[float, int]:
    """``"offset:count,…"`` as ``{offset: count}``."""
    out: dict[float, int] = {}
    for item in (seconds or "").split(","):
        if item:
            offset, _, n = item.rpartition(":")
            out[float(offset)] = out.get(float(offset), 0) + int(n)
    return out


# -- counting at ingest (inside the caller's transaction) -----------------------------------
_REPORT_TIME = "coalesce(p.reported_at, p.cached_at)"
_WHOLE_SECOND = (
    "CASE WHEN r.sent_at = CAST(r.sent_at AS INTEGER) AND r.sent_at >= ? "
    "THEN CAST(r.sent_at AS INTEGER) END"
)
# The times of the reports of a later minute than their send, exactly: whole seconds as
# integers, the rest to 17 digits.
_LATE_TIMES = (
    f"group_concat(CASE WHEN {_REPORT_TIME} >= (r.minute + 1) * 60 THEN "
    f"CASE WHEN {_REPORT_TIME} = CAST({_REPORT_TIME} AS INTEGER) "
    f"THEN CAST({_REPORT_TIME} AS INTEGER) ELSE printf('%.17g', {_REPORT_TIME}) END END)"
)
_MATCHED = f"""
    SELECT r.minute, r.prefix, r.grp, p.status, {bucket_sql("(p.reported_at - r.sent_at)")},
           {_WHOLE_SECOND}, count(*), sum(max(p.reported_at - r.sent_at, 0)), {_LATE_TIMES}
    FROM reports p JOIN records r ON {{join}}
    WHERE {{where}} AND r.minute IS NOT NULL  -- a record with no send time is in no window
    GROUP BY 1, 2, 3, 4, 5, 6
"""
_SENT = f"""
    SELECT r.minute, r.prefix, r.grp, {_WHOLE_SECOND}, count(*), sum(r.parts)
    FROM records r WHERE r.id > ? AND r.minute IS NOT NULL GROUP BY 1, 2, 3, 4
"""


class _Sums:
    """The rows a chunk adds to each rollup table, summed by key before they are written."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[tuple, list]] = {name: {} for name in TABLES}
        self.seconds: dict[tuple, dict[str, int]] = {}

    def add(self, table: str, key: tuple, *values) -> None:
        if not values[0]:
            return
        row = self.tables[table].get(key)
        if row is None:
            self.tables[table][key] = list(values)
        else:
            for i, v in enumerate(values):
                row[i] += v or 0

    def late(self, minute: int, prefix: str, status: str, bucket: int, times: str) -> None:
        """Reports of later minutes (``times``: their report times, comma-separated) by
        report minute, and where in it they came."""
        rows, seconds = self.tables["rollup_late"], self.seconds
        for when, k in Counter(times.split(",")).items():
            if when.isdigit():  # a whole second, as the platform's are
                rminute, offset = divmod(int(when), 60)
                at = str(offset)
            else:
                t = float(when)
                rminute = int(t // 60)
                at = f"{t - 60 * rminute:.17g}"  # exact: within a minute of each other
            key = (minute, rminute, prefix, status, bucket)
            rows.setdefault(key, [0])[0] += k
            table = seconds.setdefault(key, {})
            table[at] = table.get(at, 0) + k

    def sent(self, minute, prefix, grp, sec, status: str, n: int) -> None:
        carrier = carrier_of_prefix(prefix)
        self.add("rollup", (minute, prefix, status), n)
        self.add("rollup_h", (minute // 60, carrier, status), n)
        self.add("rollup_d", (minute // 1440, carrier, status), n)
        self.add("rollup_g", (minute, grp, status), n)
        if sec is not None:
            self.per_second(sec, carrier, grp, prefix, status, 0, n)

    def per_second(self, sec: int, carrier, grp, prefix, status: str, bucket: int, n: int) -> None:
        """A send second's counts into the per-second rollups' tree (:func:`nodes`)."""
        for node in nodes(sec):
            self.add("rollup_s", (node, carrier, grp, status, bucket), n)
            self.add("rollup_sp", (node, prefix, status), n)

    def write(self, conn: sqlite3.Connection) -> None:
        conn.create_function("fivec_seconds", 2, merge_seconds, deterministic=True)
        for key, row in self.tables["rollup_late"].items():
            row.append(",".join(f"{at}:{n}" for at, n in self.seconds.get(key, {}).items()))
        for name, rows in self.tables.items():
            if not rows:
                continue
            keys, sums = TABLES[name]
            columns = (*keys, *sums, *(("seconds",) if name == "rollup_late" else ()))
            updates = [f"{c} = {c} + excluded.{c}" for c in sums]
            if name == "rollup_late":  # appended (offsets may repeat: they add up), or merged
                updates.append(
                    f"seconds = CASE WHEN length(seconds) + length(excluded.seconds) < {SECONDS_TEXT} "
                    "THEN seconds || ',' || excluded.seconds "
                    "ELSE fivec_seconds(seconds, excluded.seconds) END"
                )
            conn.executemany(
                f"INSERT INTO {name}({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))}) "
                f"ON CONFLICT({', '.join(keys)}) DO UPDATE SET {', '.join(updates)}",
                [(*key, *values) for key, values in rows.items()],
            )


def _seconds_from(now: float | None = None) -> int:
    """The oldest send second the per-second rollups take (older ones are read from rows):
    a minute's first, so that a minute's tree (:func:`nodes`) is whole or gone."""
    second = int((time.time() if now is None else now) - KEEP_SECONDS_S - 3600)
    return second - second % 60


def merge_seconds(a: str, b: str) -> str:
    """Two ``seconds`` columns as one (the SQL function ``fivec_seconds``: a row's text is
    compacted when appending would make it long)."""
    table: dict[str, int] = {}
    for item in f"{a},{b}".split(","):
        if item:
            offset, _, n = item.rpartition(":")
            table[offset] = table.get(offset, 0) + int(n)
    return ",".join(f"{offset}:{n}" for offset, n in table.items())


def count_matched(conn: sqlite3.Connection, join: str, where: str, params: tuple) -> None:
    """Add the reports selected by ``where`` (alias ``p``, joined to their record ``r`` by
    ``join``) to the rollups, inside the caller's transaction.

    The join runs once, grouped by every key a rollup needs (a few dozen rows per chunk of
    live traffic); the groups are then summed into each table.
    """
    sums = _Sums()
    sql = _MATCHED.format(join=join, where=where)
    for minute, prefix, grp, status, bucket, sec, n, lat, late in conn.execute(
        sql, (_seconds_from(), *params)
    ):
        carrier, hour, grp = carrier_of_prefix(prefix), minute // 60, grp or 0
        sums.add("rollup", (minute, prefix, status), n)
        sums.add("rollup_h", (hour, carrier, status), n)
        sums.add("rollup_d", (hour // 24, carrier, status), n)
        sums.add("rollup_g", (minute, grp, status), n)
        sums.add("latency", (minute, carrier, bucket), n, lat or 0.0)
        sums.add("latency_h", (hour, carrier, bucket), n, lat or 0.0)
        sums.add("latency_g", (minute, grp, bucket), n)
        if sec is not None:
            sums.per_second(sec, carrier, grp, prefix, status, bucket, n)
        if late:
            sums.late(minute, prefix, status, bucket, late)
    sums.write(conn)


def count_sent(conn: sqlite3.Connection, after_id: int) -> None:
    """Add the records past rowid ``after_id`` to ``SENT`` and ``PARTS``, inside the caller's
    transaction."""
    sums = _Sums()
    for minute, prefix, grp, sec, n, parts in conn.execute(_SENT, (_seconds_from(), after_id)):
        sums.sent(minute, prefix, grp or 0, sec, SENT, n)
        sums.sent(minute, prefix, grp or 0, sec, PARTS, parts)
    sums.write(conn)


def prune(conn: sqlite3.Connection, old_minute: int, now: float) -> dict[str, int]:
    """Drop the rollups of send minutes before ``old_minute``, and the per-second ones older
    than :data:`KEEP_SECONDS_S` (and an hour), inside the caller's transaction."""
    cuts = {name: ("minute", old_minute) for name in TABLES}
    cuts |= {
        "rollup_h": ("hour", old_minute // 60),
        "rollup_d": ("day", old_minute // 1440),
        "latency_h": ("hour", old_minute // 60),
        "rollup_s": ("second", _seconds_from(now)),
        "rollup_sp": ("second", _seconds_from(now)),
    }
    return {
        name: conn.execute(f"DELETE FROM {name} WHERE {column} < ?", (cut,)).rowcount
        for name, (column, cut) in cuts.items()
    }
