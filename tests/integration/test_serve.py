"""`fivec-tui serve`: only the browser holding the printed token, on the served origin, gets in."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from fivec_tui.app.serve import GuardedServer, is_loopback, read_token_file

TOKEN = "k" * 43
SERVE = """
import sys
from fivec_tui.app.serve import GuardedServer
GuardedServer("true", sys.argv[1], port=int(sys.argv[2])).serve()
"""


@dataclass
class Served:
    public_url: str
    cookie: str
    proc: subprocess.Popen

    def stop(self) -> str:
        """Stop the server (as Ctrl+C would); what it logged."""
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.communicate(timeout=15)[1]


@pytest.fixture
def served():
    """A GuardedServer serving as ``fivec-tui serve`` does, in a process of its own, on a free
    loopback port; its app process is `true` (exits at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, TOKEN, str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Served(f"http://127.0.0.1:{port}", f"fivec_serve_{port}", proc)
    try:
        assert "fivec-tui in a browser" in proc.stdout.readline()
        deadline = time.monotonic() + 20
        while True:  # the URL is printed just before the port is listened on
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, server.stop()
                time.sleep(0.05)
        yield server
    finally:
        server.stop()


async def test_the_guard_is_put_in_front_before_the_application_is_frozen():
    """textual-serve's public ``on_startup`` installs the guard; called too late, it raises
    rather than serve unguarded."""
    server = GuardedServer("true", TOKEN)
    app = web.Application()
    await server.on_startup(app)
    assert list(app.middlewares) == [server.guard]
    frozen = web.Application()
    frozen.freeze()
    with pytest.raises(RuntimeError):
        await server.on_startup(frozen)


async def test_page_and_assets_need_the_token_then_the_cookie_carries_it(served):
    base = served.public_url
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for path in ("/", "/static/js/textual.js", "/?token=" + "x" * 43):
            async with http.get(base + path) as r:
                assert (
                    r.status == 403
                    and await r.text() == "forbidden: open the URL that `fivec-tui serve` printed\n"
                )
        async with http.get(f"{base}/?token={TOKEN}&fontsize=18", allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/?fontsize=18"
            cookie = r.cookies[served.cookie]
            assert cookie["httponly"] and cookie["samesite"] == "Strict"
        async with http.get(base + "/") as r:
            page = await r.text()
            assert r.status == 200 and "fivec-tui" in page and TOKEN not in page
        for asset in ("/static/js/textual.js", "/static/css/xterm.css"):
            async with http.get(base + asset) as r:
                assert r.status == 200 and len(await r.read()) > 1000
        async with http.get(base + "/", headers={"Origin": "http://evil.example"}) as r:
            assert r.status == 403


async def test_websocket_needs_the_token_and_the_served_origin(served):
    ws_url = served.public_url.replace("http", "ws", 1) + "/ws"
    async with aiohttp.ClientSession() as http:
        refusals = [
            (ws_url, {"Origin": served.public_url}),
            (f"{ws_url}?token={'x' * 43}", {"Origin": served.public_url}),
            (f"{ws_url}?token={TOKEN}", {"Origin": "http://evil.example"}),
            (f"{ws_url}?token={TOKEN}", {"Origin": "null"}),
        ]
        for url, headers in refusals:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(url, headers=headers)
            assert refused.value.status == 403
        async with http.ws_connect(
            f"{ws_url}?token={TOKEN}", headers={"Origin": served.public_url}
        ) as ws:
            assert ws.protocol is None and not ws.closed  # upgraded: 101


async def test_websocket_with_the_cookie_from_the_first_page_load(served):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{served.public_url}/?token={TOKEN}") as r:
            assert r.status == 200
        ws_url = served.public_url.replace("http", "ws", 1) + "/ws"
        async with http.ws_connect(ws_url, headers={"Origin": served.public_url}) as ws:
            assert not ws.closed


async def test_the_token_reaches_no_log(served):
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
        http.get(f"{served.public_url}/?token={TOKEN}") as r,
    ):
        assert r.status == 200
    assert TOKEN not in served.stop()  # (aiohttp's access log would write the request line)


async def test_the_url_is_printed_once_with_the_token(capsys):
    shown_token = GuardedServer("true", TOKEN, port=8123)
    await shown_token.on_startup(web.Application())
    shown = capsys.readouterr().out
    assert shown.count(TOKEN) == 1 and f"http://127.0.0.1:8123/?token={TOKEN}" in shown
    hidden = GuardedServer("true", TOKEN, show_token=False)
    await hidden.on_startup(web.Application())
    assert TOKEN not in capsys.readouterr().out


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
