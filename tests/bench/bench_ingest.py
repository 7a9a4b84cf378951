"""Benchmark (not a test): report ingest vs a raw executemany of the same rows.

All sides write the same N reports to a WAL database with synchronous=FULL. The baselines
insert pre-parsed tuples with one executemany in one transaction: into a bare table, and into
the project's own reports table (same unique key). The project's path does what the poller
does per pulled chunk: commit the raw body to the journal, parse it, insert, count rollups
against the records, commit. The ratio against the same-table baseline is the figure (the
project's overhead over SQLite itself; target at least 0.5); the bare-table ratio shows what
the unique key costs on top.  It runs in both orders the poller meets: records already cached
(each report counted as it lands), and records arriving after their reports (reports wait,
and the records' ingest counts them; that catch-up is timed too).  Each round runs every
side once on fresh databases; the ratio is taken within each round (the machine's load
drifts between rounds) and the median over rounds is the figure, with its range.

    .venv/bin/python tests/bench/bench_ingest.py [reports] [chunk] [rounds]
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from fivec_tui.api import Record
from fivec_tui.api.parse import parse_reports
from fivec_tui.store import Store, ingest_items, ingest_journal, journal
from fivec_tui.store.journaling import pack


def bodies(n: int, chunk: int, t0: float) -> tuple[list[str], list[Record]]:
    lines = [
        f"{10**13 + i // 2},{138 * 10**8 + i:011d},{'DELIVRD' if i % 10 else 'UNDELIV'},"
        f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(t0 + 8 * 3600 + i % 600))};"
        for i in range(n)
    ]
    records = [
        Record(
            "bench",
            str(10**13 + i),
            (f"{138 * 10**8 + 2 * i:011d}", f"{138 * 10**8 + 2 * i + 1:011d}"),
            "x",
            datetime.fromtimestamp(t0 - 5, UTC),
        )
        for i in range(n // 2)
    ]
    return ["".join(lines[i : i + chunk]) for i in range(0, n, chunk)], records


def baseline(path: Path, chunks: list[str], *, same_table: bool) -> float:
    rows = [
        (r.msgid, r.mobile, r.status, r.ext, r.reported_at.timestamp())
        for c in chunks
        for r in parse_reports(c)
    ]
    if same_table:
        conn = Store(path).conn  # the project's schema, indexes and pragmas
    else:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(
            "CREATE TABLE reports (msgid TEXT, mobile TEXT, status TEXT, ext TEXT, reported_at REAL)"
        )
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO reports(msgid, mobile, status, ext, reported_at) VALUES (?,?,?,?,?)", rows
    )
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return len(rows) / elapsed


def journal_through_sqlite_utils(store: Store, stream: str, source: str, body: str) -> int:
    """:func:`journal` as sqlite-utils would write it: what keeps the journal on sqlite3."""
    stored, size = pack(body)
    row = {"stream": stream, "source": source, "received_at": time.time(), "body": stored}
    with store.transaction():
        return store.db["journal"].insert(row | {"size": size}).last_rowid


def project(
    path: Path,
    chunks: list[str],
    records: list[Record],
    *,
    records_first: bool,
    journal=journal,
) -> tuple[float, float]:
    """Reports/s through the poller's path, and records/s of the catch-up when they come later.

    Records are pulled every 30 s and reports every 5 s, so reports often land first and are
    counted when their record arrives: that side is timed as the records' ingest.
    """
    store = Store(path)
    if records_first:
        ingest_items(store, "records", records)
    n = 0
    start = time.perf_counter()
    for body in chunks:
        n += ingest_journal(store, journal(store, "reports", "pull", body))["new"]
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    if not records_first:
        for i in range(0, len(records), 1000):
            ingest_items(store, "records", records[i : i + 1000])
    catch_up = time.perf_counter() - start
    assert store.scalar("SELECT sum(n) FROM rollup WHERE status NOT IN ('SENT', 'PARTS')") == n
    store.close()
    return n / elapsed, (len(records) / catch_up if catch_up > 0.001 else 0.0)


def main(n: int, chunk: int, rounds: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    chunks, records = bodies(n, chunk, time.time())
    rates: dict[str, list[float]] = {
        k: [] for k in ("bare", "same", "known", "later", "catch", "utils")
    }
    for i in range(rounds):
        rates["bare"].append(baseline(tmp / f"bare{i}.db", chunks, same_table=False))
        rates["same"].append(baseline(tmp / f"same{i}.db", chunks, same_table=True))
        rates["known"].append(project(tmp / f"k{i}.db", chunks, records, records_first=True)[0])
        rates["utils"].append(
            project(
                tmp / f"u{i}.db",
                chunks,
                records,
                records_first=True,
                journal=journal_through_sqlite_utils,
            )[0]
        )
        later, catch_up = project(tmp / f"l{i}.db", chunks, records, records_first=False)
        rates["later"].append(later)
        rates["catch"].append(catch_up)

    def ratios(side: str, base: str) -> str:
        r = sorted(a / b for a, b in zip(rates[side], rates[base], strict=True))
        return f"{statistics.median(r):.2f} (range {r[0]:.2f}-{r[-1]:.2f})"

    med = {k: statistics.median(v) for k, v in rates.items()}
    print(
        f"{n} reports in chunks of {chunk}, {rounds} rounds, medians: executemany into a bare "
        f"table {med['bare']:,.0f} rows/s, into the reports table {med['same']:,.0f} rows/s.\n"
        f"journal+parse+ingest+rollups, records known: {med['known']:,.0f} reports/s, "
        f"ratio {ratios('known', 'same')} (same table), {ratios('known', 'bare')} (bare).\n"
        f"records arriving later: {med['later']:,.0f} reports/s, ratio {ratios('later', 'same')} "
        f"(same table); then {med['catch']:,.0f} records/s ({2 * med['catch']:,.0f} "
        f"recipients/s) counting the waiting reports.\n"
        f"the journal written through sqlite-utils instead, records known: {med['utils']:,.0f} "
        f"reports/s, ratio {ratios('utils', 'known')} to sqlite3's."
    )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 200_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 2000,
        int(sys.argv[3]) if len(sys.argv) > 3 else 7,
    )
