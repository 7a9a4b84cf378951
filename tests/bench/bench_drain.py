"""Benchmark (not a test): `poll --once` draining a backlog vs a stdlib fetch-and-append.

A simulator runs in its own process with ``reports`` reports queued (two recipients a
message, chunks of ``chunk``; their send records are on the platform too).  Two processes
drain it in turn, each timed from spawn to exit:

- raw: a Python process that imports the standard library only: ``http.client`` pulls the
  report chunks over one keep-alive connection, as the project's client asks for them, and
  appends each body to a file until ``no record``.  The network's and the interpreter's
  speed, nothing else (its drain alone, first request to last write, is timed too);
- poll: ``fivec-tui poll --once --yes`` with the default profile: every stream as configured
  by default (records backfilled, reports, replies, balance), each report chunk journaled
  (fsynced) before the next is asked for, parsed and stored with its rollups.

The simulator is restarted with the same seed before each side, so both see the same chunks;
each side checks it took every report.  The figure is poll/raw, the median over rounds (the
ratio is taken within each round: the machine's load drifts between rounds).

    .venv/bin/python tests/bench/bench_drain.py [reports] [chunk] [rounds]
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The raw side, run as ``python -c RAW base_url username password_md5 apikey path``.
RAW = """
import http.client, sys, time, urllib.parse
base, username, md5, apikey, path = sys.argv[1:6]
url = urllib.parse.urlsplit(base)
form = urllib.parse.urlencode(
    {"username": username, "password_md5": md5, "apikey": apikey, "encode": "UTF-8"}
)
headers = {"Content-Type": "application/x-www-form-urlencoded"}
conn = http.client.HTTPConnection(url.hostname, url.port)
start = time.perf_counter()
with open(path, "a", encoding="utf-8") as out:
    while True:
        conn.request("POST", url.path.rstrip("/") + "/api/recv/index.php", form, headers)
        response = conn.getresponse()
        body = response.read().decode("utf-8")
        assert response.status == 200 and not body.startswith("error:"), body[:80]
        out.write(body + "\\n")
        if body.strip().lower() == "no record":
            break
print(time.perf_counter() - start)
"""


async def serve(reports: int, chunk: int) -> None:
    """The simulator, filled, on a free port (printed), until stdin closes."""
    from fivec_tui.sim import Simulator

    async with Simulator("quiet", seed=11, traffic=False) as sim:
        sc = sim.platform.scenario
        sc.delay_median, sc.never_report, sc.chunk = 0.001, 0.0, chunk
        main = sim.platform.main
        main.balance = main.total = 10**12
        for i in range(reports // 2):
            sim.platform.submit(main, [f"138{i:08d}", f"139{i:08d}"], f"m{i}【x】", background=True)
        await asyncio.sleep(0.2)
        sim.platform.release_due()
        a = sim.account
        print(sim.base_url, a.username, a.password_md5, a.apikey, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        print(len(sim.platform.served), len(sim.platform.served_chunks), flush=True)


def drain(side: str, reports: int, chunk: int, tmp: Path) -> tuple[float, float, int]:
    """One fill and drain: (seconds from spawn to exit, seconds of the drain alone where the
    side reports it, chunks served)."""
    sim = subprocess.Popen(
        [sys.executable, __file__, "serve", str(reports), str(chunk)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    base_url, username, md5, apikey = sim.stdout.readline().split()
    for f in tmp.glob("*"):
        f.unlink()
    env = {**os.environ, "FIVEC_CONFIG": str(tmp / "config.toml"), "FIVEC_DB": str(tmp / "c.db")}
    env |= {
        "FIVEC_BASE_URL": base_url,
        "FIVEC_USERNAME": username,
        "FIVEC_PASSWORD_MD5": md5,
        "FIVEC_APIKEY": apikey,
    }
    (tmp / "config.toml").write_text("")  # the default profile: every stream as by default
    if side == "raw":
        args = ["-c", RAW, base_url, username, md5, apikey, str(tmp / "bodies.txt")]
    else:
        args = ["-m", "fivec_tui", "poll", "--once", "--yes", "--log-file", str(tmp / "poll.log")]
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, *args], env=env, check=True, capture_output=True, text=True
    ).stdout
    elapsed = time.perf_counter() - start
    served, chunks = map(int, sim.communicate("")[0].split())
    assert served == reports, (side, served)
    if side == "poll":
        db = sqlite3.connect(tmp / "c.db")
        cached, records = (
            db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("reports", "records")
        )
        db.close()
        assert cached == records == reports, (cached, records, reports)
        return elapsed, elapsed, chunks
    return elapsed, float(out), chunks


def main(reports: int, chunk: int, rounds: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    times: dict[str, list[float]] = {"raw": [], "drain": [], "poll": []}
    ratios: list[float] = []
    for _ in range(rounds):
        for side in ("raw", "poll"):
            elapsed, alone, chunks = drain(side, reports, chunk, tmp)
            times[side].append(elapsed)
            if side == "raw":
                times["drain"].append(alone)
        ratios.append(times["poll"][-1] / times["raw"][-1])
        print(
            f"raw {times['raw'][-1]:.2f}s (its drain alone {times['drain'][-1]:.2f}s), "
            f"poll --once {times['poll'][-1]:.2f}s ({chunks} chunks): ratio {ratios[-1]:.2f}",
            flush=True,
        )

    def median(values: list[float]) -> str:
        values = sorted(values)
        return f"{statistics.median(values):.2f} (range {values[0]:.2f}-{values[-1]:.2f})"

    print(
        f"{reports:,} reports in chunks of {chunk}, {rounds} rounds, medians: stdlib "
        f"fetch-and-append {median(times['raw'])}s (its drain alone {median(times['drain'])}s), "
        f"poll --once {median(times['poll'])}s; poll/raw {median(ratios)}"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        asyncio.run(serve(int(sys.argv[2]), int(sys.argv[3])))
    else:
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 200_000,
            int(sys.argv[2]) if len(sys.argv) > 2 else 1000,
            int(sys.argv[3]) if len(sys.argv) > 3 else 5,
        )
