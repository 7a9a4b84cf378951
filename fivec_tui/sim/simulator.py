"""The simulator as one object: platform, HTTP server and background traffic."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from aiohttp import web

from .scenario import Scenario, load
from .server import SimServer
from .state import Platform
from .traffic import Traffic

#: How long a stopping simulator lets requests in flight finish.
SHUTDOWN_S = 1.0


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    password_md5: str
    apikey: str


class Simulator:
    """Platform + HTTP server + background traffic, in the running event loop."""

    def __init__(
        self,
        scenario: str | Scenario = "demo",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        speed: float | None = None,
        traffic: bool = True,
        control_token: str = "",
    ) -> None:
        self.scenario = load(scenario) if isinstance(scenario, str) else scenario
        if speed is not None:
            self.scenario.speed = speed
        self.platform = Platform(self.scenario, seed)
        #: ``control_token``: what /_sim/state and /_sim/control require (none: open).
        self.server = SimServer(self.platform, seed, control_token)
        self.traffic = Traffic(self.server)
        self.host, self.port = host, port
        self._traffic_enabled = traffic
        self._runner: web.AppRunner | None = None
        self._task: asyncio.Task | None = None

    @property
    def account(self) -> DemoAccount:
        acct = self.scenario.account
        password = str(acct.get("password", ""))
        return DemoAccount(acct["username"], password, acct["password_md5"], acct["apikey"])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> Simulator:
        # A stopping simulator waits at most a second for the requests in flight (aiohttp's
        # default is a minute): a poll still asking meanwhile (its TUI killed, both told at
        # once) waited for answers until its own timeout, and the demo's exit with it.
        self._runner = web.AppRunner(
            self.server.app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_S
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        if sockets:
            self.port = sockets[0].getsockname()[1]
        if self._traffic_enabled:
            self._task = asyncio.create_task(self.traffic.run(), name="sim-traffic")
        return self

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> Simulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
