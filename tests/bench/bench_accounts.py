"""Benchmark (not a test): one `poll --all` for N accounts against one `poll` for one.

A fleet of simulated accounts (:class:`fivec_tui.sim.fleet.Fleet`, ``quiet`` scenario, every
report delivered within a second) runs in a process of its own, each account at RATE
messages (so reports) per second.  Then, in turn for DURATION seconds each:

- the baseline: a plain ``fivec-tui poll`` on the first account alone;
- ``fivec-tui poll --all`` on all N accounts (the first one's cache started afresh).

For each run it prints, over its second half (after start-up and after draining the backlog
the accounts queued while the other run ran), the reports cached per second and the poller's
CPU (share of one core); then its peak and final RSS, and how
far each cache trails its platform at the end: reports the platform had released (served or
waiting in its queue) minus reports in the cache, also in seconds at RATE.  The ratios compare
the --all run with N times the baseline (CPU) and with the baseline (memory).

    .venv/bin/python tests/bench/bench_accounts.py [N=20] [RATE=50] [DURATION=30]
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TICK = os.sysconf("SC_CLK_TCK")


def fleet_main(n: int, rate: float) -> None:
    """The child: serve the fleet, print its accounts as one JSON line, run until killed."""
    from fivec_tui.sim.fleet import Fleet

    async def go() -> None:
        fleet = Fleet(n, scenario="quiet", rate=rate, subaccounts=False, states=False)
        for sim in fleet.simulators:
            sim.platform.main.balance = sim.platform.main.total = 10**9
        await fleet.start()
        accounts = [{"url": s.base_url, **vars(s.account)} for s in fleet.simulators]
        print(json.dumps(accounts), flush=True)
        await asyncio.Event().wait()

    asyncio.run(go())


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def platform(url: str, username: str) -> tuple[int, int]:
    """Reports the platform has served, and those released and waiting to be pulled."""
    state = httpx.get(f"{url}/_sim/state", timeout=10).json()
    return state["served_reports"], state["queued_reports"].get(username, 0)


def cached(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM reports").fetchone()[0]


def run(accounts: list[dict], args: list[str], duration: float, tmp: Path, rate: float) -> dict:
    """One poller for ``duration`` seconds; each cache's lag counts only reports released
    since the start that it has not got (an earlier run's are not its)."""
    tmp.mkdir()
    before = [platform(a["url"], a["username"])[0] for a in accounts]
    lines = []
    for a in accounts:
        lines += [
            f"[profiles.{a['username']}]",
            f'username = "{a["username"]}"',
            f'password_md5 = "{a["password_md5"]}"',
            f'apikey = "{a["apikey"]}"',
            f'base_url = "{a["url"]}"',
        ]
    (tmp / "config.toml").write_text("\n".join(lines))
    env = {
        **os.environ,
        "FIVEC_CONFIG": str(tmp / "config.toml"),
        "XDG_DATA_HOME": str(tmp / "data"),
        "FIVEC_PROFILE": accounts[0]["username"],
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "fivec_tui", "poll", "--yes", *args, "--log-file", str(tmp / "log")],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    data = tmp / "data" / "fivec-tui"
    time.sleep(duration / 2)  # start-up, and the backlog queued while the other run ran
    cpu0, counts0 = cpu_seconds(proc.pid), [cached(data / f"{a['username']}.db") for a in accounts]
    time.sleep(duration / 2)
    cpu, rss, peak = cpu_seconds(proc.pid) - cpu0, rss_mb(proc.pid), rss_mb(proc.pid, "VmHWM")
    counts = [cached(data / f"{a['username']}.db") for a in accounts]
    lags = [
        sum(platform(a["url"], a["username"])) - served - n
        for a, served, n in zip(accounts, before, counts, strict=True)
    ]
    proc.terminate()
    proc.wait(30)
    return {
        "cpu": cpu / (duration / 2),
        "rss": rss,
        "peak": peak,
        "lags": lags,
        "rate": rate,
        "cached_per_s": (sum(counts) - sum(counts0)) / (duration / 2),
    }


def show(name: str, r: dict) -> None:
    lags = sorted(r["lags"])
    print(
        f"{name}: {r['cached_per_s']:.0f} reports/s cached; CPU {r['cpu']:.0%} of a core, "
        f"RSS {r['rss']:.0f} MB (peak {r['peak']:.0f}); "
        f"cache behind its platform by {lags[len(lags) // 2]} reports (median), "
        f"{lags[-1]} at most (~{lags[-1] / r['rate']:.1f} s)"
    )


def main(n: int, rate: float, duration: float) -> None:
    fleet = subprocess.Popen(
        [sys.executable, __file__, "--fleet", str(n), str(rate)], stdout=subprocess.PIPE, text=True
    )
    try:
        accounts = json.loads(fleet.stdout.readline())
        tmp = Path(tempfile.mkdtemp(prefix="bench-accounts-"))
        one = run(accounts[:1], [], duration, tmp / "one", rate)
        every = run(accounts, ["--all"], duration, tmp / "all", rate)
        show("baseline, 1 account", one)
        show(f"poll --all, {n} accounts", every)
        print(
            f"ratios: CPU {every['cpu'] / max(one['cpu'] * n, 1e-9):.2f} of {n}x the baseline; "
            f"RSS {every['rss'] / one['rss']:.2f}x the baseline"
        )
    finally:
        fleet.terminate()
        fleet.wait(30)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--fleet"]:
        fleet_main(int(sys.argv[2]), float(sys.argv[3]))
    else:
        numbers = [float(a) for a in sys.argv[1:]]
        n, rate, duration = (numbers + [20, 50, 30][len(numbers) :])[:3]
        main(int(n), rate, duration)
