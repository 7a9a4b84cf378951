"""Where the TUI's sync runs: the engines and the demo's simulator in a child process.

Ingest parses, inserts and talks HTTP. In the UI's event loop every chunk delayed the next
key press; on a thread of the UI's process it still held the GIL the UI needed to draw (the
same UI beside a poll daemon answered keys at 1.5x a bare Textual app, hosting the engine on
a thread at 2.3x). The engines therefore run in :mod:`.sync_child` (:class:`SyncProcess`),
one process for every hosted account, as ``poll --all`` runs them: an account whose platform
hangs fails only its own jobs. The UI reads the cache as before (its own connection, in
worker threads) and hears from the engines through the child's frames.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..i18n import current as current_language
from ..when import zone_name
from .frames import JobView, pack, read_frame

if TYPE_CHECKING:
    from ..api.client import FivecClient
    from ..config import Profile
    from ..store import Store
    from ..sync.lock import PollerLock

log = logging.getLogger("fivec_tui.app")


@dataclass
class Hosted:
    """One account the app can show: its profile and cache, the lock when we hold it (None:
    a poll daemon owns the sync, so this account is attached read-only), and once started
    its engine (in the sync process) and the UI's client.  ``note`` says what the banner
    says for it (read-only, sync not started)."""

    profile: Profile
    store: Store
    lock: PollerLock | None = None
    engine: RemoteEngine | None = None
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


@dataclass
class RemoteEngine:
    """An account's engine in the sync process, as the UI sees it: the jobs' health (sent
    twice a second when it changed) and a way to run a job now."""

    process: SyncProcess
    key: str
    #: What the account's alerts are shown with ("" with one account).
    tag: str = ""
    jobs: dict[str, JobView] = field(default_factory=dict)

    def trigger(self, name: str) -> None:
        """Run a scheduled job now (after a send, pull its reports sooner)."""
        self.process.send("trigger", self.key, name)


class SyncProcess:
    """The sync child (:mod:`.sync_child`), spawned with the first account it runs.

    ``on_change``, ``on_alert`` and ``on_lost`` are called in the UI's loop: new rows, an
    alert event (with the account's tag), and the child gone (its exit code) while the app
    still needed it.
    """

    def __init__(
        self,
        on_change: Callable[[], None],
        on_alert: Callable[[Any, str], None],
        on_lost: Callable[[int | None], None],
    ) -> None:
        self.on_change, self.on_alert, self.on_lost = on_change, on_alert, on_lost
        self.proc: asyncio.subprocess.Process | None = None
        self.engines: dict[str, RemoteEngine] = {}
        #: account -> (started, asked: the username when its engine waits for consent)
        self._starting: dict[str, tuple[asyncio.Future[None], asyncio.Future[str]]] = {}
        #: what was asked of the child by key (a simulator, a call), until it answers
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._keys = itertools.count()
        self._reading: asyncio.Task | None = None
        self._stopping = False

    async def start(
        self,
        key: str,
        profile: Profile,
        db_path: Path,
        *,
        consent: bool,
        ask: Callable[[str], Awaitable[bool]],
        tag: str = "",
    ) -> RemoteEngine:
        """Start ``profile``'s engine on ``db_path``; ``ask`` asks for consent (username ->
        yes) the first time. Raises when it could not start."""
        await self._spawn()
        loop = asyncio.get_running_loop()
        started, asked = loop.create_future(), loop.create_future()
        self._starting[key] = (started, asked)
        engine = self.engines[key] = RemoteEngine(self, key, tag)
        self.send("start", key, profile, str(db_path), consent)
        await asyncio.wait((started, asked), return_when=asyncio.FIRST_COMPLETED)
        if asked.done():  # the child's engine needs consent: asked here, in the UI
            self.send("consent", key, await ask(asked.result()))
        try:
            await started
        except Exception:
            del self.engines[key]  # no engine runs for it: its frames are not awaited
            raise
        return engine

    async def _spawn(self) -> None:
        if self.proc is not None:
            return
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "fivec_tui.app.sync_child",
            current_language(),
            zone_name(),  # the alert texts' times, as the app shows them
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,  # the terminal is the UI's
        )
        self._reading = asyncio.create_task(self._read())

    async def ask(self, kind: str, *args: object) -> Any:
        """Ask the child (``simulate``, ``call``) and await its answer; its error raised."""
        await self._spawn()
        key = f"{kind}-{next(self._keys)}"
        answer = self._pending[key] = asyncio.get_running_loop().create_future()
        self.send(kind, key, *args)
        return await answer

    def send(self, *frame: object) -> None:
        if self.proc is not None and self.proc.stdin is not None and not self._stopping:
            self.proc.stdin.write(pack(frame))

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while (frame := await read_frame(self.proc.stdout)) is not None:
            kind, key, *rest = frame
            if key in self._pending:
                self._answer(self._pending.pop(key), kind, rest)
                continue
            engine = self.engines.get(key)
            if engine is None:
                continue
            if kind == "jobs":
                engine.jobs = {job.name: job for job in rest[0]}
            elif kind == "changed":
                self.on_change()
            elif kind == "alert":
                self.on_alert(rest[0], engine.tag)
            elif kind == "consent?" and key in self._starting:
                self._starting[key][1].set_result(rest[0])
            elif kind in ("started", "failed") and key in self._starting:
                started, _asked = self._starting.pop(key)
                if kind == "started":
                    started.set_result(None)
                else:
                    started.set_exception(RuntimeError(rest[0]))
        code = await self.proc.wait()
        gone = RuntimeError(f"the sync process exited ({code})")
        for started, _asked in self._starting.values():
            started.set_exception(gone)
        for answer in self._pending.values():
            answer.set_exception(gone)
        self._starting.clear()
        self._pending.clear()
        if not self._stopping:
            self.on_lost(code)

    @staticmethod
    def _answer(answer: asyncio.Future[Any], kind: str, rest: list) -> None:
        if kind == "simulating":
            answer.set_result(rest[0])
        elif kind == "result" and rest[0]:
            answer.set_result(rest[1])
        elif kind == "result":
            answer.set_exception(rest[1])
        else:  # failed
            answer.set_exception(RuntimeError(rest[0]))

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None and not self._stopping

    async def stop(self, timeout: float = 10.0) -> None:
        """Close the child's stdin (its engines then stop, finishing the pull in flight, and
        its simulator after them) and wait for it; killed after ``timeout``."""
        if self.proc is None or self._stopping:
            return
        self._stopping = True
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            log.warning("the sync process did not stop within %.0f s: killed", timeout)
            self.proc.kill()
            await self.proc.wait()
        if self._reading is not None:
            await asyncio.gather(self._reading, return_exceptions=True)
