"""``fivec-tui serve``: the TUI in a browser, behind a per-start token and an Origin check.

textual-serve has no authentication of its own: anyone who reaches the port, and any web page
open in a browser on the same machine (the same-origin policy does not stop a page from opening
a WebSocket elsewhere), could drive the TUI, its Send screen included.  :class:`GuardedServer`
puts one aiohttp middleware in front of every route (page, WebSocket, static assets, downloads):

- the token, given once as ``?token=`` and then carried by an HttpOnly, SameSite=Strict cookie
  (the first page load moves it out of the address bar), compared in constant time;
- an ``Origin`` header, which browsers send with every WebSocket, must be the served origin.

Every refusal is the same 403.  TLS is left to a reverse proxy (see the README).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
import secrets
import sys
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from textual_serve.server import Server

from ..private_files import mode_of

#: What a token may be made of: URL- and cookie-safe without quoting (token_urlsafe's alphabet).
TOKEN_RE = re.compile(r"[A-Za-z0-9_~.-]{16,256}")
REFUSED = "forbidden: open the URL that `fivec-tui serve` printed\n"


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
    """textual-serve's :class:`Server` with every request checked by :meth:`guard`."""

    def __init__(
        self,
        command: str,
        token: str,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        public_url: str | None = None,
        show_token: bool = True,
    ) -> None:
        public = (public_url or base_url(host, port)).rstrip("/")
        super().__init__(command, host=host, port=port, title="fivec-tui", public_url=public)
        self.token = token.encode()
        self.show_token = show_token
        parts = urlsplit(public)
        self.origin = f"{parts.scheme}://{parts.netloc}".lower()
        self.secure = parts.scheme == "https"
        self.cookie = f"fivec_serve_{port}"  # cookies ignore the port: one name per server

    def _valid(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token)

    @web.middleware
    async def guard(self, request: web.Request, handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        given = request.query.get("token")
        if (origin is not None and origin.lower() != self.origin) or not (
            self._valid(given) or self._valid(request.cookies.get(self.cookie))
        ):
            return web.Response(status=403, text=REFUSED)
        if given is not None and request.path == "/" and request.method == "GET":
            # The first load: the token moves into a cookie, out of the address bar and history.
            rest = [(k, v) for k, v in request.query.items() if k != "token"]
            response = web.Response(
                status=303, headers={"Location": "/" + (f"?{urlencode(rest)}" if rest else "")}
            )
            response.set_cookie(
                self.cookie,
                given,
                path="/",
                httponly=True,
                samesite="Strict",
                secure=self.secure,
            )
            return response
        return await handler(request)

    async def on_startup(self, app: web.Application) -> None:
        """Put :meth:`guard` in front of every route, then print the URL once (with the
        token unless it came from a file), not the logo.

        textual-serve hands its aiohttp application to this hook before aiohttp freezes it
        and before the port is listened on; were a later version to call it after the freeze,
        the append raises and the server does not start (it never serves unguarded).
        """
        app.middlewares.append(self.guard)
        token = self.token.decode() if self.show_token else "<the token in --token-file>"
        print(f"fivec-tui in a browser: {self.public_url}/?token={token}", flush=True)
        print("Press Ctrl+C to quit", flush=True)

    def initialize_logging(self) -> None:
        """Plain log lines on stderr, without the token.

        textual-serve's own handler prints locals in tracebacks, and aiohttp's access log
        writes each request line, ``?token=`` included.
        """
        logging.basicConfig(
            level=logging.DEBUG if self.debug else logging.INFO,
            format="%(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
