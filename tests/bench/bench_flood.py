"""Benchmark (not a test): can one poller keep up with the simulator's `flood` scenario?

Runs the flood scenario (600 messages/s of background traffic) for DURATION seconds with one
engine pulling reports and records as fast as it is allowed, then reports what the simulator
generated, served, and what landed in the cache, as rates and as a ratio.

    .venv/bin/python tests/bench/bench_flood.py [seconds]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from fivec_tui.api import FivecClient
from fivec_tui.config import Profile
from fivec_tui.sim import Simulator
from fivec_tui.store import Store
from fivec_tui.sync import Engine


async def main(duration: float) -> None:
    async with Simulator("flood", seed=1) as sim:
        a = sim.account
        profile = Profile("bench", a.username, a.password_md5, a.apikey, base_url=sim.base_url)
        profile.intervals = {"reports": 0.5, "replies": 2.0, "records": 5.0, "balance": 30.0}
        store = Store(Path(tempfile.mkdtemp()) / "bench.db")
        async with FivecClient(profile.credentials, sim.base_url) as client:
            engine = Engine(profile, store, client, consent=True)
            start = time.perf_counter()
            await engine.start()
            await asyncio.sleep(duration)
            await engine.stop()
            elapsed = time.perf_counter() - start
        generated = sim.platform.counters.get("sent_recipients", 0)
        served = len(sim.platform.served)
        cached = store.scalar("SELECT count(*) FROM reports")
        print(
            f"{elapsed:.1f}s: generated {generated / elapsed:.0f} msg/s, served "
            f"{served / elapsed:.0f} reports/s, cached {cached / elapsed:.0f} reports/s; "
            f"cached/served {cached / max(served, 1):.3f}; reports failures "
            f"{engine.jobs['reports'].failures}"
        )


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 20.0))
