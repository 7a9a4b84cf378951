"""Fixtures of the fault tests: ``daemon`` (see :mod:`peers`)."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest
from peers import TOKEN, Daemon, fd_limit, wait_for_port


@pytest.fixture
def daemon(sim_thread, poll_env, tmp_path):
    """``daemon(*args, nofile=None, **push)``: `fivec-tui poll --listen 127.0.0.1:0 ARGS` with
    ``push`` settings, under ``ulimit -n NOFILE`` if given."""
    started: list[Daemon] = []
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:  # the attackers' sockets live in this process
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))

    def start(*args: str, nofile: int | None = None, **push) -> Daemon:
        settings = "".join(f"{k} = {v!r}\n" for k, v in push.items())
        config = (
            "[profiles.default.streams]\nreports = 'push'\nreplies = 'push'\n"
            f"[profiles.default.push]\ntoken = '{TOKEN}'\n{settings}"
        )
        err = tmp_path / "poll.err"
        with err.open("wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "fivec_tui", "poll", "--listen", "127.0.0.1:0", *args],
                env=poll_env(sim_thread, config),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                preexec_fn=None if nofile is None else lambda: fd_limit(nofile),
            )
        d = Daemon(proc, wait_for_port(err, proc), tmp_path)
        started.append(d)
        return d

    yield start
    for d in started:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait(10)
