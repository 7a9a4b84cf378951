"""Several accounts in one process, for the demo, tests and benchmarks of ``poll --all``.

Each account is a :class:`~.simulator.Simulator` of its own (platform, port, traffic,
scenario), so one account's outage or empty balance never touches the others, as on the
real platform, where accounts are apart.  :func:`fleet_scenarios` gives the demo's accounts
their states in turn: healthy, in a carrier outage, running out of balance; each has two
sub-accounts (§11) sending part of its traffic, the second one locked.

>>> async with Fleet(3) as fleet:   # started
...     urls = [sim.base_url for sim in fleet.simulators]

The profiles that point at a fleet are built above the simulator
(:func:`fivec_tui.app.demo.simulated_profiles`, from what ``fivec-tui sim --json`` says): it
knows nothing of the client's config.
"""

from __future__ import annotations

import copy
import hashlib
from decimal import Decimal

from .scenario import Phase, Scenario, load
from .simulator import Simulator
from .state import Account

#: The demo's accounts in turn: name, state.
STATES = (("verify", "healthy"), ("notify", "outage"), ("market", "low balance"))
OUTAGE_MIX = {"DELIVRD": 0.3, "MA:0054": 0.45, "MB:1041": 0.15, "UNDELIV": 0.1}
#: Units left on the account running out: at the demo's traffic (a third of it on the main
#: account, about 4 units a second) it runs out in about 10 minutes, so the "runs out within
#: a day" alert fires once the burn is known (a minute), and "below 1,000" after ~6 minutes.
LOW_BALANCE = 2400


def account_name(i: int) -> str:
    """``verify``, ``notify``, ``market``, then ``acct4``, ``acct5`` ..."""
    return STATES[i][0] if i < len(STATES) else f"acct{i + 1}"


def fleet_scenarios(
    n: int, base: str | Scenario = "demo", *, rate: float | None = None, states: bool = True
) -> list[Scenario]:
    """``n`` scenarios from ``base``, one account each with its own credentials; with
    ``states``, the demo's (:data:`STATES`) in turn; ``rate``: traffic per second, overriding
    the base's."""
    template = load(base) if isinstance(base, str) else base
    out = []
    for i in range(n):
        sc = copy.deepcopy(template)
        name = account_name(i)
        password = f"{name}pass{i + 1}"
        sc.name = f"{template.name}-{name}"
        sc.account = {
            **sc.account,
            "username": name,
            "password": password,
            "password_md5": hashlib.md5(password.encode()).hexdigest(),
            "apikey": hashlib.md5(f"apikey:{name}".encode()).hexdigest(),
        }
        if rate is not None:
            sc.traffic_rate = rate
        if not states:
            out.append(sc)
            continue
        state = STATES[i % len(STATES)][1]
        sc.phases = []  # healthy, unless its state says otherwise
        if state == "outage":
            sc.phases = [Phase("carrier outage", 20.0, 7 * 86400.0, (), dict(OUTAGE_MIX))]
        elif state == "low balance":
            sc.account["balance"] = LOW_BALANCE
        out.append(sc)
    return out


class Fleet:
    """``n`` simulated accounts, each on its own port, in the running event loop."""

    def __init__(
        self,
        n: int = 3,
        *,
        scenario: str | Scenario = "demo",
        seed: int = 0,
        speed: float | None = None,
        rate: float | None = None,
        host: str = "127.0.0.1",
        subaccounts: bool = True,
        traffic: bool = True,
        states: bool = True,
    ) -> None:
        self.simulators = [
            Simulator(sc, host=host, seed=seed + i, speed=speed, traffic=traffic)
            for i, sc in enumerate(fleet_scenarios(n, scenario, rate=rate, states=states))
        ]
        if subaccounts:
            for sim in self.simulators:
                add_subaccounts(sim)

    async def start(self) -> Fleet:
        for sim in self.simulators:
            await sim.start()
        return self

    async def stop(self) -> None:
        for sim in self.simulators:
            await sim.stop()

    async def __aenter__(self) -> Fleet:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def add_subaccounts(sim: Simulator) -> None:
    """Two sub-accounts sending a third of the traffic each; the second one locked."""
    platform, main = sim.platform, sim.platform.main
    children = []
    for k in (1, 2):
        name = f"{main.username}sub{k}"
        children.append(
            Account(
                name,
                hashlib.md5(f"{name}pass".encode()).hexdigest(),
                hashlib.md5(f"apikey:{name}".encode()).hexdigest(),
                Decimal(5000 * k),
                Decimal(5000 * k),
                parent=main.username,
            )
        )
        platform.add_account(children[-1])
    children[1].blocked = True
    platform.senders = [main, *children]
