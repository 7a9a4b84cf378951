"""Benchmark (not a test): bytes the cache takes per report, record and reply after ingest.

The ``flood`` scenario's traffic (600 messages a second, one recipient each, reports half a
second behind, a few replies) is generated on a virtual clock for as long as it takes to
serve ``reports`` reports, and cached as the poller does: reports and replies pulled every
5 s and journaled before they are parsed, records every 30 s (so most reports land before
their record and wait for it).  Right after the last ingest, ``dbstat`` gives each table's
and index's pages; a table's indexes count for its rows, and the journal's pages are shared
between the streams in proportion to the bytes of their stored bodies.  The rollups, every
grain of them (:mod:`fivec_tui.store.rollup`), are said per report apart.

    .venv/bin/python tests/bench/bench_cache_size.py [reports]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from fivec_tui.api.parse import parse_records
from fivec_tui.sim import wire
from fivec_tui.sim.scenario import load
from fivec_tui.sim.server import SimServer
from fivec_tui.sim.state import Platform
from fivec_tui.sim.traffic import Traffic
from fivec_tui.store import Store, ingest_items, ingest_journal, journal, rollup

#: Where each stream's bytes are: its table, and the tables whose rows it owns.
OWNS = {"reports": ("reports",), "records": ("records",), "replies": ("replies", "unparsed")}


def fill(store: Store, reports: int) -> dict[str, int]:
    clock = [time.time()]
    platform = Platform(load("flood"), seed=1, clock=lambda: clock[0])
    traffic = Traffic(SimServer(platform, 1))
    user, chunk = platform.main.username, platform.scenario.chunk
    records_from = clock[0]
    second = 0
    while len(platform.served) < reports:
        traffic.step(1.0)
        clock[0] += 1.0
        second += 1
        if second % 5 == 0:
            while body := platform.pull_reports(user, chunk):
                ingest_journal(
                    store, journal(store, "reports", "pull", wire.reports_body(body, False))
                )
            taken = platform.pull_replies(1000, debug=False)
            if taken:
                body = wire.replies_body(taken, "utf-8")
                ingest_journal(store, journal(store, "replies", "pull", body, "UTF-8"))
        if second % 30 == 0:
            messages = platform.records_between(user, records_from, clock[0])
            ingest_items(store, "records", parse_records(wire.records_body(messages, "utf-8")))
            records_from = clock[0] + 1
    return {t: store.scalar(f"SELECT count(*) FROM {t}") for t in OWNS}


def sizes(store: Store) -> dict[str, int]:
    """Bytes per table, its indexes included."""
    rows = store.query(
        "SELECT coalesce(m.tbl_name, d.name) AS tbl, sum(d.pgsize) AS bytes FROM dbstat d "
        "LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1"
    )
    return {r["tbl"]: r["bytes"] for r in rows}


def main(reports: int) -> None:
    store = Store(Path(tempfile.mkdtemp()) / "size.db")
    counts = fill(store, reports)
    by_table = sizes(store)
    bodies = {
        r["stream"]: r["n"]
        for r in store.query("SELECT stream, sum(length(body)) AS n FROM journal GROUP BY 1")
    }
    shared = by_table.get("journal", 0)
    detail = {
        r["name"]: r["bytes"]
        for r in store.query("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY 1")
    }
    print(f"file {store.path.stat().st_size:,} bytes; pages by table and index:")
    for name, n in sorted(detail.items(), key=lambda kv: -kv[1]):
        print(f"  {name:32} {n:>12,}")
    rolled = sum(by_table.get(t, 0) for t in (*rollup.TABLES, "groups"))
    print(
        f"rollups (every grain) and groups: {rolled / max(counts['reports'], 1):.1f} bytes a report"
    )
    for stream, tables in OWNS.items():
        n = counts[stream]
        own = sum(by_table.get(t, 0) for t in tables)
        raw = shared * bodies.get(stream, 0) / max(sum(bodies.values()), 1)
        print(
            f"{stream}: {n:,} rows, {(own + raw) / max(n, 1):.1f} bytes each "
            f"(table and indexes {own / max(n, 1):.1f}, raw journal {raw / max(n, 1):.1f})"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
