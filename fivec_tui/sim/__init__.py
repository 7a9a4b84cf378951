"""A stand-in for the 5c platform on loopback, for the demo, tests and benchmarks.

>>> async with Simulator("demo", seed=1) as sim:
...     print(sim.base_url, sim.account)

It writes the wire formats with its own code (:mod:`fivec_tui.sim.wire`), never the client's
parsers, so that each checks the other.  aiohttp loads with :class:`Simulator`, not with the
package, so that reading a scenario stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .scenario import Scenario, ScenarioError

if TYPE_CHECKING:
    from .simulator import DemoAccount, Simulator

__all__ = ["DemoAccount", "Scenario", "ScenarioError", "Simulator"]


def __getattr__(name: str):
    if name in ("Simulator", "DemoAccount"):
        from . import simulator

        return getattr(simulator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
