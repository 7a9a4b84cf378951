"""The sync engines (and the demo's simulator) on a thread of their own, off the UI's loop.

Ingest parses, inserts and talks HTTP: in the UI's event loop every chunk delayed the next
key press. Here they run in their own asyncio loop on a daemon thread; the UI reads the cache
as before (its own connection, in worker threads) and hears from the engine through
thread-safe calls (``App.post_message``). Anything that touches the engine or the simulator
from the UI goes through :meth:`SyncThread.call` or :meth:`SyncThread.run`.

With several profiles (the Accounts overview) every account's engine runs in that same loop,
each with its own cache, lock and client (:class:`Hosted`), as ``poll --all`` runs them: an
account whose platform hangs fails only its own jobs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ..api.client import FivecClient
    from ..config import Profile
    from ..store import Store
    from ..sync.engine import Engine
    from ..sync.lock import PollerLock

T = TypeVar("T")
#: How long a thread may hold the GIL while another waits for it (Python's default is 5 ms):
#: shorter, a key press waits less for the UI thread to get it back from the sync thread.
SWITCH_INTERVAL_S = 0.001
NICE = 10  # added to the sync thread's nice value
log = logging.getLogger("fivec_tui.app")


class SyncThread:
    """An asyncio loop on a daemon thread, started on first use and stopped by :meth:`stop`."""

    def __init__(self, name: str = "fivec-sync") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)

    def _serve(self) -> None:
        # Below the UI in the CPU scheduler's eyes (the threads it starts inherit it): when
        # both want a core, the UI gets it first.
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    def _start(self) -> None:
        if not self._thread.is_alive():
            sys.setswitchinterval(SWITCH_INTERVAL_S)
            self._thread.start()

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` in the sync loop, soon; returns at once."""
        self._start()
        self.loop.call_soon_threadsafe(fn, *args)

    async def run(self, make: Callable[[], Awaitable[T]]) -> T:
        """Await ``make()`` in the sync loop from the UI's loop (``make`` is called there)."""
        self._start()

        async def go() -> T:
            return await make()

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(go(), self.loop))

    async def stop(self, *closers: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> None:
        """Await each closer in the sync loop (errors ignored: we are leaving), cancel what
        is left, and end the thread; never longer than ``timeout`` in all."""
        if not self._thread.is_alive():
            return
        deadline = time.monotonic() + timeout

        async def close() -> None:
            for closer in closers:
                try:
                    await closer()
                except Exception:  # leaving anyway: said, and the next closer still runs
                    log.exception("stopping %s", getattr(closer, "__qualname__", closer))
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            await asyncio.wait_for(self.run(close), timeout)
        except TimeoutError:  # a daemon thread: the process may leave without it
            log.warning("the sync thread did not stop within %.0f s", timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self._thread.join, max(0.0, deadline - time.monotonic()))


@dataclass
class Hosted:
    """One account the app can show: its profile and cache, the lock when we hold it (None:
    a poll daemon owns the sync, so this account is attached read-only), and once started
    its engine (on the sync thread) and the UI's client.  ``note`` says what the banner
    says for it (read-only, sync not started)."""

    profile: Profile
    store: Store
    lock: PollerLock | None = None
    engine: Engine | None = None
    client: FivecClient | None = None
    note: str = ""
    started: bool = False

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def state(self) -> str:
        """``starting``, ``live`` or ``read-only`` (English: show it with ``_()``)."""
        if not self.started:
            return "starting"
        return "live" if self.engine else "read-only"


def engine_closers(accounts: Iterable[Hosted]) -> list[Callable[[], Awaitable[Any]]]:
    """What stops every hosted account's engine, for :meth:`SyncThread.stop`."""
    return [a.engine.stop for a in accounts if a.engine is not None]
