"""Benchmark (not a test): what the TUI costs a slow link, in bytes written to its terminal.

``fivec-tui demo`` runs on a fresh 120x40 pseudo-terminal; once start-up is done (the banner
says LIVE and the first data has been drawn, then 5 s more), every byte the terminal receives
over 30 s is counted. ``top -d 2`` is measured the same way on the same size of pty in the same
run: it is what an on-call engineer would otherwise leave open. The figure is demo/top
(target 1.25).

    .venv/bin/python tests/bench/bench_ssh.py [--seconds 30] [--rows]

``--rows`` also prints which screen rows the demo's bytes went to (from the cursor moves in
the stream), to find what redraws.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import shutil
import sys
import tempfile
import time
from collections import Counter

from bench_ui import pty_env, spawn_on_pty

MOVE = re.compile(rb"\x1b\[(\d+);(\d+)H")


def count_bytes(
    argv: list[str], ready: bytes, seconds: float, settle: float = 5.0, env: dict | None = None
) -> bytes:
    """Spawn ``argv``; once ``ready`` has appeared and ``settle`` seconds passed, return
    what the terminal receives over ``seconds``."""
    proc, master = spawn_on_pty(argv, env or pty_env(), size=(120, 40))
    try:
        seen, deadline = b"", time.monotonic() + 60
        while ready not in seen:
            if time.monotonic() > deadline or not select.select([master], [], [], 1)[0]:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{argv} never showed {ready!r}")
                continue
            seen += os.read(master, 65536)
        drain(master, settle)
        return drain(master, seconds)
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


def drain(master: int, seconds: float) -> bytes:
    out, end = bytearray(), time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if select.select([master], [], [], left)[0]:
            try:
                out += os.read(master, 65536)
            except OSError:
                break
    return bytes(out)


def by_row(stream: bytes) -> Counter:
    """Bytes per screen row (1-based), attributed from each cursor move to the next."""
    rows: Counter = Counter()
    marks = list(MOVE.finditer(stream))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(stream)
        rows[int(m.group(1))] += end - m.start()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rows", action="store_true")
    args = parser.parse_args()
    top = shutil.which("top")
    if top is None:
        sys.exit("top is not installed")
    home = tempfile.mkdtemp()
    demo = count_bytes(
        [sys.executable, "-m", "fivec_tui", "--lang", "en", "demo"],
        b"LIVE",
        args.seconds,
        env=pty_env(home),
    )
    baseline = count_bytes([top, "-d", "2"], b"load average", args.seconds)
    per_s = len(demo) / args.seconds, len(baseline) / args.seconds
    print(
        f"bytes to the terminal over {args.seconds:.0f} s at 120x40: fivec-tui demo "
        f"{len(demo):,} ({per_s[0]:,.0f}/s), top -d 2 {len(baseline):,} ({per_s[1]:,.0f}/s); "
        f"ratio {len(demo) / max(1, len(baseline)):.2f}"
    )
    if args.rows:
        for row, n in sorted(by_row(demo).items()):
            print(f"  row {row:3d}: {n:8,d}")


if __name__ == "__main__":
    main()
