"""Starting the app: on a profile (live, or read-only beside a poll daemon) or on the demo."""

from __future__ import annotations

import asyncio
import importlib
import tempfile
from pathlib import Path

from ..config import Profile
from ..files import exposed_cache
from ..i18n import _
from ..sim.scenario import load as load_scenario
from ..store import Store
from ..sync.lock import LockHeld, PollerLock
from .app import FivecApp
from .host import SyncThread


async def _imported(name: str):
    """Import a heavy module (httpx, aiohttp, APScheduler) off the UI, after the first frame."""
    return await asyncio.to_thread(importlib.import_module, name)


async def _connect(app: FivecApp, *, sync: bool, consent: bool = False) -> None:
    """Make the client; with ``sync``, start the engine (asking consent the first time).

    The engine runs on the app's sync thread with a client of its own (an httpx client
    belongs to one event loop); the UI keeps one for sends and lookups.
    """
    p = app.profile
    client = await _imported("fivec_tui.api.client")

    def new_client():
        return client.FivecClient(
            p.credentials,
            p.base_url,
            encode=p.encode,
            timeout=p.timeout,
            send_timeout=p.send_timeout,
        )

    app.client = new_client()
    if not sync:
        return
    alerts = await _imported("fivec_tui.sync.alerts")
    engines = await _imported("fivec_tui.sync.engine")
    from .app import AlertRaised, SyncChanged

    async def make():  # on the sync thread: the engine's store connection is used there
        store = Store(app.store.path)
        return engines.Engine(
            p,
            store,
            new_client(),
            consent=consent,
            on_change=lambda *_: app.post_message(SyncChanged()),
            alerter=alerts.for_profile(p, store),
            on_alert=lambda event: app.post_message(AlertRaised(event)),
        )

    engine = await app.sync_thread.run(make)
    if not engine.consent and engine.destructive_streams:
        if await app.ask_consent():
            await app.sync_thread.run(lambda: asyncio.to_thread(engine.grant_consent))
        else:
            app.note = _("reports/replies not pulled (no consent)")
    app.engine = engine
    await app.sync_thread.run(engine.start)


class DemoSimulator:
    """The demo's simulator, serving from the sync thread; ``stop`` works from either loop."""

    def __init__(self, simulator, thread: SyncThread) -> None:
        self.simulator, self.thread, self.stopped = simulator, thread, False
        self.platform, self.base_url = simulator.platform, simulator.base_url

    async def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        if asyncio.get_running_loop() is self.thread.loop:
            await self.simulator.stop()
        else:
            await self.thread.run(self.simulator.stop)


def run_tui(ctx) -> int:
    """``fivec-tui``: the configured profile; read-only when a poll daemon holds the lock."""
    profile: Profile = ctx.account()
    settings = ctx.settings()  # the file read and checked once, with the profile
    db_path = ctx.db_path()
    store = Store(db_path)
    lock = PollerLock(db_path)
    try:
        lock.acquire()
    except LockHeld as exc:
        note = _("attached read-only: poll daemon pid {pid} owns the sync").format(pid=exc.holder)
        sync = False
    else:
        note, sync = "", True
    exposed = exposed_cache(db_path)

    async def startup(app: FivecApp) -> None:
        for warning in exposed:  # like the config's: said, not fixed (`fivec-tui doctor --fix`)
            app.notify(
                warning, title=_("cache exposed"), severity="warning", timeout=30, markup=False
            )
        await _connect(app, sync=sync)

    app = FivecApp(
        profile,
        store,
        refresh_s=settings.app.refresh_s,
        keymap=settings.keys,
        note=note,
        startup=startup,
    )
    try:
        app.run()
    finally:
        lock.release()
    return app.return_code or 0


def demo_app(
    scenario: str = "demo", seed: int = 0, speed: float = 1.0, db_dir: str | None = None
) -> FivecApp:
    """The app wired to an in-process simulator and a temporary cache.

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
    profile.intervals = {"reports": 2.0, "replies": 3.0, "records": 5.0, "balance": 10.0}
    store = Store(tmp / "demo.db")

    async def startup(app: FivecApp) -> None:
        simulators = await _imported("fivec_tui.sim.simulator")
        sim = await app.sync_thread.run(lambda: simulators.Simulator(plan, seed=seed).start())
        app.simulator = DemoSimulator(sim, app.sync_thread)
        app.profile.base_url = sim.base_url
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


def run_demo(scenario: str, seed: int, speed: float) -> int:
    app = demo_app(scenario, seed, speed)
    app.run()
    return app.return_code or 0
