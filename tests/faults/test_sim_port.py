"""``fivec-tui sim``, the demo's simulator, on a port any local user reaches (an outsider's
findings): idle and half-sent connections under ``ulimit -n 128`` never starve a client nor
flood stderr (aiohttp's own accept loop wrote a traceback per try when descriptors ran out:
1,300 in 5 s, 243 MB in 40 s, read line by line by the demo's TUI); the demo's simulator
does not take the scenario's well-known credentials."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
from peers import fd_limit, free_port, half_sent


def test_idle_connections_never_starve_a_client_nor_flood_stderr(tmp_path):
    port = free_port()
    err = tmp_path / "sim.err"
    with err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fivec_tui", "sim", "--port", str(port), "--scenario", "quiet"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            preexec_fn=lambda: fd_limit(128),
        )
    try:
        assert "simulator" in proc.stdout.readline(), err.read_text()
        url = f"http://127.0.0.1:{port}/api/recv/"  # any answer, whole
        form = {"username": "demo", "password": "demo123456", "apikey": "x"}
        assert httpx.post(url, data=form, timeout=5).status_code == 200
        flood = half_sent(port, 200, b"POST /api/send/ HTTP/1.1\r\n")
        try:
            assert len(flood) >= 100  # the flood got in, past the file limit
            for _ in range(3):  # from 127.0.0.1, none of the flood's addresses
                assert httpx.post(url, data=form, timeout=5).status_code == 200
                time.sleep(0.5)
        finally:
            for s in flood:
                s.close()
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(30)
    said = err.read_text()
    assert "Traceback" not in said and len(said.splitlines()) <= 6, said


def test_the_demos_simulator_has_credentials_of_its_own():
    """The scenario's password and apikey are in the repository for anyone to read: any
    local user could drain the demo's reports or send as it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fivec_tui", "sim", "--json", "--stop-on-eof"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        (account,) = json.loads(proc.stdout.readline())["accounts"]
        url = account["base_url"] + "/api/recv/"
        ours = {k: account[k] for k in ("username", "password_md5", "apikey")}
        known = {"username": "demo", "password": "demo123456"}
        known["apikey"] = "d72f33697f8443b397bddba173e30410"
        assert ours["apikey"] != known["apikey"]
        assert not httpx.post(url, data=ours, timeout=5).text.startswith("error")
        assert httpx.post(url, data=known, timeout=5).text.startswith("error")
    finally:
        proc.stdin.close()  # its end: the simulator stops
        assert proc.wait(30) == 0


def test_stop_on_eof_from_dev_null_stops_at_once():
    """epoll refuses /dev/null: it was a traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "fivec_tui", "sim", "--json", "--stop-on-eof"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
