"""A ``send`` process SIGKILLed while the simulator holds its answer: the request went out,
its outcome never came.  The audit trail keeps the pending entry written before the request
left, ``audit`` shows it as pending, the chain still verifies, and the duplicate guard counts
it as a send that may have gone out."""

from __future__ import annotations

import asyncio
import json
import signal

from clirun import start

from fivec_tui.sim import Simulator

TEXT = "验证码1234【美联软通】"


async def _until(predicate, timeout: float = 30.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_a_send_killed_in_flight_leaves_a_pending_entry_that_audit_shows(poll_env):
    async with Simulator("quiet", seed=5, traffic=False) as sim:
        env = poll_env(sim)
        sim.server.faults = {"send": {"timeout": 1.0, "hang_s": 5}}
        proc = await start(env, "send", "--to", "13800138000", "--content", TEXT, "--yes")
        # The simulator took the send (the message exists) and holds the answer back.
        await _until(lambda: sim.server.requests.get("send", 0) == 1 and sim.platform.messages)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        sim.server.faults = {}

        audit = await start(env, "audit", "--json")
        out, err = await audit.communicate()
        assert audit.returncode == 0, err
        (action,) = json.loads(out)
        assert (action["action"], action["outcome"], action["done_id"]) == ("send", "pending", None)
        assert (action["mobiles"], action["text"], action["path"]) == (["13800138000"], TEXT, "cli")

        text = await start(env, "audit")
        out, _ = await text.communicate()
        assert " send  pending  13800138000: " in out.decode()

        verify = await start(env, "audit", "--verify")
        out, _ = await verify.communicate()
        assert verify.returncode == 0 and "verified: 1 entries" in out.decode()

        # It may have gone out (it did): the same text is refused, naming the pending send.
        again = await start(env, "send", "--to", "13800138000", "--content", TEXT, "--yes")
        _, err = await again.communicate()
        assert again.returncode == 2 and "no msgid" in err.decode()
        assert len(sim.platform.messages) == 1
