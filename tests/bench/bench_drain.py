"""Benchmark (not a test): `poll --once` draining a backlog vs a raw drain of the same chunks.

A simulator runs in its own process with ``reports`` reports queued (two recipients a
message, chunks of ``chunk``).  Two processes drain it in turn, each timed from spawn to exit:

- raw: the project's client (httpx, one keep-alive connection) pulls chunk after chunk and
  appends each body to a file: the network's speed, with Python's start-up (its drain alone,
  from the first request to the last body written, is timed too: the stricter baseline);
- poll: ``fivec-tui poll --once --yes`` with only the reports stream on: every chunk
  journaled (fsynced) before the next is asked for, parsed and stored with its rollups.

The simulator is restarted with the same seed before each drain, so both see the same
number of chunks of the same sizes; each side checks it took every report.  The figure is
poll/raw, the median over rounds (the ratio is taken within each round).

    .venv/bin/python tests/bench/bench_drain.py [reports] [chunk] [rounds]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """[profiles.default.streams]
replies = "off"
records = "off"
balance = "off"
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


async def raw(base_url: str, username: str, md5: str, apikey: str, path: str) -> None:
    """Pull until ``no record``, appending each body to ``path``."""
    from fivec_tui.api import Credentials, FivecClient
    from fivec_tui.api.parse import raise_for_error

    async with FivecClient(Credentials(username, md5, apikey), base_url) as client:
        start = time.perf_counter()
        with open(path, "a", encoding="utf-8") as out:
            while True:
                body = raise_for_error(await client.pull_reports_body())
                out.write(body + "\n")
                if body.strip().lower() == "no record":
                    break
        print(time.perf_counter() - start)


def drain(side: str, reports: int, chunk: int, tmp: Path) -> tuple[float, float, int, int]:
    """One fill and drain: (seconds from spawn to exit, seconds of the drain alone where the
    side reports it, reports served, chunks served)."""
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
    (tmp / "config.toml").write_text(CONFIG)
    if side == "raw":
        args = [__file__, "raw", base_url, username, md5, apikey, str(tmp / "bodies.txt")]
    else:
        args = ["-m", "fivec_tui", "poll", "--once", "--yes", "--log-file", str(tmp / "poll.log")]
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, *args], env=env, check=True, capture_output=True, text=True
    ).stdout
    elapsed = time.perf_counter() - start
    served, chunks = map(int, sim.communicate("")[0].split())
    if side == "poll":
        import sqlite3

        cached = sqlite3.connect(tmp / "c.db").execute("SELECT count(*) FROM reports").fetchone()
        assert cached[0] == served == reports, (cached, served)
        return elapsed, elapsed, served, chunks
    return elapsed, float(out), served, chunks


def main(reports: int, chunk: int, rounds: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    times: dict[str, list[float]] = {"raw": [], "drain": [], "poll": []}
    ratios: dict[str, list[float]] = {"raw": [], "drain": []}
    for _ in range(rounds):
        for side in ("raw", "poll"):
            elapsed, alone, served, chunks = drain(side, reports, chunk, tmp)
            assert served == reports
            times[side].append(elapsed)
            if side == "raw":
                times["drain"].append(alone)
        for base in ratios:
            ratios[base].append(times["poll"][-1] / times[base][-1])
        print(
            f"raw {times['raw'][-1]:.2f}s (its drain alone {times['drain'][-1]:.2f}s), "
            f"poll --once {times['poll'][-1]:.2f}s ({chunks} chunks): ratio "
            f"{ratios['raw'][-1]:.2f} ({ratios['drain'][-1]:.2f} against the drain alone)",
            flush=True,
        )

    def median(values: list[float]) -> str:
        values = sorted(values)
        return f"{statistics.median(values):.2f} (range {values[0]:.2f}-{values[-1]:.2f})"

    print(
        f"{reports:,} reports in chunks of {chunk}, {rounds} rounds, medians: raw drain "
        f"{median(times['raw'])}s, its drain alone {median(times['drain'])}s, poll --once "
        f"{median(times['poll'])}s; poll/raw {median(ratios['raw'])}, poll/drain alone "
        f"{median(ratios['drain'])}"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        asyncio.run(serve(int(sys.argv[2]), int(sys.argv[3])))
    elif sys.argv[1:2] == ["raw"]:
        asyncio.run(raw(*sys.argv[2:7]))
    else:
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 200_000,
            int(sys.argv[2]) if len(sys.argv) > 2 else 2000,
            int(sys.argv[3]) if len(sys.argv) > 3 else 3,
        )
