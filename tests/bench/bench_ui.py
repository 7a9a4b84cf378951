"""Benchmark (not a test): time to first frame (responsiveness while ingesting: bench_keys.py).

From spawning ``python -m fivec_tui demo`` on a fresh pseudo-terminal
(120x40) to the bytes of its whole first frame on that terminal (the key bar, its last line),
against a bare Textual app (one Static) measured the same way, the two started in turn; the
figure is the median of the per-pair ratios demo/bare (target under 1.5x). Interpreter start
and imports are included: they are what a user waits for. The package is byte-compiled first,
as Textual is by pip and as any start after the first finds it (a source checkout run with
PYTHONDONTWRITEBYTECODE would otherwise recompile every edited module on every start).

    .venv/bin/python tests/bench/bench_ui.py
"""

from __future__ import annotations

import compileall
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

BARE = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("hello")
Bare().run()
"""


def pty_env(home: str | None = None) -> dict[str, str]:
    """The environment of a process under test: its own config, state and data dirs."""
    home = home or tempfile.mkdtemp()
    Path(home, "none.toml").touch(mode=0o600)  # a config FIVEC_CONFIG names must exist
    return {
        **os.environ,
        "TERM": "xterm-256color",
        "FIVEC_CONFIG": f"{home}/none.toml",
        "XDG_STATE_HOME": home,
        "XDG_DATA_HOME": home,
    }


def spawn_on_pty(
    argv: list[str], env: dict[str, str], size: tuple[int, int] = (120, 40)
) -> tuple[subprocess.Popen, int]:
    """``argv`` on a fresh pseudo-terminal of ``size`` (columns, rows): the process and the
    terminal's master end, which receives what it draws and sends it keys."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    return proc, master


def first_frame(argv: list[str], marker: bytes) -> float:
    """Seconds from spawn to ``marker`` appearing on the process's terminal."""
    env = pty_env()
    start = time.perf_counter()
    proc, master = spawn_on_pty(argv, env)
    seen = b""
    try:
        while marker not in seen:
            if not select.select([master], [], [], 30)[0]:
                raise RuntimeError(f"{argv} drew no frame in 30 s")
            seen += os.read(master, 65536)
        return time.perf_counter() - start
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


def first_frames(pairs: int = 21) -> tuple[float, float, list[float]]:
    """Bare and demo started in turn; medians of each, and the ratio of each pair."""
    bare, demo = [], []
    for _ in range(pairs):
        bare.append(first_frame([sys.executable, "-c", BARE], b"hello"))
        demo.append(
            first_frame([sys.executable, "-m", "fivec_tui", "--lang", "en", "demo"], b"Dashboard")
        )
    ratios = sorted(d / b for b, d in zip(bare, demo, strict=True))
    return statistics.median(bare), statistics.median(demo), ratios


def main() -> None:
    compileall.compile_dir(Path(__file__).parents[2] / "fivec_tui", quiet=1)
    bare, demo, ratios = first_frames()
    print(
        f"time to first frame (median of {len(ratios)} pairs): bare Textual {bare * 1000:.0f} ms, "
        f"fivec-tui demo {demo * 1000:.0f} ms; ratio per pair: median "
        f"{statistics.median(ratios):.2f}, range {ratios[0]:.2f}-{ratios[-1]:.2f}"
    )


if __name__ == "__main__":
    main()
