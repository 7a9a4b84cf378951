"""Benchmark (not a test): the delivery summary at 10 million vs 10 thousand cached reports.

Two caches are filled (in SQL, with their rollups, as ingest would leave them) with the same
last two days of traffic, ``small`` reports; the big one also holds ``big - small`` older
reports spread over the 28 days before. ``queries.summary`` is timed for the 5 min, 1 h and
24 h windows on each. The figure is the ratio big/small: target under 2x, because the summary
reads the per-minute rollups of its window, not the reports.

The Breakdown screen's reads (:func:`breakdown_screen`) are timed the same way, beside the
dashboard's (it is a screen of its own: the dashboard's refresh does not read them).

Time-travel: on the big cache, what the dashboard and the Breakdown screen read (the
dashboard's window numbers: summary for 5 min, 1 h and 24 h, the per-minute series and the
prefixes of the hour, each to the second: rollups and the rows of the edge minutes,
:mod:`fivec_tui.store.windows`; the Breakdown's carriers, cost, week-earlier baseline and
30-day budget) at a moment six hours back, as known then (``store.asof``), against the same
live.  The two are timed in turn, each sample of one against the next of the other, so that
the machine's load weighs on both alike; the figure is the median ratio (target 1.2: the
dashboard with all of this, #26).

    .venv/bin/python tests/bench/bench_summary.py [big] [small]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fivec_tui.store import Store, asof, breakdown, queries, rollup

RECENT_S, HISTORY_S = 2 * 86400, 28 * 86400


#: Number blocks of the traffic, in turn: three carriers.
BLOCKS = ("138", "130", "133", "186", "139", "189")


def _records(conn, first: int, n: int, newest: float, span: float) -> None:
    """``n`` records evenly spread over ``span`` seconds up to ``newest``, on whole seconds
    (as the platform's), to numbers of :data:`BLOCKS` in turn."""
    blocks = " ".join(f"WHEN {i} THEN '{b}'" for i, b in enumerate(BLOCKS))
    conn.execute(
        "WITH RECURSIVE i(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM i WHERE x < ? - 1), "
        "t(x, at, block) AS (SELECT x, CAST(? - (x * ?) / ? AS INTEGER), "
        f"CASE x % {len(BLOCKS)} {blocks} END FROM i) "
        "INSERT INTO records(msgid, mobile, content, sent_at, username, minute, prefix, grp, "
        "parts) SELECT 10000000000000 + ? + x, block || printf('%08d', ? + x), 'x', at, 'bench', "
        "CAST(at / 60 AS INTEGER), block, 0, 1 FROM t",
        (n, newest, span, n, first, first),
    )


def fill(path: Path, n: int, recent: int, now: float) -> Store:
    """A cache of ``recent`` messages over the last two days and ``n - recent`` over the 28
    before, each reported (one in twenty failed) 0-29 s after its send, its rollups counted
    from the rows as ingest counts them."""
    store = Store(path)
    with store.transaction() as conn:
        _records(conn, 0, recent, now, RECENT_S)
        if n > recent:
            _records(conn, recent, n - recent, now - RECENT_S, HISTORY_S)
        conn.execute(
            "INSERT INTO reports(msgid, mobile, status, ext, reported_at, record_id) "
            "SELECT msgid, mobile, CASE WHEN id % 20 = 0 THEN 'UNDELIV' ELSE 'DELIVRD' END, '', "
            "sent_at + id % 30, id FROM records"
        )
        rollup.count_sent(conn, 0)
        rollup.count_matched(conn, "r.id = p.record_id", "p.record_id > 0", ())
    # As a cache the poller has kept for a while: in its file, not in a WAL of gigabytes.
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return store


def timed(store: Store, window: float, now: float, runs: int = 50) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        queries.summary(store, window, now)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def dashboard(store: Store, at: float, past: bool) -> None:
    """The dashboard's window numbers at ``at``: live, or as known then, as the dashboard
    reads them (one memo: the edges the windows share read once)."""
    memo: dict = {}
    for window in (300, 3600, 86400):
        if past:
            asof.summary_at(store, window, at, memo=memo)
        else:
            queries.summary(store, window, at, memo)
    if past:
        asof.series_at(store, 3600, at, memo=memo)
        asof.prefixes_at(store, 3600, at, memo=memo)
    else:
        queries.series(store, 3600, at, memo)
        queries.prefixes(store, 3600, at, memo)


def screens(store: Store, at: float, past: bool) -> None:
    """What the dashboard and the Breakdown screen read, live or as known at ``at``."""
    dashboard(store, at, past)
    breakdown_screen(store, at, past)


def in_turn(
    a: Callable[[], object], b: Callable[[], object], runs: int = 31
) -> tuple[float, float, list[float]]:
    """``a`` and ``b`` timed in turn: their medians, and the ratios b/a of each pair."""
    ta, tb = [], []
    for _ in range(runs):
        for f, samples in ((a, ta), (b, tb)):
            start = time.perf_counter()
            f()
            samples.append(time.perf_counter() - start)
    return (
        statistics.median(ta),
        statistics.median(tb),
        [y / x for x, y in zip(ta, tb, strict=True)],
    )


def breakdown_screen(store: Store, at: float, past: bool) -> None:
    """What the Breakdown screen reads on each refresh: per carrier (three windows), cost,
    the same a week earlier, and each carrier's 30-day budget."""
    breakdown.headline(store, 3600, at, at if past else None)
    queries.by_carrier(store, 30 * 86400, at, latency=False)


def main(tmp: Path, big: int, small: int) -> None:
    now = time.time()
    t = time.perf_counter()
    stores = {
        small: fill(tmp / "small.db", small, small, now),
        big: fill(tmp / "big.db", big, small, now),
    }
    print(f"filled in {time.perf_counter() - t:.0f}s")
    for label, window in (("5 min", 300), ("1 h", 3600), ("24 h", 86400)):
        s, b = timed(stores[small], window, now), timed(stores[big], window, now)
        print(
            f"summary {label:>5}: {small:,} reports {s * 1000:.2f} ms, {big:,} reports "
            f"{b * 1000:.2f} ms, ratio {b / s:.2f}"
        )
    at, big_store = now - 6 * 3600, stores[big]
    for label, what in (("dashboard numbers", dashboard), ("dashboard and breakdown", screens)):
        live, past, ratios = in_turn(
            lambda what=what: what(big_store, now, False),
            lambda what=what: what(big_store, at, True),
        )
        print(
            f"{label} at {big:,} reports: live {live * 1000:.2f} ms, six hours back as known "
            f"then {past * 1000:.2f} ms, ratio {statistics.median(ratios):.2f} "
            f"(quartiles {_quartiles(ratios)})"
        )
    small_b, big_b, ratios = in_turn(
        lambda: breakdown_screen(stores[small], now, False),
        lambda: breakdown_screen(big_store, now, False),
    )
    print(
        f"breakdown screen (carriers, cost, week-earlier baseline, 30-day budget) live: "
        f"{small:,} reports {small_b * 1000:.2f} ms, {big:,} reports {big_b * 1000:.2f} ms, "
        f"ratio {statistics.median(ratios):.2f}"
    )


def _quartiles(ratios: list[float]) -> str:
    q = statistics.quantiles(ratios, n=4)
    return f"{q[0]:.2f}-{q[2]:.2f}"


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        main(
            Path(tmp),
            int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000,
            int(sys.argv[2]) if len(sys.argv) > 2 else 10_000,
        )
