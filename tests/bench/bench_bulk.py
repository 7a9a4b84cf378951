"""Benchmark (not a test): a 20,000-recipient bulk send vs one request per recipient.

Both against the simulator on loopback, in the same run.  The bulk send goes the whole way
(file read, validation, journal, paced requests of up to §3.7's 10,000 numbers, results file)
at a configured rate; the baseline is what a loop in a script does: one ``send`` per recipient,
as fast as the platform answers (unpaced, which only flatters it), over ``baseline`` recipients.
Figures: recipients a second each way and their ratio (target 20x), and the highest rate the
simulator saw between any two request arrivals (must stay at or under the configured rate:
the pacer lets a request start only when the ones before it are spread at the rate).

    .venv/bin/python tests/bench/bench_bulk.py [rate] [rows] [baseline]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from fivec_tui.api import Credentials, FivecClient
from fivec_tui.sim import Simulator
from fivec_tui.sim.scenario import load
from fivec_tui.store import Store
from fivec_tui.store.audit import Actor
from fivec_tui.store.auditor import Auditor
from fivec_tui.sync.bulk.prepare import create, prepare
from fivec_tui.sync.bulk.run import Runner

CONTENT = "您的快递已到驿站，请凭取件码取件。【美联软通】"


def highest_rate(arrivals: list[tuple[float, int]]) -> float:
    """Messages a second between request arrivals: the most over any run of requests, each
    run counted from its first request's arrival to the arrival of the one after its last."""
    best = 0.0
    for i in range(len(arrivals)):
        sent = 0
        for j in range(i + 1, len(arrivals)):
            sent += arrivals[j - 1][1]
            gap = arrivals[j][0] - arrivals[i][0]
            best = max(best, sent / gap if gap > 0 else float("inf"))
    return best


async def main(rate: float, rows: int, baseline: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    path = tmp / "in.csv"
    path.write_text(
        "\n".join(["mobile"] + [f"13{i % 7 + 3}{i:08d}" for i in range(rows)]), encoding="utf-8"
    )
    scenario = load("quiet")
    scenario.account["balance"] = scenario.account["total"] = 10**9
    async with Simulator(scenario, seed=1, traffic=False) as sim:
        a = sim.account
        creds = Credentials(a.username, a.password_md5, a.apikey)
        async with FivecClient(creds, sim.base_url) as client:
            start = time.perf_counter()
            for i in range(baseline):
                await client.send([f"15{i:09d}"], CONTENT)
            one_each = baseline / (time.perf_counter() - start)

            sim.platform.messages.clear()
            store = Store(tmp / "c.db")
            start = time.perf_counter()
            prepared = prepare(path, encode="UTF-8", content=CONTENT, rate=rate)
            cid = create(store, prepared)
            runner = Runner(
                store, client, cid, rate=rate, audit=Auditor(store, Actor("bulk"), "b", "u")
            )
            state = await runner.run()
            runner.write_results()
            bulk = rows / (time.perf_counter() - start)
    arrivals = sorted((m.sent_at, len(m.mobiles)) for m in sim.platform.messages.values())
    peak = highest_rate(arrivals)
    doubled = sum(1 for n in sim.platform.submissions.values() if n > 1)
    print(
        f"bulk: {rows:,} recipients in {len(arrivals)} requests, {state}, {bulk:,.0f}/s "
        f"(whole run: read, validate, journal, send, results)"
    )
    print(f"one request per recipient: {one_each:,.0f}/s over {baseline:,}")
    print(f"ratio {bulk / one_each:.1f}x (target 20x)")
    print(f"configured rate {rate:,.0f}/s; highest seen between request arrivals {peak:,.0f}/s")
    print(f"numbers submitted twice: {doubled}")


if __name__ == "__main__":
    asyncio.run(
        main(
            float(sys.argv[1]) if len(sys.argv) > 1 else 20_000,
            int(sys.argv[2]) if len(sys.argv) > 2 else 20_000,
            int(sys.argv[3]) if len(sys.argv) > 3 else 2_000,
        )
    )
