"""Alert rules evaluated over the cache and the other jobs' health; events go to the sinks.

Evaluation (:class:`..alerts.Alerter`, which also stores each event) runs off the loop;
delivery is :class:`..sinks.Sinks`'s.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..engine import Engine


async def run(engine: Engine) -> int:
    if engine.alerter is None or engine.sinks is None:
        return 0
    states = {name: state for name, state in engine.jobs.items() if name != "alerts"}
    events = await asyncio.to_thread(engine.alerter.evaluate, states)
    await engine.sinks.send(events)
    return len(events)
