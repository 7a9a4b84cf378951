"""Soak: the poll daemon against the simulator's ``flood`` scenario, measured as it runs.

    .venv/bin/python tests/reliability/soak.py --minutes 60

Every 30 s it prints the poller's memory (RSS) and CPU use, how far the cache trails what the
simulator handed out (ingest lag), and at the end what was lost (served but not cached).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from fivec_tui.sim import Simulator
from fivec_tui.sim.scenario import load
from fivec_tui.store import Store


def _proc(pid: int) -> tuple[float, float]:
    """RSS in MB and CPU seconds of a process, from /proc."""
    rss = (
        next(
            int(line.split()[1])
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )
        / 1024
    )
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return rss, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def soak(minutes: float, every: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="fivec-soak-"))
    (tmp / "config.toml").write_text("[profiles.default.intervals]\nreports = 1\nrecords = 5\n")
    async with Simulator(load("flood"), seed=1) as sim:
        a = sim.account
        env = {
            **os.environ,
            "FIVEC_CONFIG": str(tmp / "config.toml"),
            "FIVEC_DB": str(tmp / "c.db"),
            "FIVEC_BASE_URL": sim.base_url,
            "FIVEC_USERNAME": a.username,
            "FIVEC_PASSWORD_MD5": a.password_md5,
            "FIVEC_APIKEY": a.apikey,
        }
        poller = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "fivec_tui",
            "poll",
            "--yes",
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        start, rows = time.time(), []
        print(f"{'t (s)':>6} {'RSS MB':>7} {'CPU %':>6} {'served':>9} {'cached':>9} {'lag':>7}")
        last_cpu, last_t = 0.0, start
        while time.time() - start < minutes * 60:
            await asyncio.sleep(every)
            rss, cpu = _proc(poller.pid)
            now = time.time()
            store = Store(tmp / "c.db", readonly=True)
            cached = store.scalar("SELECT count(*) FROM reports")
            store.close()
            served = len(sim.platform.served)
            rows.append((now - start, rss, 100 * (cpu - last_cpu) / (now - last_t), served, cached))
            last_cpu, last_t = cpu, now
            print(
                f"{rows[-1][0]:6.0f} {rss:7.1f} {rows[-1][2]:6.1f} {served:9d} {cached:9d} {served - cached:7d}"
            )
        sim._task.cancel()  # traffic stops; give the poller time to drain
        await asyncio.sleep(5)
        poller.send_signal(signal.SIGTERM)
        code = await poller.wait()
        store = Store(tmp / "c.db", readonly=True)
        cached = {
            (r["msgid"], r["mobile"]) for r in store.query("SELECT msgid, mobile FROM reports")
        }
        lost = {(s.msgid, s.mobile) for s in sim.platform.served} - cached
        print(
            f"\n{minutes:g} min: {len(sim.platform.served)} reports served "
            f"({len(sim.platform.served) / (minutes * 60):.0f}/s), {len(lost)} lost; poller exit {code}; "
            f"RSS {rows[0][1]:.0f} -> {rows[-1][1]:.0f} MB (max {max(r[1] for r in rows):.0f}); "
            f"CPU {sum(r[2] for r in rows) / len(rows):.0f}% on average; "
            f"max lag {max(r[3] - r[4] for r in rows)} reports; integrity {store.integrity_ok()}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--every", type=float, default=30)
    args = parser.parse_args()
    asyncio.run(soak(args.minutes, args.every))
