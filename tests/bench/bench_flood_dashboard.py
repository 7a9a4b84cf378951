"""Benchmark (not a test): the live dashboard's numbers under a sustained flood vs a quiet cache.

Two caches are filled through the store's own ingest (records, then their reports, in chunks
as the poller pulls them): ``flood`` at 600 messages a second (the simulator's ``flood``
scenario) for the last ``minutes`` and for two minutes around each older edge of the
dashboard's windows (an hour and a day back), so that every edge of the 5 min, 1 h and 24 h
windows falls in the flood; ``quiet`` at one message a second over the same spans.  Each
report comes 0-29 s after its send (one in twenty failed); the last 30 s are partly
unreported.  The dashboard's window numbers (summaries for 5 min, 1 h and 24 h, the
per-minute series and the prefixes of the hour, one memo: as ``Dashboard.load`` reads them)
are timed on each in turn, eleven pairs a round, at a moment of the last minute of sends: each round at
another second of the minute (the last send's, then 5 s before, ...), since what an edge
costs depends on where in its minute it falls, and a refresh comes at any second.  The
figure is the median flood/quiet ratio over the rounds (target at most 1.2x: the edges are
read from the per-second rollups' trees, a few rows whatever the traffic).

    .venv/bin/python tests/bench/bench_flood_dashboard.py [minutes] [rounds]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from fivec_tui.api import Record, Report
from fivec_tui.store import Store, ingest_items, queries

#: Number blocks of the traffic, in turn: three carriers.
BLOCKS = ("138", "130", "133", "186", "139", "189")
RATE = 600


def spans(now: int, minutes: int) -> list[tuple[int, int]]:
    """The seconds sent in: the last ``minutes``, and two minutes around an hour and a day
    back."""
    return [
        (now - 60 * minutes, now),
        *((now - back - 60, now - back + 60) for back in (3600, 86400)),
    ]


def fill(path: Path, now: int, minutes: int, per_second: int) -> Store:
    store = Store(path)
    n = 0
    for start, end in spans(now, minutes):
        for chunk_start in range(start, end, 10):  # ten seconds a chunk
            records, reports = [], []
            for sec in range(chunk_start, min(chunk_start + 10, end)):
                sent = datetime.fromtimestamp(sec, UTC)
                for _ in range(per_second):
                    n += 1
                    mobile = f"{BLOCKS[n % len(BLOCKS)]}{n:08d}"
                    msgid = f"{10**13 + n}"
                    records.append(Record("bench", msgid, (mobile,), "x", sent))
                    reported = sec + n % 30
                    if reported <= now:
                        status = "UNDELIV" if n % 20 == 0 else "DELIVRD"
                        at = datetime.fromtimestamp(reported, UTC)
                        reports.append(Report(msgid, mobile, status, at))
            ingest_items(store, "records", records)
            ingest_items(store, "reports", reports)
    return store


def dashboard(store: Store, now: float) -> float:
    start = time.perf_counter()
    memo: dict = {}
    for window in (300, 3600, 86400):
        queries.summary(store, window, now, memo)
    queries.series(store, 3600, now, memo)
    queries.prefixes(store, 3600, now, memo)
    return time.perf_counter() - start


def main(tmp: Path, minutes: int, rounds: int) -> None:
    now = int(time.time())
    t = time.perf_counter()
    flood = fill(tmp / "flood.db", now, minutes, RATE)
    quiet = fill(tmp / "quiet.db", now, minutes, 1)
    sent = flood.scalar("SELECT count(*) FROM records")
    print(f"filled in {time.perf_counter() - t:.0f}s: flood {sent:,} records")
    ratios, f_ms, q_ms = [], [], []
    for i in range(rounds):
        at = now - 5 * i % 60
        pairs = [(dashboard(quiet, at), dashboard(flood, at)) for _ in range(11)]
        q, f = (statistics.median(side) for side in zip(*pairs, strict=True))
        ratios.append(f / q)
        f_ms.append(f * 1000)
        q_ms.append(q * 1000)
    print(
        f"dashboard numbers: quiet {statistics.median(q_ms):.2f} ms, flood "
        f"{statistics.median(f_ms):.2f} ms, ratio {statistics.median(ratios):.2f} "
        f"(range {min(ratios):.2f}-{max(ratios):.2f})"
    )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        main(
            Path(tmp),
            int(sys.argv[1]) if len(sys.argv) > 1 else 6,
            int(sys.argv[2]) if len(sys.argv) > 2 else 12,
        )
