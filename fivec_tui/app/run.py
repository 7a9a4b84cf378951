"""Starting the app: on a profile (live, or read-only beside a poll daemon) or on the demo."""

from __future__ import annotations

import asyncio
import importlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Profile
from ..i18n import _
from ..private_files import exposed_cache
from ..sim.scenario import load as load_scenario
from ..store import Store
from ..store.integrity import ensure_sound
from ..sync.lock import LockHeld, PollerLock
from .app import FivecApp
from .host import Hosted, SyncProcess

if TYPE_CHECKING:
    from ..sim.fleet import Fleet

#: Seconds between runs of each job in the demos, short enough to show change within a minute.
DEMO_INTERVALS = {"reports": 2.0, "replies": 3.0, "records": 5.0, "balance": 10.0}
DEMO_INTERVALS["subaccounts"] = 30.0


async def _imported(name: str):
    """Import a heavy module (httpx, aiohttp, APScheduler) off the UI, after the first frame."""
    return await asyncio.to_thread(importlib.import_module, name)


async def _connect(app: FivecApp, *, sync: bool, consent: bool = False) -> None:
    """The one profile's client and, with ``sync``, its engine (see :func:`_start_account`)."""
    hosted = Hosted(app.profile, app.store)
    await _start_account(app, hosted, sync=sync, consent=consent)
    app.client, app.engine = hosted.client, hosted.engine
    if hosted.note:
        app.note = hosted.note


async def _start_account(
    app: FivecApp, hosted: Hosted, *, sync: bool, consent: bool = False, tag: str = ""
) -> None:
    """Make the account's client; with ``sync``, start its engine in the sync process
    (asking consent the first time).  ``tag``: the account's name on its alerts (several
    accounts).  The UI keeps a client of its own for sends and lookups."""
    p = hosted.profile
    clients = await _imported("fivec_tui.sync.client")
    hosted.client = clients.client_for(p)
    if not sync:
        hosted.started = True
        return
    denied = False

    async def ask(username: str) -> bool:
        nonlocal denied
        granted = await app.ask_consent(f"{tag} ({username})" if tag else username)
        denied = not granted
        return granted

    try:
        # Nothing is pulled into a damaged cache (a page walk: in a thread, after the frame).
        await asyncio.to_thread(ensure_sound, hosted.store.path)
        hosted.engine = await app.sync_process.start(
            p.name, p, hosted.store.path, consent=consent, ask=ask, tag=tag
        )
        if denied:
            hosted.note = _("reports/replies not pulled (no consent)")
    finally:
        hosted.started = True


class DemoSimulator:
    """The demo's simulator (or fleet of them), serving from the sync process."""

    def __init__(self, process: SyncProcess) -> None:
        self.process, self.stopped = process, False

    async def call(self, name: str, *args: object) -> Any:
        """Its platform's ``name`` (e.g. ``add_reply``), called with ``args``, or read."""
        return await self.process.ask("call", name, args)

    async def stop(self) -> None:
        if not self.stopped and self.process.running:
            self.stopped = True
            await self.call("stop")


def run_tui(ctx) -> int:
    """``fivec-tui``: the configured profile; read-only when a poll daemon holds the lock.
    With several profiles and none chosen, all of them, on the Accounts overview."""
    if profiles := several(ctx):
        return run_accounts(ctx, profiles)
    return run_one(ctx)


def run_one(ctx) -> int:
    """One profile, as ``--profile NAME`` chooses (or the only one)."""
    profile: Profile = ctx.account()
    settings = ctx.settings()  # the file read and checked once, with the profile
    db_path = ctx.db_path()
    account = hosted(profile, db_path)
    exposed = exposed_cache(db_path)

    async def startup(app: FivecApp) -> None:
        for warning in exposed:  # like the config's: said, not fixed (`fivec-tui doctor --fix`)
            app.notify(
                warning, title=_("cache exposed"), severity="warning", timeout=30, markup=False
            )
        await _connect(app, sync=account.lock is not None)

    app = FivecApp(
        profile,
        account.store,
        refresh_s=settings.app.refresh_s,
        keymap=settings.keys,
        note=account.note,
        startup=startup,
        at=ctx.at,
    )
    try:
        app.run()
    finally:
        if account.lock:
            account.lock.release()
    return app.return_code or 0


def demo_app(
    scenario: str = "demo", seed: int = 0, speed: float = 1.0, db_dir: str | None = None
) -> FivecApp:
    """The app wired to the built-in simulator (in the sync process) and a temporary cache.

    The simulator, client and engine start after the first frame, in ``startup``.
    """
    plan = load_scenario(scenario)
    if speed is not None:
        plan.speed = speed
    account = plan.account
    tmp = Path(db_dir or tempfile.mkdtemp(prefix="fivec-demo-"))
    profile = Profile(
        "demo",
        account["username"],
        account["password_md5"],
        account["apikey"],
        base_url="http://127.0.0.1 (simulator starting)",
    )
    profile.intervals = {**profile.intervals, **DEMO_INTERVALS}
    store = Store(tmp / "demo.db")

    async def startup(app: FivecApp) -> None:
        [(*_credentials, base_url)] = await app.sync_process.ask(
            "simulate", scenario, seed, plan.speed, 1
        )
        app.simulator = DemoSimulator(app.sync_process)
        app.profile.base_url = base_url
        await _connect(app, sync=True, consent=True)  # nobody else reads the simulator

    return FivecApp(
        profile,
        store,
        startup=startup,
        refresh_s=1.0,
        note=_("demo: simulator scenario {scenario}; nothing leaves this machine").format(
            scenario=repr(scenario)
        ),
    )


