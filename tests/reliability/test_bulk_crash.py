"""SIGKILL a 20,000-row bulk send at random moments, resume it each time: nothing is lost and
nothing is sent twice.

After every kill the simulator's count of submissions per number is exactly 1 for every row the
journal calls accepted, 0 for every row it calls planned or failed, and 0 or 1 for the rows it
calls unknown (the request in flight when the process died: its answer never came).  Those are
then settled from the send records by the last resume: a row the records show is accepted with
the record's msgid and not sent again; a row they don't show is sent.  In the end every number
was submitted exactly once.  FIVEC_BULK_KILLS sets the number of kills (default 10).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal

from clirun import start

from fivec_tui.sim import Simulator
from fivec_tui.sim.scenario import load
from fivec_tui.store import Store

KILLS = int(os.environ.get("FIVEC_BULK_KILLS", "10"))
ROWS = 20_000
CONTENT = "{name}您好，您的订单已发货【美联软通】"


async def _request_in_flight(sim) -> None:
    """Return once the simulator has taken a batch request whose answer it holds back: the
    send went out, and a kill now leaves the client without its answer (outcome unknown)."""
    seen = sim.server.requests.get("batch", 0)
    sim.server.faults = {"batch": {"timeout": 1.0, "hang_s": 5}}
    for _ in range(600):
        if sim.server.requests.get("batch", 0) > seen:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no batch request reached the simulator within 30 s")


def _journal(db) -> dict[str, tuple[str, str | None]]:
    """mobile → (state, settled) of every row, or {} before the campaign exists."""
    store = Store(db)
    try:
        assert store.integrity_ok()
        rows = store.query("SELECT mobile, state, settled FROM campaign_rows WHERE campaign_id = 1")
    finally:
        store.close()
    return {r["mobile"]: (r["state"], r["settled"]) for r in rows}


def _check(journal: dict, counts) -> None:
    for mobile, (state, _settled) in journal.items():
        n = counts.get(mobile, 0)
        if state == "accepted":
            assert n == 1, (mobile, state, n)
        elif state in ("planned", "failed"):
            assert n == 0, (mobile, state, n)
        else:
            assert state in ("unknown", "sending") and n in (0, 1), (mobile, state, n)


async def test_sigkill_and_resume_never_sends_twice(tmp_path, poll_env):
    path = tmp_path / "customers.csv"
    lines = ["mobile,name"] + [f"13{i % 7 + 3}{i:08d},客户{i}" for i in range(ROWS)]
    path.write_text("\n".join(lines), encoding="utf-8")
    scenario = load("quiet")
    scenario.account["balance"] = scenario.account["total"] = 10**9
    rng = random.Random(18)
    db = tmp_path / "c.db"
    async with Simulator(scenario, seed=18, traffic=False) as sim:
        env = poll_env(sim)
        sim.server.faults = {"batch": {"latency_ms": 150}}
        send = ["send", "--csv", str(path), "--content", CONTENT, "--rate", "1000", "--yes"]
        # While killing, unknown rows are left unknown: the last resume settles them.
        resume = ["campaign", "resume", "1", "--yes", "--settle-after", "86400"]
        for kill in range(KILLS):
            started = db.exists() and _journal(db)
            proc = await start(
                env, *(resume if started else send), stderr=asyncio.subprocess.DEVNULL
            )
            if kill == KILLS // 2:
                await _request_in_flight(sim)  # at least one kill lands on an open request
            else:
                await asyncio.sleep(rng.uniform(0.5, 3.0))
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            _check(_journal(db), sim.platform.submissions)
            sim.server.faults = {"batch": {"latency_ms": 150}}
        before = _journal(db)
        unknown = {m for m, (state, _s) in before.items() if state in ("unknown", "sending")}
        assert unknown, "no kill landed on a request in flight: the test proves nothing"
        assert len(before) == ROWS
        went = {m for m in unknown if sim.platform.submissions.get(m)}

        finish = ("campaign", "resume", "1", "--yes", "--settle-after", "0", "--json")
        proc = await start(env, *finish, stderr=asyncio.subprocess.DEVNULL)
        out, _ = await proc.communicate()
        assert proc.returncode == 0, out[-2000:]
        events = [json.loads(line) for line in out.decode().splitlines()]
        assert events[0]["event"] == "settled"
        assert (events[0]["sent"], events[0]["unsent"]) == (len(went), len(unknown - went))

    after = _journal(db)
    assert {state for state, _s in after.values()} == {"accepted"}
    counts = sim.platform.submissions
    assert len(counts) == ROWS and set(counts.values()) == {1}  # nothing lost, nothing doubled
    for mobile in unknown:  # settled by the records, not by a guess
        assert after[mobile][1] == ("sent" if mobile in went else "unsent")
