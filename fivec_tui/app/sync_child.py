"""The TUI's sync engines (and the demo's simulator), in a process of their own:
``python -m fivec_tui.app.sync_child``.

Ingest parses and inserts in Python: on a thread of the TUI's process it held the GIL the
UI needed to draw, and under a flood a key press waited for it (``tests/bench/bench_keys.py``).
Here each hosted account's :class:`~fivec_tui.sync.engine.Engine` runs as ``poll --all`` runs
them, and the TUI reads the cache as it does beside a poll daemon. The two talk in frames
(:mod:`.frames`) over the child's stdin and stdout: what to start (the profile travels in the
pipe, never on a command line), consent, triggers; back come jobs' health, changes, alerts.
The demo's simulator (or fleet of them) serves from here too, and answers calls on its
platform (what tests do to it). The child runs below the UI in the CPU scheduler's eyes.

The child stops when its stdin closes: the TUI left, however it left (a SIGKILL included),
so it never outlives its TUI. SIGINT and SIGHUP, which the terminal sends to the TUI's whole
process group, are ignored for that reason: the engines then stop as a poll daemon does,
finishing the pull in flight.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import signal
import sys

from ..i18n import use as use_language
from ..store import Store
from ..sync import alerts
from ..sync.client import client_for
from ..sync.engine import Engine
from ..when import use_zone
from .frames import JobView, read_frame, write_frame

#: Seconds between the jobs' health sent to the TUI (when it changed).
HEALTH_S = 0.5
#: Added to the child's nice value: when both want a core, the UI gets it first.
NICE = 10
log = logging.getLogger("fivec_tui.sync_child")


class Child:
    """Every engine of one TUI, started and steered by its frames."""

    def __init__(self) -> None:
        self.engines: dict[str, Engine] = {}
        self.waiting: dict[str, asyncio.Future[bool]] = {}
        self.simulator = None  # the demo's Simulator or Fleet, once started

    def send(self, *frame: object) -> None:
        write_frame(sys.stdout.buffer, frame)

    async def start(self, tag: str, profile, db_path: str, consent: bool) -> None:
        try:
            store = Store(db_path)
            engine = Engine(
                profile,
                store,
                client_for(profile),
                consent=consent,
                on_change=lambda name, *_: self.send("changed", tag, name),
                alerter=alerts.for_profile(profile, store),
                on_alert=lambda event: self.send("alert", tag, event),
            )
            if not engine.consent and engine.destructive_streams:
                answer = self.waiting[tag] = asyncio.get_running_loop().create_future()
                self.send("consent?", tag, profile.username)
                if await answer:
                    await asyncio.to_thread(engine.grant_consent)
            self.engines[tag] = engine
            await engine.start()
        except Exception as exc:  # said to the TUI, which shows it; the others go on
            log.exception("starting %s", tag)
            self.send("failed", tag, f"{type(exc).__name__}: {exc}")
            return
        self.send("started", tag)

    async def simulate(self, key: str, scenario: str, seed: int, speed: float, n: int) -> None:
        """Start the demo's simulator (``n`` > 1: a fleet of accounts); say each account's
        credentials and URL, as (username, password_md5, apikey, base_url)."""
        try:
            if n > 1:
                from ..sim.fleet import Fleet

                self.simulator = await Fleet(n, seed=seed, speed=speed).start()
                simulators = self.simulator.simulators
            else:
                from ..sim.simulator import Simulator

                self.simulator = await Simulator(scenario, seed=seed, speed=speed).start()
                simulators = [self.simulator]
        except Exception as exc:
            self.send("failed", key, f"{type(exc).__name__}: {exc}")
            return
        accounts = [
            (s.account.username, s.account.password_md5, s.account.apikey, s.base_url)
            for s in simulators
        ]
        self.send("simulating", key, accounts)

    async def call(self, key: str, name: str, args: tuple) -> None:
        """The demo platform's ``name``, else the simulator's (``stop``) or the fleet's:
        called with ``args`` when callable (awaited when a coroutine), else read; the result
        or the error sent back."""
        platform = getattr(self.simulator, "platform", None)
        target = platform if hasattr(platform, name) else self.simulator
        try:
            value = getattr(target, name)
            if callable(value):
                value = value(*args)
                if inspect.isawaitable(value):
                    value = await value
        except Exception as exc:  # the caller's to raise
            self.send("result", key, False, exc)
            return
        if name == "stop" and target is self.simulator:
            self.simulator = None  # not stopped again at the end
        self.send("result", key, True, value)

    async def health(self) -> None:
        last: dict[str, list[JobView]] = {}
        while True:
            for tag, engine in list(self.engines.items()):
                views = [JobView.of(j) for j in list(engine.jobs.values())]
                if views != last.get(tag):
                    last[tag] = views
                    self.send("jobs", tag, views)
            await asyncio.sleep(HEALTH_S)

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        health = asyncio.create_task(self.health())
        tasks: set[asyncio.Task] = set()
        try:
            while (frame := await read_frame(reader)) is not None:
                kind, *rest = frame
                if kind in ("start", "simulate", "call"):
                    task = asyncio.create_task(getattr(self, kind)(*rest))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                elif kind == "consent":
                    tag, granted = rest
                    if (answer := self.waiting.pop(tag, None)) and not answer.done():
                        answer.set_result(granted)
                elif kind == "trigger":
                    tag, name = rest
                    if (engine := self.engines.get(tag)) and name in engine.jobs:
                        engine.trigger(name)
        finally:
            health.cancel()
            for answer in self.waiting.values():
                answer.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for engine in self.engines.values():
                await engine.stop()
            if self.simulator is not None:
                await self.simulator.stop()


def main() -> None:
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    os.nice(NICE)
    language = sys.argv[1] if len(sys.argv) > 1 else "en"
    use_language(language)
    if len(sys.argv) > 2:
        use_zone(sys.argv[2])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(Child().serve())


if __name__ == "__main__":
    main()
