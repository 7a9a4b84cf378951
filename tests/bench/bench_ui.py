"""Benchmark (not a test): time to first frame, and responsiveness while ingesting at peak.

1. Time to first frame: from spawning a fresh process that starts ``fivec-tui demo`` headless
   to its first frame (when Textual hands over to an auto-pilot, which prints the wall-clock
   time), against a bare Textual app (one Static) started the same way; median of several
   runs each, ratio demo/bare (target under 1.5x). Interpreter start and imports are
   included: they are what a user waits for. Shutdown is not.
2. Responsiveness: the demo app under the ``flood`` scenario (600 msg/s ingested by its own
   engine) vs under ``quiet``: median and worst time from a key press to the other screen
   being shown, over many switches.

    .venv/bin/python tests/bench/bench_ui.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time

BARE = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("hello")
async def first_frame(pilot):
    import time
    print(time.time(), flush=True)
    pilot.app.exit()
Bare().run(headless=True, auto_pilot=first_frame)
"""
DEMO = """
import sys, time
from textual.app import App
run = App.run
async def first_frame(pilot):
    print(time.time(), flush=True)
    pilot.app.exit()
App.run = lambda self, **kw: run(self, headless=True, auto_pilot=first_frame)
sys.argv = ["fivec-tui", "demo"]
from fivec_tui.cli import main
main()
"""


ENV = {**os.environ, "FIVEC_CONFIG": "/nonexistent/fivec.toml"}


def first_frame(code: str, runs: int = 7) -> float:
    samples = []
    for _ in range(runs):
        start = time.time()
        done = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        )
        samples.append(float(done.stdout.split()[0]) - start)
    return statistics.median(samples)


async def switch_latency(scenario: str, switches: int = 60) -> list[float]:
    from fivec_tui.app.run import demo_app

    app = demo_app(scenario, db_dir=tempfile.mkdtemp())
    samples = []
    async with app.run_test(size=(120, 40)) as pilot:
        while app.engine is None:
            await pilot.pause(0.1)
        await pilot.pause(3)  # let ingest reach its pace
        for i in range(switches):
            key, mode = ("r", "replies") if i % 2 == 0 else ("d", "dashboard")
            start = time.perf_counter()
            await pilot.press(key)
            while app.current_mode != mode:
                await pilot.pause(0.005)
            await pilot.pause()
            samples.append(time.perf_counter() - start)
            await pilot.pause(0.1)
        ingested = app.store.scalar("SELECT count(*) FROM reports")
        await app.simulator.stop()
    print(f"  {scenario}: {ingested} reports ingested during the run")
    return samples


def main() -> None:
    bare, demo = first_frame(BARE), first_frame(DEMO)
    print(
        f"time to first frame: bare Textual {bare * 1000:.0f} ms, fivec-tui demo "
        f"{demo * 1000:.0f} ms, ratio {demo / bare:.2f}"
    )
    quiet = asyncio.run(switch_latency("quiet"))
    flood = asyncio.run(switch_latency("flood"))
    for name, s in (("quiet", quiet), ("flood", flood)):
        print(
            f"screen switch under {name}: median {statistics.median(s) * 1000:.0f} ms, "
            f"worst {max(s) * 1000:.0f} ms"
        )
    print(f"flood/quiet median ratio {statistics.median(flood) / statistics.median(quiet):.2f}")


if __name__ == "__main__":
    main()
