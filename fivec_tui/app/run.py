"""Starting the app: on a profile (live, or read-only beside a poll daemon) or on the demo."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..api import Credentials, FivecClient
from ..config import Profile, read_file
from ..store import Store
from ..sync import Engine, LockHeld, PollerLock
from .app import FivecApp


def _app_settings(config_path: Path) -> tuple[float, dict[str, str]]:
    data = read_file(config_path)
    app = data.get("app") or {}
    keys = data.get("keys") or {}
    refresh = app.get("refresh_s", 2.0)
    if not isinstance(refresh, int | float) or refresh <= 0:
        refresh = 2.0
    return float(refresh), {str(k): str(v) for k, v in keys.items() if isinstance(v, str)}


async def _start_engine(app: FivecApp, lock: PollerLock | None) -> None:
    engine = Engine(
        app.profile,
        Store(app.store.path),
        app.client,
        on_change=lambda *_: app.call_later(app._tick),
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
    client = FivecClient(
        profile.credentials,
        profile.base_url,
        encode=profile.encode,
        timeout=profile.timeout,
        send_timeout=profile.send_timeout,
    )
    lock = PollerLock(db_path)
    try:
        lock.acquire()
    except LockHeld as exc:
        mode = {"note": f"attached read-only: poll daemon pid {exc.holder} owns the sync"}
    else:
        mode = {"startup": lambda a: _start_engine(a, lock)}
    app = FivecApp(profile, store, client=client, refresh_s=refresh, keymap=keymap, **mode)
    try:
        app.run()
    finally:
        lock.release()
    return app.return_code or 0


def demo_app(
    scenario: str = "demo", seed: int = 0, speed: float = 1.0, db_dir: str | None = None
) -> FivecApp:
    """The app wired to an in-process simulator and a temporary cache."""
    from ..sim import Simulator

    sim = Simulator(scenario, seed=seed, speed=speed)
    account = sim.account
    tmp = Path(db_dir or tempfile.mkdtemp(prefix="fivec-demo-"))
    profile = Profile(
        "demo",
        account.username,
        account.password_md5,
        account.apikey,
        base_url="http://127.0.0.1 (simulator)",
    )
    profile.intervals = {"reports": 2.0, "replies": 3.0, "records": 5.0, "balance": 10.0}
    store = Store(tmp / "demo.db")

    async def startup(app: FivecApp) -> None:
        await sim.start()
        app.profile.base_url = sim.base_url
        app.client = FivecClient(
            Credentials(account.username, account.password_md5, account.apikey), sim.base_url
        )
        engine = Engine(
            app.profile,
            Store(store.path),
            app.client,
            consent=True,
            on_change=lambda *_: app.call_later(app._tick),
        )
        app.engine = engine
        await engine.start()

    app = FivecApp(
        profile,
        store,
        startup=startup,
        refresh_s=1.0,
        note=f"demo: simulator scenario {scenario!r}; nothing leaves this machine",
    )
    app.simulator = sim
    return app


def run_demo(scenario: str, seed: int, speed: float) -> int:
    app = demo_app(scenario, seed, speed)
    app.run()
    return app.return_code or 0
