from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from fivec_tui.api import Credentials, FivecClient
from fivec_tui.sim import Simulator


@pytest.fixture(autouse=True)
def state_dir(tmp_path_factory, monkeypatch):
    """Each test's own state directory (the audit trail's key and anchors live there): never
    this user's, and never another test's.  Processes the test starts inherit it."""
    path = tmp_path_factory.mktemp("xdg-state")
    monkeypatch.setenv("XDG_STATE_HOME", str(path))
    return path


@pytest.fixture
async def sim():
    """A quiet simulator (no background traffic) on a free loopback port."""
    async with Simulator("quiet", seed=7, traffic=False) as s:
        yield s


@pytest.fixture
def reports_due():
    """``await reports_due(sim)``: until every report ``sim`` (in the test's loop) holds back
    for its delivery delay waits in its pull queue; polled for, rather than slept for."""

    async def wait(simulator: Simulator, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            simulator.platform.release_due()
            if not simulator.platform.pending_reports:
                return
            assert time.monotonic() < deadline, f"reports still held back after {timeout:.0f}s"
            await asyncio.sleep(0.05)

    return wait


@pytest.fixture
async def client(sim):
    a = sim.account
    async with FivecClient(Credentials(a.username, a.password_md5, a.apikey), sim.base_url) as c:
        yield c


@pytest.fixture
def sim_thread():
    """A simulator in its own thread and loop, for code that runs asyncio.run itself (CLI)."""
    loop = asyncio.new_event_loop()
    simulator = Simulator("quiet", seed=3, traffic=False)
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(simulator.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    yield simulator
    asyncio.run_coroutine_threadsafe(simulator.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


class Sink:
    """What an HTTP endpoint on loopback was sent: JSON bodies in ``json``, forms in ``forms``."""

    def __init__(self) -> None:
        self.url = ""
        self.json: list = []
        self.forms: list[dict] = []
        self.fail = 0  # answer 503 to this many requests first

    async def handle(self, request):
        from aiohttp import web

        if self.fail > 0:
            self.fail -= 1
            return web.Response(status=503)
        if request.content_type == "application/json":
            self.json.append(await request.json())
        else:
            self.forms.append(dict(await request.post()))
        return web.Response(text="success")


@pytest.fixture
async def sink():
    """A webhook / downstream push target on loopback that records every POST."""
    from aiohttp import web

    target = Sink()
    app = web.Application()
    app.router.add_post("/sink", target.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    target.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/sink"
    yield target
    await runner.cleanup()


@pytest.fixture
def poll_env(tmp_path):
    """Environment for a `fivec-tui` process on a simulator's account, cache in tmp_path."""

    def make(sim, config: str = "") -> dict[str, str]:
        (tmp_path / "config.toml").write_text(config)
        a = sim.account
        return {
            **os.environ,
            "FIVEC_CONFIG": str(tmp_path / "config.toml"),
            "FIVEC_DB": str(tmp_path / "c.db"),
            "FIVEC_BASE_URL": sim.base_url,
            "FIVEC_USERNAME": a.username,
            "FIVEC_PASSWORD_MD5": a.password_md5,
            "FIVEC_APIKEY": a.apikey,
        }

    return make
