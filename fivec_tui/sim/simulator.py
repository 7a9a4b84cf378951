"""The simulator as one object: platform, HTTP server and background traffic."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from ..listener import Listener, Throttle
from .scenario import Scenario, load
from .server import SimServer
from .state import Platform
from .traffic import Traffic

log = logging.getLogger("fivec_tui.sim")


class Gate(Protocol):
    """What admits connections for an aiohttp server (:class:`fivec_tui.sync.gate.Gate`)."""

    middleware: Callable

    async def start(self, host: str, port: int, protocol: Callable) -> int: ...

    async def stop(self) -> None: ...


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
        #: What admits connections in aiohttp's place: a plain :class:`Listener` (calm when
        #: descriptors run out), or a gate set before :meth:`start` (``fivec-tui sim`` sets
        #: :class:`fivec_tui.sync.gate.Gate`: connection caps, a header timeout).
        self.gate: Gate | None = None
        self._listener: Listener | None = None
        self._connecting: set[asyncio.Task] = set()
        self._task: asyncio.Task | None = None

    @property
    def account(self) -> DemoAccount:
        acct = self.scenario.account
        password = str(acct.get("password", ""))
        return DemoAccount(acct["username"], password, acct["password_md5"], acct["apikey"])

    def new_credentials(self) -> None:
        """A random password and apikey for its account, in place of the scenario's, which
        anyone can read (the demo's: any local user reaching its port could drain its
        reports or send as it)."""
        acct = self.scenario.account
        account = self.platform.accounts[acct["username"]]
        acct["password"] = secrets.token_urlsafe(12)
        account.password_md5 = hashlib.md5(acct["password"].encode()).hexdigest()
        acct["password_md5"] = account.password_md5
        acct["apikey"] = account.apikey = secrets.token_hex(16)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> Simulator:
        # A stopping simulator waits at most a second for the requests in flight (aiohttp's
        # default is a minute): a poll still asking meanwhile (its TUI killed, both told at
        # once) waited for answers until its own timeout, and the demo's exit with it.
        if self.gate is not None:
            self.server.app.middlewares.insert(0, self.gate.middleware)
        self._runner = web.AppRunner(
            self.server.app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_S
        )
        await self._runner.setup()
        if self.gate is not None:
            self.port = await self.gate.start(self.host, self.port, self._runner.server)
        else:
            self._listener = Listener("simulator", self._accepted, lambda: False, Throttle(log))
            self.port = await self._listener.start(self.host, self.port)
        if self._traffic_enabled:
            self._task = asyncio.create_task(self.traffic.run(), name="sim-traffic")
        return self

    def _accepted(self, conn: socket.socket) -> None:
        """A connection the listener accepted, served by aiohttp's server (through the loop's
        public ``connect_accepted_socket``): aiohttp's own accept loop met a process out of
        file descriptors with a traceback per try, 1,300 in 5 s at ``ulimit -n 64`` (an
        outsider flooded the demo's simulator with idle connections)."""
        task = asyncio.get_running_loop().create_task(self._serve(conn))
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)

    async def _serve(self, conn: socket.socket) -> None:
        assert self._runner is not None
        try:
            await asyncio.get_running_loop().connect_accepted_socket(self._runner.server, conn)
        except OSError:  # reset before its turn
            conn.close()

    async def stop(self) -> None:
        if self.gate is not None:
            await self.gate.stop()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
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
