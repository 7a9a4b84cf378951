"""A platform (or what stands in front of it) that answers 200 and then never finishes: a byte
every half second, or an endless stream.  Every command ends within its deadline, memory stays
bounded, the error says which, and a `poll` daemon stops on SIGTERM.

The servers are tiny asyncio ones in a thread of the test.  Commands run as processes, each
reporting its peak memory (VmHWM) when it exits.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Each request's deadline in these tests (the profile's ``timeout``), and a send's; a trickle
#: sends a byte every TRICKLE_S, so that bytes keep coming well within every deadline.
TIMEOUT_S, SEND_TIMEOUT_S, TRICKLE_S = 1, 3, 0.5
CONFIG = f"[profiles.default]\ntimeout = {TIMEOUT_S}\nsend_timeout = {SEND_TIMEOUT_S}\n"
#: Peak memory a command may reach whatever the answer: it runs at about 70 MB, and reads at
#: most 64 MiB of an answer (a window of send records) before it gives up on it.
PEAK_LIMIT_KB = 250 * 1024
#: The CLI, reporting its peak memory on stderr as it exits: VmHWM, the peak of this program's
#: own memory (ru_maxrss keeps the peak of the process before its exec: a pytest of 350 MB
#: that spawned it).
WRAPPED = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('PEAK_KB', next(int(line.split()[1]) for line in "
    "open('/proc/self/status') if line.startswith('VmHWM:')), file=sys.stderr))\n"
    "from fivec_tui.cli import main\n"
    "main()\n"
)


async def _serve(mode: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read one request, answer 200 chunked, then a byte every TRICKLE_S or 1 MiB chunks
    forever."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
        writer.write(b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"1," * (1 << 19)
        while True:
            if mode == "trickle":
                writer.write(b"1\r\nx\r\n")
                await writer.drain()
                await asyncio.sleep(TRICKLE_S)
            else:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


@pytest.fixture(params=["trickle", "endless"])
def platform(request) -> Iterator[tuple[str, str]]:
    """``(mode, base URL)`` of a server that trickles or streams forever."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    port: list[int] = []

    async def start() -> None:
        server = await asyncio.start_server(
            lambda r, w: _serve(request.param, r, w), "127.0.0.1", 0
        )
        port.append(server.sockets[0].getsockname()[1])
        ready.set()

    thread = threading.Thread(
        target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True
    )
    thread.start()
    assert ready.wait(10)
    yield request.param, f"http://127.0.0.1:{port[0]}"

    async def stop() -> None:
        tasks = asyncio.all_tasks() - {asyncio.current_task()}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def env_for(base_url: str, tmp_path: Path) -> dict[str, str]:
    (tmp_path / "config.toml").write_text(CONFIG)
    return {
        **os.environ,
        "FIVEC_CONFIG": str(tmp_path / "config.toml"),
        "FIVEC_DB": str(tmp_path / "c.db"),
        "FIVEC_BASE_URL": base_url,
        "FIVEC_USERNAME": "demo",
        "FIVEC_PASSWORD_MD5": "0" * 32,
        "FIVEC_APIKEY": "k" * 32,
    }


def run_cli(env: dict[str, str], *args: str, limit_s: float) -> tuple[int, str, str, int, float]:
    """``fivec-tui ARGS``: exit code, stdout, stderr, peak memory (KiB), seconds taken."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", WRAPPED, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=limit_s,
        stdin=subprocess.DEVNULL,
    )
    took = time.monotonic() - started
    peak = [int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("PEAK_KB")]
    assert peak, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr, peak[0], took


def said(mode: str) -> str:
    return f"did not answer in {TIMEOUT_S} s" if mode == "trickle" else "more than"


def test_balance_ends_within_its_deadline_in_bounded_memory(platform, tmp_path):
    mode, url = platform
    code, _out, err, peak, took = run_cli(env_for(url, tmp_path), "balance", limit_s=60)
    assert code == 1 and said(mode) in err, err
    if mode == "endless":
        assert "more than 1 MiB" in err
    assert took < TIMEOUT_S + 20 and peak < PEAK_LIMIT_KB


def test_a_send_without_a_whole_answer_is_outcome_unknown_and_not_retried(platform, tmp_path):
    mode, url = platform
    env = env_for(url, tmp_path)
    args = ("send", "--to", "13800138000", "--content", "测试【公司】", "--yes")
    code, _out, err, peak, took = run_cli(env, *args, limit_s=60)
    assert code == 1 and "outcome unknown" in err and "NOT retried" in err, err
    expected = f"did not answer in {SEND_TIMEOUT_S} s" if mode == "trickle" else "more than 1 MiB"
    assert expected in err
    assert took < SEND_TIMEOUT_S + 20 and peak < PEAK_LIMIT_KB
    with sqlite3.connect(tmp_path / "c.db") as db:
        outcomes = [r[0] for r in db.execute("SELECT outcome FROM audit ORDER BY id")]
    assert outcomes == ["pending", "unknown"]


def test_poll_once_ends_with_each_jobs_error(platform, tmp_path):
    mode, url = platform
    code, out, err, peak, took = run_cli(
        env_for(url, tmp_path), "poll", "--once", "--yes", limit_s=120
    )
    assert code == 1, err
    lines = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    for job in ("records", "reports", "replies", "balance"):
        assert said(mode) in lines[job], out
    # five jobs, each ends at its first request's deadline (records: its halves, bounded)
    assert took < 5 * TIMEOUT_S + 40 and peak < PEAK_LIMIT_KB


def test_the_poll_daemon_says_why_and_stops_on_sigterm(platform, tmp_path):
    mode, url = platform
    env = env_for(url, tmp_path)
    err_path = tmp_path / "poll.err"
    with err_path.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fivec_tui", "poll", "--yes"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 60
        errors: list[str] = []
        while not errors:
            assert time.monotonic() < deadline, "no job recorded its error"
            assert proc.poll() is None, err_path.read_text()
            time.sleep(0.2)
            try:
                with sqlite3.connect(tmp_path / "c.db") as db:
                    errors = [
                        r[0]
                        for r in db.execute(
                            "SELECT last_error FROM job_health WHERE job = 'balance' "
                            "AND last_error != ''"
                        )
                    ]
            except sqlite3.OperationalError:  # not made yet
                continue
        assert said(mode) in errors[0]
        proc.send_signal(signal.SIGTERM)
        # the run in flight ends at its request's deadline; the stop waits at most that + 5 s
        assert proc.wait(timeout=TIMEOUT_S + 5 + 15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in err_path.read_text()
