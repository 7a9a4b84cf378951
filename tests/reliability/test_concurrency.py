"""A real poller writing at platform peak while readers read, and a second poller refused."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time

from fivec_tui.sim import Simulator
from fivec_tui.sim.scenario import load
from fivec_tui.store import Store, queries

SECONDS = float(os.environ.get("FIVEC_CONCURRENCY_SECONDS", "6"))


def _reader(db, stop_at: float) -> tuple[int, list[str]]:
    """Read like the TUI does, as fast as possible; return reads done and anything wrong."""
    store, reads, problems = Store(db, readonly=True), 0, []
    while time.time() < stop_at:
        try:
            for window in (300, 3600):
                s = queries.summary(store, window)
                if s.delivered + s.failed > s.sent or s.pending < 0:
                    problems.append(f"inconsistent summary {s}")
            with store.read():
                finals = store.scalar(
                    "SELECT coalesce(sum(n), 0) FROM rollup WHERE status NOT IN ('SENT', 'PARTS')"
                )
                histogram = store.scalar("SELECT coalesce(sum(n), 0) FROM latency")
            if finals != histogram:
                problems.append(
                    f"torn read: {finals} counted reports vs {histogram} in the histogram"
                )
            queries.recent_reports(store, limit=50)
            reads += 1
        except sqlite3.OperationalError as exc:
            problems.append(f"{type(exc).__name__}: {exc}")
    store.close()
    return reads, problems


async def test_reading_while_the_poller_writes_at_peak(tmp_path, poll_env):
    scenario = load("flood")
    async with Simulator(scenario, seed=1) as sim:
        env = poll_env(sim, "[profiles.default.intervals]\nreports = 0.2\nrecords = 1\n")
        args = [sys.executable, "-m", "fivec_tui", "poll", "--yes"]
        poller = await asyncio.create_subprocess_exec(
            *args,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        while not (tmp_path / "c.db").exists():
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        second = await asyncio.create_subprocess_exec(
            *args,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await second.communicate()
        assert second.returncode == 1 and f"pid {poller.pid}" in err.decode()
        stop_at = time.time() + SECONDS
        results = await asyncio.gather(
            *[asyncio.to_thread(_reader, tmp_path / "c.db", stop_at) for _ in range(2)]
        )
        poller.send_signal(signal.SIGTERM)
        assert await poller.wait() == 0  # a clean stop, the pull in flight finished
    store = Store(tmp_path / "c.db", readonly=True)
    written = store.scalar("SELECT count(*) FROM reports")
    assert store.integrity_ok()
    reads = sum(r for r, _ in results)
    problems = [p for _, ps in results for p in ps]
    assert not problems, problems[:5]
    assert written > SECONDS * 300 and reads > 50
    print(
        f"\n{written} reports written in {SECONDS:.0f} s while 2 readers did {reads} reads, no errors"
    )


def test_opening_or_checking_a_cache_keeps_the_locks_of_its_other_connections(tmp_path):
    """Closing any descriptor of a file drops every POSIX lock the process holds on it, those
    of SQLite's connections too: another process could then change the cache under them (a
    poller's reports job saw "disk I/O error" when its writer thread opened the cache). A
    second Store and the integrity check never open the file themselves."""
    from fivec_tui.store.integrity import cache_problem

    path = tmp_path / "c.db"
    reader = Store(path)
    reader.conn.execute("BEGIN")
    reader.conn.execute("SELECT count(*) FROM records").fetchone()  # holds its shared lock
    try:
        Store(path).close()  # the ingest writer's connection, a TUI's watcher
        assert cache_problem(path) is None  # the TUI checks a cache it has open
        other = subprocess.run(
            [sys.executable, "-c", _SWITCH_JOURNAL, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert other.stdout.strip() == "locked", other.stdout + other.stderr
    finally:
        reader.conn.execute("ROLLBACK")
        reader.close()


#: Another process asking for the lock a reader's shared lock must refuse it.
_SWITCH_JOURNAL = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
try:
    conn.execute("PRAGMA journal_mode=DELETE").fetchone()
    print("switched")
except sqlite3.OperationalError:
    print("locked")
"""
