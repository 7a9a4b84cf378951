"""``fivec-tui serve`` facing the outsider's flood, scaled down: 300 half-sent requests from
30 addresses under ``ulimit -n 256``.  The token holder's page and WebSocket are answered
within 2 s throughout; the server's threads and memory stay bounded, and its stderr holds no
traceback and a few lines at most."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import aiohttp
import pytest
from peers import fd_limit, free_port, half_sent, rss_kb, threads_of

TOKEN = "s" * 43
SERVE = """
import sys
from fivec_tui.app.serve import GuardedServer
GuardedServer("true", sys.argv[1], port=int(sys.argv[2])).serve()
"""


@pytest.fixture
def served(tmp_path):
    """A GuardedServer as ``fivec-tui serve`` runs it, under ``ulimit -n 256``: (process,
    the URL it printed, its stderr file)."""
    err = tmp_path / "serve.err"
    with err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, TOKEN, str(free_port())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            preexec_fn=lambda: fd_limit(256),
        )
    try:
        line = proc.stdout.readline()
        assert "fivec-tui in a browser" in line, err.read_text()
        url = line.split()[-1]
        port = urlsplit(url).port
        deadline = time.monotonic() + 20
        while True:  # listening once the URL is printed, or soon after
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, err.read_text()
                time.sleep(0.05)
        yield proc, url, err
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(30)


async def open_page(http: aiohttp.ClientSession, url: str) -> str:
    """The TUI's page as a browser opens the printed URL; its WebSocket URL."""
    async with http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as r:
        page = await r.text()
        assert r.status == 200, page
    return re.search(r'data-session-websocket-url="([^"]+)"', page)[1]


async def test_half_sent_requests_never_starve_the_token_holder(served):
    proc, url, err = served
    origin = "http://" + urlsplit(url).netloc
    port = urlsplit(url).port
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await open_page(http, url)
        threads, rss = threads_of(proc.pid), rss_kb(proc.pid)
        flood = half_sent(port, 300, b"GET / HTTP/1.1\r\n")
        try:
            assert len(flood) >= 200  # the flood got in
            for _ in range(4):  # from 127.0.0.1, none of the flood's addresses
                ws_url = await open_page(http, url)  # functional deadlines, not measurements
                async with http.ws_connect(
                    ws_url, headers={"Origin": origin}, timeout=aiohttp.ClientWSTimeout(2)
                ) as ws:
                    assert not ws.closed
                assert threads_of(proc.pid) <= threads + 4
                assert rss_kb(proc.pid) - rss < 64 * 1024
                time.sleep(0.25)
        finally:
            for s in flood:
                s.close()
    proc.terminate()
    proc.wait(30)
    stderr = err.read_text(errors="replace")
    assert "Traceback" not in stderr and len(stderr.splitlines()) < 40, stderr[-3000:]


MALFORMED = [
    b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX: \x00\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 500 + b"\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 100,  # TLS to plain HTTP
]


def test_malformed_requests_are_400_and_one_log_line_at_most(served):
    proc, url, err = served
    for request in MALFORMED * 3:
        with socket.create_connection(("127.0.0.1", urlsplit(url).port), timeout=10) as s:
            s.sendall(request)
            assert s.recv(100).startswith(b"HTTP/1.0 400 "), request[:40]
    proc.terminate()
    proc.wait(30)
    stderr = err.read_text(errors="replace")
    assert "Traceback" not in stderr and len(stderr.splitlines()) <= 1, stderr[-3000:]
