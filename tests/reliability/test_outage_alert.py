"""The demo scenario's carrier outage, end to end: the delivery-rate alert fires, repeats on its
interval, and resolves after recovery; the command and the webhook hear each event once.
China Mobile's own alert names it.

The scenario runs 60x faster (outage from 3 s to 6 s); resolving waits until the outage's
minutes weigh little enough in the rule's window (the cache starts empty: the window holds
what came since the start), so this takes about 15 s: firing near 5 s, repeating every
:data:`REPEAT_S`, resolved near 14 s.
"""

from __future__ import annotations

import asyncio
import itertools
import time

from fivec_tui.api.client import FivecClient
from fivec_tui.config import Profile
from fivec_tui.sim import Simulator
from fivec_tui.sim.scenario import load
from fivec_tui.store import Store
from fivec_tui.sync import Engine
from fivec_tui.sync.alerts import for_profile

#: The alert's repeat interval: a few repeats fit between firing and resolving.
REPEAT_S = 3.0


async def _until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.5)
    return False


async def test_demo_outage_fires_repeats_and_resolves(tmp_path, sink):
    hooks = sink.json
    out = tmp_path / "command.log"

    scenario = load("demo")
    scenario.speed, scenario.traffic_rate = 60.0, 20.0
    async with Simulator(scenario, seed=9) as sim:
        a = sim.account
        profile = Profile("demo", a.username, a.password_md5, a.apikey, base_url=sim.base_url)
        profile.intervals = {"reports": 0.5, "replies": 2.0, "records": 1.0, "balance": 5.0}
        profile.alerts = {
            "interval_s": 1.0,
            "rate_window_s": 60.0,
            "rate_below": 0.9,
            "rate_min_volume": 30,
            "baseline_days": 0,
            "repeat_s": REPEAT_S,
            "resolve_after_s": 0,
            "spike_families": [],
            "pending_above": 10**6,
            "command": f'echo "$FIVEC_ALERT_STATE $FIVEC_ALERT_RULE $FIVEC_ALERT_KEY" >> {out}',
            "webhook": sink.url,
        }
        store = Store(tmp_path / "c.db")
        async with FivecClient(profile.credentials, sim.base_url) as client:
            engine = Engine(
                profile, store, client, consent=True, alerter=for_profile(profile, store)
            )
            await engine.start()

            def states() -> list[str]:
                return [
                    h["state"] for h in hooks if h["rule"] == "delivery_rate" and not h["carrier"]
                ]

            assert await _until(lambda: "firing" in states(), 60), "the outage did not fire"
            assert await _until(lambda: "repeat" in states(), 15)
            assert await _until(lambda: "resolved" in states(), 200), "no recovery"
            await engine.stop()

    events = [h for h in hooks if h["rule"] == "delivery_rate" and not h["carrier"]]
    carriers = {h["carrier"] for h in hooks if h["rule"] == "delivery_rate" and h["carrier"]}
    assert carriers == {"mobile"}  # the outage is China Mobile's: named in its own alert
    assert states()[0] == "firing" and states()[-1] == "resolved"
    assert states().count("firing") == 1 and states().count("resolved") == 1
    repeats = [h["at"] for h in events if h["state"] in ("firing", "repeat")]
    assert all(b - a >= REPEAT_S for a, b in itertools.pairwise(repeats))
    assert min(h["value_rate"] for h in events if h["state"] == "firing") < 0.9
    lines = [line for line in out.read_text().splitlines() if line.endswith("delivery_rate all")]
    assert [line.split()[0] for line in lines] == states()  # the command heard the same, once each
