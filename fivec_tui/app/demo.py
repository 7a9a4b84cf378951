"""The demo: the TUI on the built-in simulator, with throw-away caches, no account needed.

It runs the product's one sync path: the simulator is ``fivec-tui sim`` in a process of its
own, and one ``fivec-tui poll`` keeps the caches current as it would for a real account.
Both start after the app's first frame, from a 0700 temporary directory that holds the caches
and a 0600 config with the simulated accounts' credentials (never on a command line).  The
simulator is driven over its control endpoint (:class:`SimControl`), whose token only the
app knows.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from ..config import Alerts, Profile
from ..i18n import _
from ..sim.scenario import load as load_scenario
from ..store import Store
from .app import FivecApp
from .demo_dirs import PREFIX, demo_dir
from .link import Hosted
from .run import connect, make_clients

#: Seconds between runs of each job in the demos, short enough to show change within a minute.
DEMO_INTERVALS = {"reports": 2.0, "replies": 3.0, "records": 5.0, "balance": 10.0}
DEMO_INTERVALS["subaccounts"] = 30.0
#: Where the demo's base URL points until its simulator has said its own.
STARTING_URL = "http://127.0.0.1 (simulator starting)"


class SimControl:
    """The demo's simulator (each account's, for several), over ``/_sim/state`` and
    ``/_sim/control`` (see :mod:`fivec_tui.sim.server`)."""

    def __init__(self, urls: list[str], token: str) -> None:
        self.urls, self.token = urls, token

    async def _call(self, method: str, path: str, account: int, doc: Any = None) -> dict:
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(base_url=self.urls[account], timeout=30) as http:
            response = await http.request(method, path, json=doc, headers=headers)
        response.raise_for_status()
        return response.json()

    async def state(self, account: int = 0) -> dict:
        """Its counters: requests, reports served, replies, balance ..."""
        return await self._call("GET", "/_sim/state", account)

    async def control(self, doc: dict, account: int = 0) -> dict:
        """Faults, a reply, push URLs; the messages asked for (see ``SimServer.control``)."""
        return await self._call("POST", "/_sim/control", account, doc)

    async def add_reply(self, mobile: str, content: str, account: int = 0) -> None:
        await self.control({"reply": {"mobile": mobile, "content": content}}, account)

    async def messages(self, *msgids: str, account: int = 0) -> dict[str, dict]:
        """The messages sent with those msgids, as the platform holds them."""
        return (await self.control({"messages": list(msgids)}, account))["messages"]


def demo_env(tmp: Path) -> dict[str, str]:
    """The children's environment: none of the person's ``FIVEC_*`` settings (they are for
    their own account), and the data directory (``poll --all``'s caches) in ``tmp``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIVEC_")}
    return env | {"XDG_DATA_HOME": str(tmp)}


def fivec(*args: str) -> list[str]:
    return [sys.executable, "-m", "fivec_tui", *args]


async def start_simulator(app: FivecApp, tmp: Path, args: list[str]) -> list[dict[str, str]]:
    """``fivec-tui sim`` as the app's child; its accounts (username, password_md5, apikey,
    base_url), read from the one line it prints."""
    child = await app.link.start(
        "sim", fivec("sim", "--json", "--stop-on-eof", *args), demo_env(tmp), stdout=True
    )
    line = await child.first_line(timeout=60)
    try:
        said = json.loads(line)
        accounts, token = said["accounts"], said["token"]
    except (ValueError, KeyError, TypeError):
        raise RuntimeError(f"the simulator said {line[:200]!r}") from None
    app.simulator = SimControl([a["base_url"] for a in accounts], token)
    return accounts


def simulated_profiles(
    accounts: list[dict[str, str]], intervals: dict[str, float] | None = None
) -> list[Profile]:
    """A profile per simulated account (``start_simulator``), named as the account."""
    out = []
    for a in accounts:
        profile = Profile(a["username"], a["username"], a["password_md5"], a["apikey"])
        profile.base_url = a["base_url"]
        if intervals:
            profile.intervals = {**profile.intervals, **intervals}
        out.append(profile)
    return out


def alerts_table(alerts: Alerts | dict) -> dict:
    """The alert settings that differ from the defaults (code and tests set some as a dict)."""
    if is_dataclass(alerts):
        defaults = asdict(Alerts())
        return {k: v for k, v in asdict(alerts).items() if v != defaults[k]}
    return {k: v for k, v in alerts.items() if v is not None}


def write_config(path: Path, profiles: list[Profile]) -> None:
    """The demo's config (0600): each profile's account, intervals, streams and alerts."""
    from ..config.write import write_profile  # tomlkit: after the first frame, off the UI

    for p in profiles:
        values = {
            "username": p.username,
            "password_md5": p.password_md5,
            "apikey": p.apikey,
            "base_url": p.base_url,
            "streams": dict(p.streams),
            "intervals": dict(p.intervals),
        }
        if table := alerts_table(p.alerts):
            values["alerts"] = table
        write_profile(path, p.name, values)


def demo_app(
    scenario: str = "demo",
    seed: int = 0,
    speed: float = 1.0,
    db_dir: str | None = None,
    at: float | None = None,
    history: bool = True,
) -> FivecApp:
    """The app on the built-in simulator (scenario ``scenario``) and a temporary cache, with
    (``history``) the week before filled in by a child (:mod:`.history`); ``at``: opened at
    that past moment (time travel)."""
    plan = load_scenario(scenario)
    if speed is not None:
        plan.speed = speed
    tmp = Path(db_dir or tempfile.mkdtemp(prefix=PREFIX))
    a = plan.account
    profile = Profile("demo", a["username"], a["password_md5"], a["apikey"], base_url=STARTING_URL)
    profile.intervals = {**profile.intervals, **DEMO_INTERVALS}
    store = Store(tmp / "demo.db", defer_migration=True)  # after the first frame
    note = _("demo: simulator scenario {scenario}; nothing leaves this machine").format(
        scenario=repr(scenario)
    )

    async def startup(app: FivecApp) -> None:
        args = ["--scenario", scenario, "--seed", str(seed), "--speed", str(plan.speed)]
        [account] = await start_simulator(app, tmp, args)
        if history:  # the week before, meanwhile: first the last day
            past = ["--db", str(store.path), "--scenario", scenario, "--seed", str(seed)]
            past += ["--until", str(app.clock())]
            argv = [sys.executable, "-m", "fivec_tui.app.history", *past]
            child = await app.link.start("history", argv, demo_env(tmp))
            app.loading = _("loading history…")  # the banner says so until it is in

            async def filled() -> None:
                assert child.proc is not None
                await child.proc.wait()
                app.loading = ""
                app.refresh_screen()

            app.run_worker(filled(), name="history", group="history")
        app.profile.base_url = account["base_url"]  # and its credentials: its own, drawn
        app.profile.password_md5, app.profile.apikey = account["password_md5"], account["apikey"]
        await asyncio.to_thread(write_config, tmp / "config.toml", [app.profile])
        await make_clients(app, [app.profile])

        def poll() -> tuple[list[str], dict[str, str]]:
            config = ["--config", str(tmp / "config.toml"), "--profile", "demo"]
            argv = [*config, "--db", str(store.path), "poll", "--stop-on-eof", "--no-ask"]
            return fivec(*argv), demo_env(tmp)

        # Nobody else reads the simulator: its reports and replies are taken without asking.
        await connect(app, [Hosted(app.profile, app.store)], poll, consent=True, note=note)

    return FivecApp(profile, store, startup=startup, refresh_s=1.0, note=note, at=at)


def demo_accounts(n: int, seed: int = 0, speed: float = 1.0, db_dir: str | None = None) -> FivecApp:
    """The demo with ``n`` accounts (healthy, in an outage, running out of balance, in
    turn: :mod:`fivec_tui.sim.fleet`), each with its own simulator and cache, one ``poll
    --all`` for them all."""
    from ..sim.fleet import account_name

    tmp = Path(db_dir or tempfile.mkdtemp(prefix=PREFIX))
    data = tmp / "fivec-tui"  # poll --all's data directory (XDG_DATA_HOME: demo_env)
    note = _("demo: {n} simulated accounts; nothing leaves this machine").format(n=n)
    accounts = []
    for i in range(n):
        name = account_name(i)
        profile = Profile(name, name, base_url=STARTING_URL)
        accounts.append(
            Hosted(profile, Store(data / f"{name}.db", defer_migration=True), note=note)
        )

    async def startup(app: FivecApp) -> None:
        args = ["--accounts", str(n), "--seed", str(seed), "--speed", str(speed)]
        simulated = await start_simulator(app, tmp, args)
        profiles = simulated_profiles(simulated, DEMO_INTERVALS)
        for account, profile in zip(accounts, profiles, strict=True):
            account.profile = profile
        app.profile = app.accounts[app.profile.name].profile
        await asyncio.to_thread(write_config, tmp / "config.toml", profiles)
        await make_clients(app, profiles)

        def poll() -> tuple[list[str], dict[str, str]]:
            argv = ["--config", str(tmp / "config.toml"), "poll", "--all", "--stop-on-eof"]
            return fivec(*argv, "--no-ask"), demo_env(tmp)

        await connect(app, accounts, poll, consent=True, note=note)

    return FivecApp(
        accounts[0].profile,
        accounts[0].store,
        startup=startup,
        refresh_s=1.0,
        accounts=accounts,
        note=note,
    )


def run_demo(
    scenario: str, seed: int, speed: float, accounts: int = 1, at: float | None = None
) -> int:
    # The throw-away cache goes with the demo: with its week of history it is hundreds of
    # MB, on the disk the DISK FULL rule guards (a killed demo's goes at the next start).
    with demo_dir() as tmp:
        if accounts > 1:
            app = demo_accounts(accounts, seed, speed, db_dir=str(tmp))
        else:
            app = demo_app(scenario, seed, speed, db_dir=str(tmp), at=at)
        app.run()
    return app.return_code or 0
