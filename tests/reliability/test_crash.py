"""SIGKILL a real `fivec-tui poll` at random moments while the simulator serves; restart it.

What must hold after every kill: the database passes integrity_check. At the end, after a
final drain: every report chunk the simulator handed out is in the cache exactly once, except
at most one chunk per kill (the request in flight: the protocol has no acknowledgement), which
the reports reconcile then recovers; and every reply is there exactly once, those taken by a
consuming read whose run was killed before committing it included (the next start reads them
again by time, through queryByCondition).  Set FIVEC_CRASH_KILLS for a longer run (default 50).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys

from fivec_tui.api import FivecClient
from fivec_tui.config import Profile
from fivec_tui.sim import Simulator
from fivec_tui.sim.scenario import load
from fivec_tui.store import Store
from fivec_tui.store.journaling import read_body
from fivec_tui.sync import Engine

KILLS = int(os.environ.get("FIVEC_CRASH_KILLS", "20"))


CONFIG = "[profiles.default.intervals]\nreports = 0.2\nreplies = 0.3\nrecords = 1\nbalance = 5\n"


async def _poll(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fivec_tui",
        "poll",
        "--yes",
        *args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_sigkill_loses_at_most_the_chunk_in_flight(tmp_path, poll_env):
    scenario = load("quiet")
    scenario.traffic_rate, scenario.chunk, scenario.delay_median = 150.0, 40, 0.05
    scenario.reply_rate, scenario.reply_pool = 8.0, ("好的", "TD", "收到，谢谢")
    scenario.account["balance"] = scenario.account["total"] = 10**9
    rng = random.Random(5)
    async with Simulator(scenario, seed=5) as sim:
        env = poll_env(sim, CONFIG)
        for _ in range(KILLS):
            proc = await _poll(env)
            await asyncio.sleep(rng.uniform(0.3, 1.5))
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            store = Store(tmp_path / "c.db")
            assert store.integrity_ok()
            store.close()
        sim._task.cancel()  # traffic stops; what is queued is drained below
        await asyncio.sleep(0.3)
        sim.platform.release_due()
        proc = await _poll(env, "--once")
        assert await proc.wait() == 0
        lost_before = _lost_reports(sim, tmp_path)
        # What the crashes left pending is recovered by asking per number.
        a = sim.account
        profile = Profile("t", a.username, a.password_md5, a.apikey, base_url=sim.base_url)
        async with FivecClient(profile.credentials, sim.base_url) as client:
            engine = Engine(profile, Store(tmp_path / "c.db"), client, reconcile_after_s=0)
            assert engine.consent  # remembered from the poller's --yes
            await engine.run_job("reconcile")
            assert engine.jobs["reconcile"].failures == 0
        assert _lost_reports(sim, tmp_path) == set()

    store = Store(tmp_path / "c.db")
    cached = {(r["msgid"], r["mobile"]) for r in store.query("SELECT msgid, mobile FROM reports")}
    assert store.scalar("SELECT count(*) FROM reports") == len(cached)
    cached -= lost_before  # judge the chunks as the poller alone left them
    served, missing_chunks, i = sim.platform.served, 0, 0
    assert served, "the simulator served nothing: the test proves nothing"
    for size in sim.platform.served_chunks:
        chunk = {(s.msgid, s.mobile) for s in served[i : i + size]}
        i += size
        present = chunk & cached
        assert present in (set(), chunk), "a chunk was half stored"
        missing_chunks += not present
    assert missing_chunks <= KILLS
    assert cached <= {(s.msgid, s.mobile) for s in served}

    replies = {r["reply_id"] for r in store.query("SELECT reply_id FROM replies")}
    lost = {r.reply_id for r in sim.platform.replies} - replies
    assert lost == set()
    assert store.scalar("SELECT count(*) FROM replies") == len(replies)
    # In no journaled pull body: taken by a consuming read whose run died before committing
    # it, with no debug=1 read before; only the reply reconcile read them.
    pulled = "|||".join(
        read_body(store, r["id"])
        for r in store.query("SELECT id FROM journal WHERE stream = 'replies'")
    )
    recovered = sum(f",{r.reply_id}," not in pulled for r in sim.platform.replies)
    print(
        f"\n{KILLS} kills: {len(served)} reports in {len(sim.platform.served_chunks)} chunks, "
        f"{missing_chunks} chunks lost in flight ({len(lost_before)} reports, all recovered by "
        f"reconcile); {len(sim.platform.replies)} replies, {recovered} of them recovered by the "
        f"reply reconcile, {len(lost)} lost"
    )


def _lost_reports(sim: Simulator, tmp_path) -> set[tuple[str, str]]:
    store = Store(tmp_path / "c.db")
    cached = {(r["msgid"], r["mobile"]) for r in store.query("SELECT msgid, mobile FROM reports")}
    store.close()
    return {(s.msgid, s.mobile) for s in sim.platform.served} - cached


async def test_sigkill_while_receiving_and_forwarding_pushes(tmp_path, poll_env, sink):
    """Pushes in, forwards out, SIGKILL in between: every report pushed and answered is
    stored once, and every accepted body reaches downstream (again only after a kill)."""
    target, received = sink.url, sink.forms
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "k" * 24
    scenario = load("quiet")
    scenario.traffic_rate, scenario.delay_median, scenario.push_reports = 100.0, 0.05, True
    scenario.push_format = "json"
    scenario.account["balance"] = scenario.account["total"] = 10**9
    kills = max(KILLS // 2, 5)
    rng = random.Random(8)
    async with Simulator(scenario, seed=8) as sim:
        sim.server.push_urls["report"] = f"http://127.0.0.1:{port}/push/{token}/reports"
        env = poll_env(
            sim,
            "[profiles.default.streams]\nreports = 'push'\nreplies = 'off'\n"
            f"[profiles.default.push]\nlisten = '127.0.0.1:{port}'\ntoken = '{token}'\n"
            f"[profiles.default.push.forward]\nreports = ['{target}']\n",
        )
        for _ in range(kills):
            proc = await _poll(env)
            await asyncio.sleep(rng.uniform(0.5, 1.5))
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            store = Store(tmp_path / "c.db")
            assert store.integrity_ok()
            store.close()
        sim._task.cancel()
        proc = await _poll(env)  # a last, undisturbed run drains the platform and the queue
        drain = asyncio.create_task(sim.traffic._push_loop())
        for _ in range(200):
            await asyncio.sleep(0.1)
            store = Store(tmp_path / "c.db")
            queued = store.scalar("SELECT count(*) FROM forward_queue WHERE state = 'queued'")
            store.close()
            if (
                not sim.platform.pushed_reports
                and not sim.traffic.in_flight["report"]
                and not queued
            ):
                break
        drain.cancel()
        proc.send_signal(signal.SIGTERM)
        assert await proc.wait() == 0

    released = {
        (r[1], r[2]) for reports in sim.platform.reports_by_mobile.values() for r in reports
    }
    store = Store(tmp_path / "c.db")
    cached = [(r["msgid"], r["mobile"]) for r in store.query("SELECT msgid, mobile FROM reports")]
    assert released and set(cached) == released and len(cached) == len(released)
    pushed = store.query("SELECT id FROM journal WHERE source = 'push'")
    bodies = [read_body(store, r["id"]) for r in pushed]
    received = [f["data"] for f in received]
    assert set(received) == set(bodies)  # everything accepted went downstream
    assert len(received) - len(set(received)) <= kills  # repeats only where a kill cut a forward
    print(
        f"\n{kills} kills: {len(released)} reports pushed, all stored once; {len(set(bodies))} bodies "
        f"forwarded, {len(received) - len(set(received))} twice"
    )
