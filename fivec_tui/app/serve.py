"""``fivec-tui serve``: the TUI in a browser, behind a per-start token and an Origin check.

textual-serve has no authentication of its own: anyone who reaches the port, and any web page
open in a browser on the same machine (the same-origin policy does not stop a page from opening
a WebSocket elsewhere), could drive the TUI, its Send screen included.  :class:`GuardedServer`
serves everything (page, WebSocket, static assets, downloads) under ``/<token>/``, and checks
every request in one aiohttp middleware:

- the token is the path's first segment, compared in constant time.  A path, not a cookie:
  browsers send a host's cookies to each of its ports, so a cookie went to whatever another
  local user listened on at 127.0.0.1 once the browser opened their page.  A path goes to
  this origin only; every answer says ``Referrer-Policy: no-referrer`` (no link followed from
  the page names it elsewhere) and ``Cache-Control: no-store``;
- an ``Origin`` header, which browsers send with every WebSocket, must be the served origin.

Every refusal is the same 403.  The port is listened on through a
:class:`~fivec_tui.sync.gate.Gate`: connection caps, a header timeout, calm when file
descriptors run out.  TLS is left to a reverse proxy (see docs/security.md).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import re
import secrets
import signal
import sys
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.server import Server

from ..private_files import mode_of
from ..sync.gate import Gate, OneLine
from ..sync.httpd import Limits

#: What a token may be made of: URL- and cookie-safe without quoting (token_urlsafe's alphabet).
TOKEN_RE = re.compile(r"[A-Za-z0-9_~.-]{16,256}")
REFUSED = "forbidden: open the URL that `fivec-tui serve` printed\n"
STOP_S = 3.0  # how long Ctrl+C waits for open sessions before stopping their apps


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (``localhost`` or a loopback address)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_token_file(path: str | Path) -> str:
    """The token in ``path``: a file only its owner can read, holding 16+ URL-safe characters."""
    mode = mode_of(path)
    if mode is None:
        raise ValueError(f"cannot read token file '{path}'")
    if mode & 0o077:
        raise ValueError(
            f"token file '{path}' has mode {mode:04o}: group or others can read it. "
            f"Run: chmod 600 '{path}'"
        )
    token = Path(path).read_text(encoding="utf-8", errors="replace").strip()
    if not TOKEN_RE.fullmatch(token):
        raise ValueError(
            f"token file '{path}' must hold one token of 16+ characters from A-Z a-z 0-9 _ ~ . -"
        )
    return token


def new_token() -> str:
    return secrets.token_urlsafe(32)


def base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class GuardedServer(Server):
    """textual-serve's :class:`Server`, every route under ``/<token>/``, every request checked
    by :meth:`guard`, served through a :class:`~fivec_tui.sync.gate.Gate`."""

    def __init__(
        self,
        command: str,
        token: str,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        public_url: str | None = None,
        show_token: bool = True,
        limits: Limits | None = None,
    ) -> None:
        super().__init__(command, host=host, port=port, title="fivec-tui")
        self.token = token.encode()
        self.prefix = f"/{token}"
        self.show_token = show_token
        self.limits = limits or Limits()
        self.gate = Gate("serve", self.limits, logging.getLogger("fivec_tui.serve"))
        self.given_url = public_url
        self.publish(public_url or base_url(host, port))

    def publish(self, public_url: str) -> None:
        """Serve as ``public_url`` (the one browsers use): the only origin allowed, and the
        base of the page's asset and WebSocket URLs."""
        self.public_url = public_url.rstrip("/")
        parts = urlsplit(self.public_url)
        self.origin = f"{parts.scheme}://{parts.netloc}".lower()

    def build_app(self) -> web.Application:
        """textual-serve's routes, made with its public handlers, all under ``/<token>/``.

        textual-serve makes them at ``/`` in a private method and listens itself
        (``web.run_app``); here :meth:`run` listens.  Its page builds the asset and WebSocket
        URLs from the routes' names, so they carry the token; its script opens a download
        at ``/download/<key>``, outside it, which is refused (the TUI delivers no file).
        """
        app = web.Application(middlewares=[self.gate.middleware, self.guard])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get(f"{self.prefix}/", self.handle_index, name="index"),
                web.get(f"{self.prefix}/ws", self.handle_websocket, name="websocket"),
                web.get(f"{self.prefix}/download/{{key}}", self.handle_download, name="download"),
                web.static(f"{self.prefix}/static", self.statics_path, name="static"),
            ]
        )
        app.on_response_prepare.append(private_answer)
        return app

    def _valid(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.token)

    @web.middleware
    async def guard(self, request: web.Request, handler) -> web.StreamResponse:
        """The token as the path's first segment (compared in constant time), and the
        served origin if an ``Origin`` is sent: else the same 403 for everything."""
        origin = request.headers.get("Origin")
        given = request.path.partition("/")[2].partition("/")[0]  # "" for "*"
        if (origin is not None and origin.lower() != self.origin) or not self._valid(given):
            return web.Response(status=403, text=REFUSED)
        return await handler(request)

    def serve(self, debug: bool = False) -> None:
        """Serve until SIGINT or SIGTERM."""
        self.debug = debug
        self.initialize_logging()
        asyncio.run(self.run())

    async def run(self) -> None:
        http_log = logging.getLogger("fivec_tui.serve.http")
        http_log.addFilter(OneLine())
        runner = web.AppRunner(
            self.build_app(),
            handle_signals=False,
            access_log=None,  # it would write each request line: the token
            logger=http_log,
            keepalive_timeout=self.limits.header_timeout,
            shutdown_timeout=STOP_S,  # open sessions: their apps are stopped after that
        )
        await runner.setup()
        try:
            port = await self.gate.start(self.host, self.port, runner.server)
            if self.given_url is None:
                self.publish(base_url(self.host, port))
            url = f"{self.public_url}/{self.token.decode() if self.show_token else '<token>'}/"
            where = "" if self.show_token else " (the token is the one in --token-file)"
            print(f"fivec-tui in a browser: {url}{where}", flush=True)
            print("Press Ctrl+C to quit", flush=True)
            stop = asyncio.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            await self.gate.stop()
            await runner.cleanup()

    def initialize_logging(self) -> None:
        """Plain log lines on stderr, without the token (textual-serve's own handler prints
        locals in tracebacks)."""
        logging.basicConfig(
            level=logging.DEBUG if self.debug else logging.INFO,
            format="%(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )


async def private_answer(request: web.Request, response: web.StreamResponse) -> None:
    """No answer is kept in a cache, nor names its URL (the token) to another site."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
