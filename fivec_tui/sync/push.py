"""Push receiver: sit between the platform and the customer's push URL.

The platform signs nothing it pushes, so the receiver sits behind a secret token in the path
(compared in constant time), an optional IP allowlist and a body-size cap.  A body is
committed (with its forward-queue entries) before ``success`` is answered; the forwarder
(:mod:`fivec_tui.sync.forward`) then relays it downstream.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
from dataclasses import dataclass, field

from aiohttp import web

from ..store import Store, ingest_journal
from ..store import ingest as store_ingest

log = logging.getLogger("fivec_tui.push")
STREAMS = ("reports", "replies")
DEFAULT_MAX_BODY = 1024 * 1024


@dataclass
class PushConfig:
    token: str
    host: str = "127.0.0.1"
    port: int = 0
    allow: list[str] = field(default_factory=list)
    max_body: int = DEFAULT_MAX_BODY
    forward: dict[str, list[str]] = field(default_factory=dict)  # stream -> URLs


class PushReceiver:
    def __init__(self, store: Store, config: PushConfig) -> None:
        if len(config.token) < 16:
            raise ValueError("push token must be at least 16 characters")
        self.store, self.config = store, config
        self.networks = [ipaddress.ip_network(a, strict=False) for a in config.allow]
        self.stats = {"accepted": 0, "refused": 0}
        self.app = web.Application(client_max_size=config.max_body)
        self.app.router.add_post("/push/{token}/{stream}", self.receive)
        self._runner: web.AppRunner | None = None
        self.port = config.port

    def _allowed(self, remote: str | None) -> bool:
        if not self.networks:
            return True
        try:
            address = ipaddress.ip_address(remote or "")
        except ValueError:
            return False
        return any(address in net for net in self.networks)

    async def receive(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        stream = request.match_info["stream"]
        if (
            not hmac.compare_digest(token.encode(), self.config.token.encode())
            or stream not in STREAMS
        ):
            self.stats["refused"] += 1
            return web.Response(status=404, text="not found")
        if not self._allowed(request.remote):
            self.stats["refused"] += 1
            return web.Response(status=403, text="forbidden")
        if (request.content_length or 0) > self.config.max_body:
            self.stats["refused"] += 1
            return web.Response(status=413, text="too large")
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            self.stats["refused"] += 1
            return web.Response(status=413, text="too large")
        except (ValueError, UnicodeDecodeError):
            self.stats["refused"] += 1
            return web.Response(status=400, text="bad form")
        data = form.get("data")
        if not isinstance(data, str) or not data.strip():
            self.stats["refused"] += 1
            return web.Response(status=400, text="missing data")
        targets = self.config.forward.get(stream, [])
        jid = await asyncio.to_thread(store_ingest.journal_push, self.store, stream, data, targets)
        await asyncio.to_thread(ingest_journal, self.store, jid)
        self.stats["accepted"] += 1
        return web.Response(text="success")

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        if sockets:
            self.port = sockets[0].getsockname()[1]
        return f"http://{self.config.host}:{self.port}/push/<token>/reports|replies"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
