"""A bulk send killed (SIGKILL) mid-request left its campaign ``sending`` for ever in every
listing.  Now the next look (``campaign list``, ``campaign show``, ``doctor``) shows it
``interrupted``, with the command that resumes it; resuming finishes it as before."""

from __future__ import annotations

import asyncio
import json
import signal

from clirun import start

from fivec_tui.sim import Simulator
from fivec_tui.sim.scenario import load

ROWS = 600
CONTENT = "{name}您好，您的订单已发货【美联软通】"


async def _cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await start(env, *args, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def test_a_campaign_killed_mid_send_shows_interrupted_and_resumes(tmp_path, poll_env):
    path = tmp_path / "customers.csv"
    lines = ["mobile,name"] + [f"13{i % 7 + 3}{i:08d},客户{i}" for i in range(ROWS)]
    path.write_text("\n".join(lines), encoding="utf-8")
    scenario = load("quiet")
    scenario.account["balance"] = scenario.account["total"] = 10**9
    async with Simulator(scenario, seed=4, traffic=False) as sim:
        env = poll_env(sim)
        sim.server.faults = {"batch": {"timeout": 1.0, "hang_s": 5}}  # no answer before the kill
        # two requests of 300: one in flight when killed, one never submitted
        send = ["send", "--csv", str(path), "--content", CONTENT, "--rate", "300", "--yes"]
        proc = await start(env, *send, stderr=asyncio.subprocess.STDOUT)
        for _ in range(600):
            if sim.server.requests.get("batch", 0):
                break
            await asyncio.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        sim.server.faults = {}

        code, out = await _cli(env, "campaign", "list")
        assert code == 0 and "  interrupted  " in out and "  sending  " not in out
        assert "`fivec-tui campaign resume 1`" in out
        code, out = await _cli(env, "campaign", "list", "--json")
        assert json.loads(out)[0]["state"] == "interrupted"
        code, out = await _cli(env, "campaign", "show", "1")
        assert "campaign 1 (interrupted)" in out and "campaign resume 1" in out
        code, out = await _cli(env, "doctor", "--json")
        (problem,) = [c for c in json.loads(out)["checks"] if c["check"] == "campaigns"]
        assert problem["status"] == "problem" and "campaign resume 1" in problem["fix"]

        code, out = await _cli(env, "campaign", "resume", "1", "--yes", "--settle-after", "0")
        assert code == 0, out[-2000:]
        code, out = await _cli(env, "campaign", "list")
        assert "  done  " in out and "interrupted" not in out
    assert set(sim.platform.submissions.values()) == {1}  # resumed, never sent twice
