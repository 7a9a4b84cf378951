"""`fivec-tui serve`: only the browser holding the printed token, on the served origin, gets in."""

from __future__ import annotations

import asyncio
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from fivec_tui.app.serve import GuardedServer, is_loopback, read_token_file

TOKEN = "k" * 43
SERVE = """
import sys
from fivec_tui.app.serve import GuardedServer
GuardedServer("true", sys.argv[1], port=0, show_token=sys.argv[2] == "shown").serve()
"""
REFUSED = "forbidden: open the URL that `fivec-tui serve` printed\n"


@dataclass
class Served:
    line: str  # the line with the URL to open
    proc: subprocess.Popen
    later: str = ""  # what it printed after that, once stopped

    @property
    def printed(self) -> str:
        return self.line.split()[4]

    @property
    def public_url(self) -> str:
        return "http://" + urlsplit(self.printed).netloc

    def stop(self) -> str:
        """Stop the server (as Ctrl+C would); what it logged."""
        if self.proc.poll() is None:
            self.proc.terminate()
        self.later, log = self.proc.communicate(timeout=15)
        return log


def serve(token_shown: bool = True) -> Served:
    """A GuardedServer serving as ``fivec-tui serve`` does, in a process of its own, on a
    free loopback port, listening once it printed its URL; its app process is `true` (exits
    at once)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, TOKEN, "shown" if token_shown else "hidden"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Served(proc.stdout.readline(), proc)
    assert server.line.startswith("fivec-tui in a browser: http://127.0.0.1:"), server.stop()
    return server


@pytest.fixture
def served():
    server = serve()
    yield server
    server.stop()


def test_every_route_is_under_the_token():
    app = GuardedServer("true", TOKEN).build_app()
    paths = [r.canonical for r in app.router.resources()]
    assert len(paths) == 4 and all(p.startswith(f"/{TOKEN}/") for p in paths), paths


async def test_page_and_assets_are_under_the_token_path_and_nothing_else_opens(served):
    base, mine = served.public_url, f"{served.public_url}/{TOKEN}"
    assert served.printed == mine + "/"
    async with aiohttp.ClientSession() as http:
        async with http.get(mine + "/?fontsize=18") as r:
            page = await r.text()
            assert r.status == 200 and "set-cookie" not in r.headers
        assert f'"{mine.replace("http", "ws", 1)}/ws"' in page  # the page's own URLs
        assert f'href="{mine}/static/css/xterm.css"' in page
        for asset in ("/static/js/textual.js", "/static/css/xterm.css"):
            async with http.get(mine + asset) as r:
                assert r.status == 200 and len(await r.read()) > 1000
        refused = [
            "/",
            "/static/js/textual.js",
            f"/?token={TOKEN}",
            f"/static/js/textual.js?token={TOKEN}",
            f"/{'x' * 43}/",
            f"/{TOKEN}x/",
            f"/{TOKEN[:-1]}/static/js/textual.js",
            f"/download/{'0' * 32}",
            f"/{'x' * 43}/download/{'0' * 32}",
        ]
        for path in refused:
            async with http.get(base + path) as r:
                assert r.status == 403 and await r.text() == REFUSED, path
        async with http.get(mine + "/", headers={"Origin": "http://evil.example"}) as r:
            assert r.status == 403
    port = urlsplit(base).port
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:  # no path at all
        s.sendall(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 403 ")


async def test_no_answer_is_cached_or_names_its_url_elsewhere(served):
    mine = f"{served.public_url}/{TOKEN}"
    async with aiohttp.ClientSession() as http:
        for url in (mine + "/", mine + "/static/js/textual.js", served.public_url + "/"):
            async with http.get(url) as r:
                assert r.headers["Referrer-Policy"] == "no-referrer", url
                assert r.headers["Cache-Control"] == "no-store", url


async def test_websocket_needs_the_token_path_and_the_served_origin(served):
    ws_base = served.public_url.replace("http", "ws", 1)
    mine = f"{ws_base}/{TOKEN}/ws"
    async with aiohttp.ClientSession() as http:
        refusals = [
            (f"{ws_base}/ws?token={TOKEN}", {"Origin": served.public_url}),
            (f"{ws_base}/{'x' * 43}/ws", {"Origin": served.public_url}),
            (mine, {"Origin": "http://evil.example"}),
            (mine, {"Origin": "null"}),
        ]
        for url, headers in refusals:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(url, headers=headers)
            assert refused.value.status == 403
        async with http.ws_connect(mine, headers={"Origin": served.public_url}) as ws:
            assert ws.protocol is None and not ws.closed  # upgraded: 101


async def test_the_token_reaches_no_log(served):
    async with aiohttp.ClientSession() as http:
        for path in (f"/{TOKEN}/", f"/{TOKEN}/static/js/textual.js", f"/{TOKEN}/nothing"):
            async with http.get(served.public_url + path) as r:
                assert r.status in (200, 404)
    assert TOKEN not in served.stop()  # (aiohttp's access log would write each request line)


def test_the_url_is_printed_once_with_the_token_unless_it_came_from_a_file():
    shown = serve()
    shown.stop()
    assert shown.printed.count(TOKEN) == 1 and TOKEN not in shown.later
    hidden = serve(token_shown=False)
    hidden.stop()
    assert TOKEN not in hidden.line + hidden.later
    assert hidden.printed == f"{hidden.public_url}/<token>/" and "--token-file" in hidden.line


def test_token_file_must_be_private_and_well_formed(tmp_path):
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o644)
    with pytest.raises(ValueError, match="0644"):
        read_token_file(path)
    path.chmod(0o600)
    assert read_token_file(path) == TOKEN
    path.write_text("short")
    with pytest.raises(ValueError, match="16"):
        read_token_file(path)
    with pytest.raises(ValueError, match="cannot read"):
        read_token_file(tmp_path / "missing")


def test_loopback_only_unless_asked():
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.3.0.1", "::1", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.0.2.1", "example.com", ""))
    r = subprocess.run(
        [sys.executable, "-m", "fivec_tui", "serve", "--host", "0.0.0.0", "--port", "9"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200"},
        timeout=30,
    )
    assert r.returncode == 2 and "--i-know-this-is-public" in r.stderr


def test_the_served_command_keeps_the_group_options_and_quotes_them(monkeypatch):
    """``fivec-tui --profile staging serve`` serves staging, whatever the paths hold."""
    import shlex

    from fivec_tui.cli.run import served_command

    monkeypatch.setattr(sys, "executable", "/opt/my tools/python")
    options = {"config": "/etc/x y.toml", "profile": "staging", "db": None, "at": "-1h"}
    args = shlex.split(served_command(options, demo_mode=False))
    assert args == ["/opt/my tools/python", "-m", "fivec_tui", "--config", "/etc/x y.toml",
                    "--profile", "staging"]  # fmt: skip
    assert shlex.split(served_command({}, demo_mode=True))[-2:] == ["fivec_tui", "demo"]


class Thief(threading.Thread):
    """Another local user's web server on another loopback port: it keeps the path and the
    headers of every request, and its page reloads itself once (the second request is then
    same-site, so SameSite cookies come along)."""

    PAGE = b"<script>setTimeout(() => location = '/again', 200)</script>hello"

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.seen: list[tuple[str, dict[str, str]]] = []
        thief = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                thief.seen.append((self.path, dict(self.headers)))
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(thief.PAGE if self.path == "/" else b"thanks")

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def run(self) -> None:
        self.server.serve_forever(poll_interval=0.1)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Chromium:
    """A headless Chromium driven over its DevTools protocol: ``open(url)`` in a new tab."""

    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self.proc: subprocess.Popen | None = None
        self.devtools = ""

    async def __aenter__(self) -> Chromium:
        self.proc = subprocess.Popen(
            [
                "/usr/bin/chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        active = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (active.exists() and active.read_text().strip()):
            assert time.monotonic() < deadline and self.proc.poll() is None, "no chromium"
            await asyncio.sleep(0.1)
        self.devtools = f"http://127.0.0.1:{active.read_text().split()[0]}"
        self.http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.close()
        self.proc.kill()
        self.proc.wait(30)

    async def open(self, url: str) -> str:
        """Open ``url`` in a new tab; its WebSocket debugger URL, once its page has loaded."""
        async with self.http.put(f"{self.devtools}/json/new?{url}") as r:
            tab = (await r.json())["webSocketDebuggerUrl"]
        origin = "http://" + urlsplit(url).netloc
        loaded = f"location.origin == '{origin}' && document.readyState == 'complete'"
        deadline = time.monotonic() + 30
        while not await self.evaluate(tab, loaded):
            assert time.monotonic() < deadline, f"{url} never loaded"
            await asyncio.sleep(0.1)
        return tab

    async def evaluate(self, tab: str, expression: str):
        async with self.http.ws_connect(tab, max_msg_size=0) as ws:
            await ws.send_json(
                {"id": 1, "method": "Runtime.evaluate", "params": {"expression": expression,
                                                                   "returnByValue": True}}
            )  # fmt: skip
            async for message in ws:
                answer = message.json()
                if answer.get("id") == 1:
                    return answer["result"]["result"].get("value")
        return None


async def test_a_page_on_another_local_port_gets_nothing_to_drive_the_tui_with(served, tmp_path):
    """The outsider's theft: the on-call person's browser opens the printed URL, then a page
    another local user serves on another loopback port.  That port must receive no secret,
    and what it received must open nothing: page, asset or WebSocket."""
    thief = Thief()
    thief.start()
    try:
        async with Chromium(tmp_path / "profile") as browser:
            tab = await browser.open(served.printed)
            assert await browser.evaluate(tab, "!!document.getElementById('terminal')")
            await browser.open(thief.url)
            deadline = time.monotonic() + 20
            while not any(path == "/again" for path, _ in thief.seen):
                assert time.monotonic() < deadline, thief.seen
                await asyncio.sleep(0.1)
    finally:
        thief.stop()
    assert TOKEN not in repr(thief.seen)
    base, ws_url = served.public_url, served.public_url.replace("http", "ws", 1) + "/ws"
    async with aiohttp.ClientSession() as http:
        for _, headers in thief.seen:
            replayed = {k: v for k, v in headers.items() if k.lower() not in ("host", "origin")}
            for path in ("/", "/static/js/textual.js"):
                async with http.get(base + path, headers=replayed) as r:
                    assert r.status == 403, path
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(ws_url, headers={**replayed, "Origin": base})
            assert refused.value.status == 403
