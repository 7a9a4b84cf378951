"""Benchmark (not a test): the Accounts overview with 20 accounts vs the dashboard with one.

Twenty caches are filled alike (``bench_summary.fill``: ``reports`` reports over the last two
days, one in twenty failed, with their rollups, as ingest leaves them), plus a balance
history and a failing job on some; a copy of the first serves the dashboard.  In one
headless app each, the screen's refresh is timed as the app runs it, ``load`` (the store
reads, a worker's part) then ``show`` (the widgets), ``runs`` times in turn, the overview
and the dashboard alternating in the same run.  The figure is the ratio of their medians,
overview/dashboard: target at most 1.0 (the same refresh budget), since the overview reads
two summaries, the balance and the job health per account from rollups, where the dashboard
reads three summaries, the per-minute series, failures, prefixes, the feed and jobs.
Two cases: a job run recorded in every cache before each refresh (by a connection of its
own, as a live engine does: every row read again), and none (a quiet fleet: the overview
reads again only the caches that changed, one pragma each).

    .venv/bin/python tests/bench/bench_overview.py [accounts] [reports] [runs]
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_summary import fill

from fivec_tui.api import Balance
from fivec_tui.app.app import FivecApp
from fivec_tui.app.link import Hosted
from fivec_tui.config import Profile
from fivec_tui.store import Store
from fivec_tui.store.balance import add_balance
from fivec_tui.store.poll_runs import add_poll_run
from fivec_tui.store.poller import JobHealth


def run(store: Store, job: str, at: float, error: str = "") -> None:
    """A job run recorded as the poller records it: the run, and the job's health after it."""
    failures = 1 if error else 0
    health = JobHealth(
        job, "pull", "failing" if error else "ok", at, failures=failures, last_error=error
    )
    add_poll_run(store, job, at, "error" if error else "ok", error, 0 if error else 1, health)


def caches(tmp: Path, n: int, reports: int, now: float) -> list[Hosted]:
    first = tmp / "acct1.db"
    store = fill(first, reports, reports, now)
    for i in range(13):
        add_balance(store, Balance(200000 - 90 * i, 250000))
    store.conn.execute("UPDATE balance SET at = ? - (13 - id) * 300", (now,))
    for job in ("reports", "replies", "records", "balance"):
        run(store, job, now - 5)
    store.close()
    out = []
    for i in range(n):
        path = tmp / f"acct{i + 1}.db"
        if i:
            shutil.copy(first, path)
        store = Store(path)
        if i % 4 == 3:  # a few accounts failing, as in life
            run(store, "balance", now - 1, "error:APIKEY or password error")
        name = f"acct{i + 1}"
        out.append(Hosted(Profile(name, name, "0" * 32, "k" * 32), store, state="live"))
    return out


async def timed(
    app: FivecApp, mode: str, samples: list[float], runs: int, writers: list[Store]
) -> None:
    """``runs`` refreshes of ``mode``; before each (not timed), a job run is recorded in
    each cache of ``writers`` through a connection of its own, as a live engine would."""
    async with app.run_test(size=(160, 48)) as pilot:
        await app.switch_mode(mode)
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        screen = app.screen
        for _ in range(runs):
            for store in writers:
                run(store, "reports", time.time())
            start = time.perf_counter()
            screen.show(screen.load())
            samples.append(time.perf_counter() - start)
            await pilot.pause()


async def main(n: int, reports: int, runs: int) -> None:
    now = time.time()
    tmp = Path(tempfile.mkdtemp(prefix="bench-overview-"))
    accounts = caches(tmp, n, reports, now)
    shutil.copy(tmp / "acct1.db", tmp / "one.db")
    one = Profile("one", "one", "0" * 32, "k" * 32)
    engines = [Store(a.store.path) for a in accounts]  # the writers' own connections
    print(f"{n} accounts, {reports:,} reports each over two days, {3 * runs} refreshes each")
    for case, changed in (("every cache changed", True), ("no cache changed", False)):
        overview, dashboard = [], []
        for _round in range(3):  # in turn, so that a busy moment of the machine hits both
            many = FivecApp(
                accounts[0].profile, accounts[0].store, refresh_s=3600, accounts=accounts
            )
            await timed(many, "accounts", overview, runs, engines if changed else [])
            single = FivecApp(one, Store(tmp / "one.db"), refresh_s=3600)
            await timed(single, "dashboard", dashboard, runs, [single.store] if changed else [])
        o, d = statistics.median(overview), statistics.median(dashboard)
        print(f"{case} before each refresh:")
        print(f"  overview ({n} caches): median {o * 1000:.1f} ms (p90 {p90(overview) * 1000:.1f})")
        print(f"  dashboard (1 cache):  median {d * 1000:.1f} ms (p90 {p90(dashboard) * 1000:.1f})")
        print(f"  ratio overview/dashboard: {o / d:.2f} (target at most 1.0)")
    shutil.rmtree(tmp)


def p90(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=10)[-1]


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    asyncio.run(main(*(args + [20, 200_000, 20][len(args) :])))
