"""The TUI as a real terminal process: it exits when the SSH terminal goes away; `serve` serves it."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import socket
import subprocess
import sys
import termios
import threading
import time

import httpx
import pytest
from clirun import empty_config


def _drain(fd: int, seen: bytearray) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        seen.extend(chunk)


def demo_on_a_pty(tmp_path, **env: str) -> tuple[subprocess.Popen, int, bytearray]:
    """``fivec-tui demo`` on a new pseudo-terminal, its controlling one, once its first frame
    (the key bar) is out: the process, the terminal's master side, and what it wrote so far
    (and goes on writing)."""
    master, slave = pty.openpty()
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "FIVEC_CONFIG": empty_config(tmp_path / "none.toml"),
        "XDG_STATE_HOME": str(tmp_path),
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "fivec_tui", "demo"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(slave)
    seen = bytearray()
    threading.Thread(target=_drain, args=(master, seen), daemon=True).start()
    deadline = time.time() + 30
    while b"Dashboard" not in seen and time.time() < deadline:
        time.sleep(0.005)
    if b"Dashboard" not in seen:
        proc.kill()
        pytest.fail("the TUI never drew its key bar")
    return proc, master, seen


@pytest.mark.parametrize("attempt", range(4))
def test_demo_exits_when_its_terminal_hangs_up(tmp_path, attempt):
    """The session drops the moment the first frame is out, while start-up is still writing:
    Textual's output thread dies on EIO then, and its full queue used to block the exit."""
    proc, master, _ = demo_on_a_pty(tmp_path)
    os.close(master)  # the SSH session is gone: the kernel sends SIGHUP
    try:
        assert proc.wait(timeout=15) is not None
    finally:
        if proc.poll() is None:
            proc.kill()


def test_demo_quit_as_its_terminal_hangs_up_exits(tmp_path):
    """ctrl+q, then the SSH session drops as the app gives the terminal back: the hang-up's
    SIGCONT (sent with its SIGHUP) restarted the terminal's input on the dead terminal, a
    thread that spun at full CPU and kept the process alive for good (a newcomer's finding)."""
    proc, master, seen = demo_on_a_pty(tmp_path)
    try:
        os.write(master, b"\x11")  # ctrl+q
        deadline = time.time() + 30
        while b"\x1b[?1049l" not in seen and time.time() < deadline:  # the screen given back
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGCONT)  # as the hang-up sends it, then the terminal goes
        os.close(master)
        assert proc.wait(timeout=15) is not None
    finally:
        if proc.poll() is None:
            proc.kill()


def test_demo_on_sigterm_gives_the_terminal_back_and_leaves_no_directory(tmp_path):
    """``kill PID``: the demo ended on the spot, the terminal left on the alternate screen
    and its temporary directory behind (an outsider's finding)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc, master, seen = demo_on_a_pty(tmp_path, TMPDIR=str(tmp))
    try:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
        deadline = time.time() + 5
        while b"\x1b[?1049l" not in seen and time.time() < deadline:
            time.sleep(0.05)
        assert seen.rfind(b"\x1b[?1049l") > seen.rfind(b"\x1b[?1049h") >= 0  # screen back
        assert list(tmp.iterdir()) == []
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def test_serve_binds_loopback_and_serves_the_page_to_the_printed_url(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "fivec_tui", "serve", "--demo", "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "FIVEC_CONFIG": empty_config(tmp_path / "none.toml")},
    )
    try:
        url = proc.stdout.readline().split(": ", 1)[1].strip()
        assert re.fullmatch(rf"http://127\.0\.0\.1:{port}/[A-Za-z0-9_-]{{43}}/", url), url
        with httpx.Client(follow_redirects=True, timeout=5) as browser:
            assert browser.get(f"http://127.0.0.1:{port}/").status_code == 403
            page = browser.get(url)
        assert page.status_code == 200 and "fivec-tui" in page.text
    finally:
        proc.terminate()
        proc.wait(10)
    exposed = subprocess.run(
        [sys.executable, "-m", "fivec_tui", "serve", "--host", "0.0.0.0", "--port", str(port)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert exposed.returncode == 2 and "not loopback" in exposed.stderr
