"""Starting the app: on a profile (live, or read-only beside a poll daemon) or on the demo."""

from __future__ import annotations

import asyncio
import importlib
import tempfile
from pathlib import Path

from ..config import Profile, read_file
from ..files import exposed_cache
from ..i18n import _
from ..sim.scenario import load as load_scenario
from ..store import Store
from ..sync.lock import LockHeld, PollerLock
from .app import FivecApp


def _app_settings(config_path: Path) -> tuple[float, dict[str, str]]:
    data = read_file(config_path)
    app = data.get("app") or {}
    keys = data.get("keys") or {}
    refresh = app.get("refresh_s", 2.0)
    if not isinstance(refresh, int | float) or refresh <= 0:
        refresh = 2.0
    return float(refresh), {str(k): str(v) for k, v in keys.items() if isinstance(v, str)}


async def _imported(name: str):
    """Import a heavy module (httpx, aiohttp, APScheduler) off the UI, after the first frame."""
    return await asyncio.to_thread(importlib.import_module, name)


async def _connect(app: FivecApp, *, sync: bool, consent: bool = False) -> None:
    """Make the client; with ``sync``, start the engine (asking consent the first time)."""
    p = app.profile
    client = await _imported("fivec_tui.api.client")
    app.client = client.FivecClient(
        p.credentials, p.base_url, encode=p.encode, timeout=p.timeout, send_timeout=p.send_timeout
    )
    if not sync:
        return
    alerts = await _imported("fivec_tui.sync.alerts")
    store = Store(app.store.path)
    engine = (await _imported("fivec_tui.sync.engine")).Engine(
        p,
        store,
        app.client,
        consent=consent,
        on_change=lambda *_: app.call_later(app._tick),
        alerter=alerts.for_profile(p, store),
        on_alert=app.alert,
    )
    if not engine.consent and engine.destructive_streams:
        if await app.ask_consent():
            engine.grant_consent()
        else:
            app.note = "reports/replies not pulled (no consent)"
    app.engine = engine
    await engine.start()


def run_tui(ctx) -> int:
    """``fivec-tui``: the configured profile; read-only when a poll daemon holds the lock."""
    profile: Profile = ctx.account()
    db_path = ctx.db_path()
    store = Store(db_path)
    refresh, keymap = _app_settings(ctx.config_path)
    lock = PollerLock(db_path)
    try:
        lock.acquire()
    except LockHeld as exc:
        note, sync = f"attached read-only: poll daemon pid {exc.holder} owns the sync", False
    else:
        note, sync = "", True
    exposed = exposed_cache(db_path)

    async def startup(app: FivecApp) -> None:
        for warning in exposed:  # like the config's: said, not fixed (`fivec-tui doctor --fix`)
            app.notify(
                warning, title=_("cache exposed"), severity="warning", timeout=30, markup=False
            )
        await _connect(app, sync=sync)

    app = FivecApp(profile, store, refresh_s=refresh, keymap=keymap, note=note, startup=startup)
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
        sim = (await _imported("fivec_tui.sim.simulator")).Simulator(plan, seed=seed)
        app.simulator = await sim.start()
        app.profile.base_url = sim.base_url
        await _connect(app, sync=True, consent=True)  # nobody else reads the simulator

    return FivecApp(
        profile,
        store,
        startup=startup,
        refresh_s=1.0,
        note=f"demo: simulator scenario {scenario!r}; nothing leaves this machine",
    )


def run_demo(scenario: str, seed: int, speed: float) -> int:
    app = demo_app(scenario, seed, speed)
    app.run()
    return app.return_code or 0
