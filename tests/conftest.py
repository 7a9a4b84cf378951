from __future__ import annotations

import asyncio
import threading

import pytest

from fivec_tui.api import Credentials, FivecClient
from fivec_tui.sim import Simulator


@pytest.fixture
async def sim():
    """A quiet simulator (no background traffic) on a free loopback port."""
    async with Simulator("quiet", seed=7, traffic=False) as s:
        yield s


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