def run_demo(scenario: str, seed: int, speed: float, accounts: int = 1) -> int:
    app = demo_accounts(accounts, seed, speed) if accounts > 1 else demo_app(scenario, seed, speed)
    app.run()
    return app.return_code or 0


def several(ctx) -> list[Profile] | None:
    """Every profile of the config when it has more than one and none was chosen
    (``--profile``, ``FIVEC_PROFILE``; ``--db``, ``--base-url`` and ``FIVEC_DB`` are for
    one profile too), each read from the file alone, as ``poll --all`` reads them."""
    if ctx.profile_name or ctx.db_flag or ctx.base_url or os.environ.get("FIVEC_DB"):
        return None
    names = ctx.settings().data.get("profiles")
    if not isinstance(names, dict) or len(names) < 2:
        return None
    return ctx.all_profiles()


def hosted(profile: Profile, db_path: Path) -> Hosted:
    """An account with its cache and, unless a poll daemon holds it, its lock."""
    lock = PollerLock(db_path)
    try:
        lock.acquire()
    except LockHeld as exc:
        note = _("attached read-only: poll daemon pid {pid} owns the sync").format(pid=exc.holder)
        return Hosted(profile, Store(db_path), note=note)
    return Hosted(profile, Store(db_path), lock=lock)


async def start_accounts(app: FivecApp, *, consent: bool = False) -> None:
    """Start every account in turn; one that cannot start is said on its row and banner,
    and the others start all the same.  Then the focused account's are the app's."""
    for account in app.accounts.values():
        try:
            await _start_account(
                app,
                account,
                sync=account.lock is not None or consent,
                consent=consent,
                tag=account.name,
            )
        except Exception as exc:  # shown, not fatal: its cache can still be read
            account.note = _("sync not started: {error}").format(error=exc)
            app.notify(str(exc), title=account.name, severity="error", timeout=30, markup=False)
    focused = app.accounts[app.profile.name]
    app.client, app.engine, app.note = focused.client, focused.engine, focused.note


def run_accounts(ctx, profiles: list[Profile]) -> int:
    """``fivec-tui`` with several profiles: each with its own cache, lock, client and engine
    (a profile without an account is left out, and said)."""
    from ..config import ConfigError

    settings = ctx.settings()
    accounts, left = [], []
    for profile in profiles:
        try:
            profile.require_account()
        except ConfigError as exc:
            left.append(_("{profile}: left out: {error}").format(profile=profile.name, error=exc))
            continue
        accounts.append(hosted(profile, ctx.cache_path(profile)))
    if not accounts:  # said as for one profile
        return run_one(ctx)

    async def startup(app: FivecApp) -> None:
        for warning in left:
            app.notify(warning, severity="warning", timeout=30, markup=False)
        for a in accounts:
            for warning in exposed_cache(a.store.path):
                app.notify(warning, title=_("cache exposed"), severity="warning", markup=False)
        await start_accounts(app)

    app = FivecApp(
        accounts[0].profile,
        accounts[0].store,
        refresh_s=settings.app.refresh_s,
        keymap=settings.keys,
        startup=startup,
        accounts=accounts,
    )
    try:
        app.run()
    finally:
        for a in accounts:
            if a.lock:
                a.lock.release()
    return app.return_code or 0


def fleet_profiles(fleet: Fleet, intervals: dict[str, float] | None = None) -> list[Profile]:
    """One profile per simulated account, named as the account, pointing at its simulator."""
    accounts = [
        (s.account.username, s.account.password_md5, s.account.apikey, s.base_url)
        for s in fleet.simulators
    ]
    return simulated_profiles(accounts, intervals)


def simulated_profiles(
    accounts: list[tuple[str, str, str, str]], intervals: dict[str, float] | None = None
) -> list[Profile]:
    """A profile per (username, password_md5, apikey, base_url), named as the account."""
    out = []
    for username, password_md5, apikey, base_url in accounts:
        profile = Profile(username, username, password_md5, apikey)
        profile.base_url = base_url
        if intervals:
            profile.intervals = {**profile.intervals, **intervals}
        out.append(profile)
    return out


def demo_accounts(n: int, seed: int = 0, speed: float = 1.0, db_dir: str | None = None) -> FivecApp:
    """The demo with ``n`` accounts (healthy, in an outage, running out of balance, in
    turn: :mod:`fivec_tui.sim.fleet`), each with its own simulator and cache."""
    from ..sim.fleet import account_name

    tmp = Path(db_dir or tempfile.mkdtemp(prefix="fivec-demo-"))
    note = _("demo: {n} simulated accounts; nothing leaves this machine").format(n=n)
    accounts = []
    for i in range(n):
        name = account_name(i)
        profile = Profile(name, name, base_url="http://127.0.0.1 (simulator starting)")
        accounts.append(Hosted(profile, Store(tmp / f"{name}.db"), note=note))

    async def startup(app: FivecApp) -> None:
        simulated = await app.sync_process.ask("simulate", "", seed, speed, n)
        profiles = simulated_profiles(simulated, DEMO_INTERVALS)
        app.simulator = DemoSimulator(app.sync_process)
        for account, profile in zip(accounts, profiles, strict=True):
            account.profile = profile
        app.profile = app.accounts[app.profile.name].profile
        await start_accounts(app, consent=True)  # nobody else reads the simulators

    return FivecApp(
        accounts[0].profile,
        accounts[0].store,
        startup=startup,
        refresh_s=1.0,
        accounts=accounts,
        note=note,
    )
