"""The TUI's end of the one sync path: the pollers its accounts read from, and the watcher.

The TUI never runs sync engines.  For its accounts it starts ``fivec-tui poll`` (``poll
--all`` for several) as a child process, or attaches to the poll daemon that already holds
an account's lock, and from then on reads everything from the caches: a small thread polls
each cache's ``PRAGMA data_version`` (it changes when another connection commits) twice a
second and, on a change, reads the jobs' health the poller wrote (``job_health``) and the new
rows of ``alerts``.  What it finds becomes messages to the app (:mod:`.events`).

A child is started in a session of its own (the terminal's SIGINT and SIGHUP are the TUI's to
handle) with a pipe on its standard input that the TUI never writes: the child stops,
finishing the pull in flight, once it reads the end of the pipe, which comes when the TUI
closes it or when the TUI's process ends in any way, SIGKILL included.  A daemon the TUI
only attached to is never stopped by it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import threading
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.worker import get_current_worker

from ..i18n import _
from ..store import Store
from ..store.poller import job_health
from ..sync.diagnosis import sync_state
from ..text import visible
from ..when import show_time
from .events import AlertRaised, CacheChanged, SendDone, SubaccountsChanged, SyncStateChanged

if TYPE_CHECKING:
    from pathlib import Path

    from textual.app import App

    from ..config import Profile
    from ..store.poller import JobHealth
    from ..sync.alerts import Event
    from .app import FivecApp

log = logging.getLogger("fivec_tui.app")
#: Seconds between two looks at the caches.
WATCH_S = 0.5
#: Seconds a child is given to stop (a poll finishes the pull in flight) before it is killed.
STOP_S = 10.0
#: Added to a child's nice value: when the UI and the poll (or the demo's simulator) both want
#: a core, the person at the terminal gets it first.
NICE = 10


@dataclass
class Hosted:
    """An account the app shows: its profile and cache, its sync state (``starting``,
    ``live``, ``read-only`` or a reason: English, shown with ``_()``) and the banner's note."""

    profile: Profile
    store: Store
    state: str = "starting"
    note: str = ""

    @property
    def name(self) -> str:
        return self.profile.name


class Child:
    """A process the TUI started (``poll``, the demo's ``sim``): its stdin a pipe, its
    stderr read for the last line it said, which tells why it ended."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.proc: asyncio.subprocess.Process | None = None
        self.last_line = ""
        self._reading: asyncio.Task | None = None

    async def start(self, *, stdout: bool = False) -> None:
        """Start it; with ``stdout``, its output can be read (:meth:`first_line`)."""
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv,
            env=self.env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE if stdout else asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        with contextlib.suppress(OSError):  # before the child has threads, which inherit it
            os.setpriority(
                os.PRIO_PROCESS, self.proc.pid, os.getpriority(os.PRIO_PROCESS, 0) + NICE
            )
        self._reading = asyncio.create_task(self._read_stderr())

    async def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            if text := line.decode("utf-8", "replace").strip():
                self.last_line = text[-300:]

    async def first_line(self, timeout: float) -> str:
        """Its first line of output, or an error saying how it ended instead."""
        assert self.proc is not None and self.proc.stdout is not None
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except TimeoutError:
            raise RuntimeError(f"no answer within {timeout:.0f} s") from None
        if not line:
            code = await self.proc.wait()
            await asyncio.gather(self._reading, return_exceptions=True)
            raise RuntimeError(f"exited ({code}): {self.last_line}")
        return line.decode("utf-8", "replace")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode if self.proc else None

    async def stop(self, timeout: float = STOP_S) -> None:
        """Close its stdin (it stops) and wait for it; killed after ``timeout``."""
        if self.proc is None:
            return
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            log.warning("%s did not stop within %.0f s: killed", self.name, timeout)
            self.proc.kill()
            await self.proc.wait()
        if self._reading is not None:
            await asyncio.gather(self._reading, return_exceptions=True)


@dataclass
class Poller:
    """Where an account's sync runs: a child the TUI started, or the daemon (its pid) that
    held the account's lock.  ``note``: what the banner says while it runs; ``heard``: it has
    written the account's job health (so it handles the wake-up signals)."""

    child: Child | None = None
    attached: int | None = None
    note: str = ""
    heard: bool = False

    @property
    def pid(self) -> int | None:
        return self.child.pid if self.child else self.attached

    def gone(self) -> str | None:
        """Why it no longer runs; None while it does."""
        if self.child is not None:
            code = self.child.returncode
            if code is None:
                return None
            why = _("sync stopped: poll exited ({code})").format(code=code)
            return f"{why}: {self.child.last_line}" if self.child.last_line else why
        if self.attached is None:
            return None
        try:
            os.kill(self.attached, 0)
        except ProcessLookupError:
            return _("sync stopped: poll daemon pid {pid} exited").format(pid=self.attached)
        except PermissionError:  # alive, another user's
            pass
        return None


class SyncLink:
    """Every poller of the app's accounts, the children it started, and the cache watcher."""

    def __init__(self) -> None:
        self.pollers: dict[str, Poller] = {}
        #: In the order started (the demo's simulator first): stopped the other way round.
        self.children: list[Child] = []
        self._stopping = threading.Event()

    async def start(
        self, name: str, argv: list[str], env: dict[str, str], *, stdout: bool = False
    ) -> Child:
        """Start ``argv`` as a child of this app (``name`` says which in logs).  Once the app
        is ending (:meth:`stop` has run: a hang-up during start-up), a child is not left
        running: it would outlive the app, which then waited for it at its exit."""
        if self.stopping:
            raise RuntimeError(f"not started: the app is ending ({name})")
        child = Child(name, argv, env)
        await child.start(stdout=stdout)
        if self.stopping:  # stop() ran while it started
            await child.stop()
            raise RuntimeError(f"not started: the app is ending ({name})")
        self.children.append(child)
        return child

    def wake(self, account: str, sig: signal.Signals) -> bool:
        """Send ``sig`` to ``account``'s poller (a daemon runs jobs now on it: see
        :data:`fivec_tui.sync.daemon.WAKE`) once it has been heard from, and while it runs."""
        poller = self.pollers.get(account)
        if poller is None or poller.pid is None or not poller.heard or poller.gone():
            return False
        try:
            os.kill(poller.pid, sig)
        except OSError:
            return False
        return True

    def state_of(self, account: str, jobs: list[JobHealth]) -> tuple[str, str] | None:
        """``(state, note)`` of an account from its poller and the job health in its cache;
        None when no poller was set for it (the startup says why)."""
        poller = self.pollers.get(account)
        if poller is None:
            return None
        if gone := poller.gone():
            return "read-only", gone
        pid = poller.pid
        mine = [job for job in jobs if pid is None or job.pid == pid]
        poller.heard = poller.heard or bool(mine)
        state, detail = sync_state(mine)
        if state in ("starting", "live"):
            return state, poller.note
        return state, f"{_(state)}: {detail}"

    def watch(self, app: App, accounts: list[Hosted]) -> None:
        """Until :meth:`stop` (or its worker is cancelled), in a worker thread: post to ``app``
        what changed in the caches."""
        worker = get_current_worker()
        watchers = [Watcher(a.name, a.store.path) for a in accounts]
        try:
            while not worker.is_cancelled:
                changed = frozenset(w.name for w in watchers if w.look(app))
                states = [(w, self.state_of(w.name, w.jobs)) for w in watchers]
                for w, state in states:
                    if state is not None and state != w.state:
                        w.state = state
                        app.post_message(SyncStateChanged(w.name, *state))
                if changed:
                    app.post_message(CacheChanged(changed))
                if self._stopping.wait(WATCH_S):
                    break
        finally:
            for w in watchers:
                w.close()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def stop(self) -> None:
        """Stop watching, then every child this app started (never an attached daemon)."""
        self._stopping.set()
        for child in reversed(self.children):
            await child.stop()


class Watcher:
    """One account's cache as the watcher sees it, on a connection of its own."""

    def __init__(self, name: str, path: Path) -> None:
        self.name, self.path = name, path
        self.store: Store | None = None
        self.version: int | None = None
        self.jobs: list[JobHealth] = []
        self.state: tuple[str, str] | None = None
        #: The newest alert seen: those before the app started are not shown again.
        self.last_alert: int | None = None

    def look(self, app: App) -> bool:
        """Read again what changed since the last look: True when something did (not on the
        first look, which only reads); the new alerts are posted to ``app``."""
        try:
            if self.store is None:
                self.store = Store(self.path, readonly=True)
                self.last_alert = self.store.scalar("SELECT coalesce(max(id), 0) FROM alerts")
            version = self.store.scalar("PRAGMA data_version")
            if version == self.version:
                return False
            first, self.version = self.version is None, version
            self.jobs = job_health(self.store)
            alerts = self.store.query(
                "SELECT id, at, rule, state, message, payload FROM alerts WHERE id > ? ORDER BY id",
                (self.last_alert,),
            )
        except sqlite3.Error as exc:  # the screens say it on their loads; tried again next
            log.warning("%s: cache not read: %s", self.name, exc)
            return False
        for row in alerts:
            self.last_alert = row["id"]
            app.post_message(AlertRaised(self.name, alert_event(row)))
        return not first

    def close(self) -> None:
        if self.store is not None:
            with contextlib.suppress(sqlite3.Error):
                self.store.close()


def alert_event(row: dict):
    """An ``alerts`` row as the event the engine emitted (what ``FivecApp.alert`` shows)."""
    import json

    from ..sync.alerts import Condition, Event

    try:
        payload = json.loads(row["payload"] or "{}")
    except ValueError:
        payload = {}
    key = str(payload.get("key", "")) if isinstance(payload, dict) else ""
    state = str(row["state"] or "")
    condition = Condition(str(row["rule"] or ""), key, state != "resolved", row["message"] or "")
    return Event(state, condition, row["at"] or 0.0)


#: How long an alert's toast stays, (resolved, firing), on a narrow and on a wide terminal:
#: at 80 columns a stack of them hid half of every screen for a minute (the Alerts screen
#: and the bell keep them).
TOAST_S = {False: (4, 10), True: (8, 30)}
WIDE = 100


class SyncEvents:
    """What :class:`~.app.FivecApp` does with the watcher's messages and with the screens'
    news of the platform (a send, a sub-account changed), and how it stops what it started."""

    def follow_caches(self: FivecApp, accounts: list[Hosted]) -> None:
        """Watch the accounts' caches (:meth:`SyncLink.watch`) until the app ends."""
        self.run_worker(
            partial(self.link.watch, self, accounts),
            thread=True,
            group="watch",
            exit_on_error=False,
        )

    def on_cache_changed(self: FivecApp, message: CacheChanged) -> None:
        if self.profile.name in message.accounts or self.current_mode == "accounts":
            self.refresh_screen()

    def on_alert_raised(self: FivecApp, message: AlertRaised) -> None:
        self.alert(message.event, message.account if len(self.accounts) > 1 else "")

    def alert(self: FivecApp, event: Event, account: str = "") -> None:
        """An alert event from the engine: a toast, and the terminal bell when it fires.

        At a past moment the toast is marked NOW with its time: an alert firing now matters
        to the person on call even while they read the past, so it is shown, never held
        back, but never beside the past's numbers as if it were theirs."""
        from ..sync.alerts import rule_name  # loaded by the event's class already

        firing = event.state != "resolved"
        if event.state == "firing":
            self.bell()
        title = (f"[{account}] " if account else "") + _("ALERT {state}: {rule}").format(
            state=_(event.state), rule=rule_name(event.condition.rule)
        )
        if self.at is not None:
            title = _("NOW {time}").format(time=show_time(event.at)) + " · " + title
        self.notify(
            event.condition.message,
            title=title,
            severity="error" if firing else "information",
            timeout=TOAST_S[self.size.width >= WIDE][firing],
            markup=False,
        )

    def on_sync_state_changed(self: FivecApp, message: SyncStateChanged) -> None:
        """An account's sync changed: its row, the banner when it is shown; a poller that
        stopped is told (the cache is still read)."""
        account = self.accounts.get(message.account)
        if account:
            account.state, account.note = message.state, message.note
        if message.account == self.profile.name:
            self.sync_state, self.note = message.state, message.note
        if message.state == "read-only":
            tag = f"[{message.account}] " if account else ""  # the note quotes the platform
            self.notify(visible(tag + message.note), severity="error", timeout=30, markup=False)
        if self.current_mode == "accounts":
            self.refresh_screen()

    def pull_soon(self: FivecApp) -> None:
        """Fetch records and reports now rather than at their next interval: SIGUSR1 to the
        account's poller, started here or not (:data:`fivec_tui.sync.daemon.WAKE`)."""
        self.link.wake(self.profile.name, signal.SIGUSR1)

    def on_send_done(self: FivecApp, _message: SendDone) -> None:
        self.pull_soon()

    def on_subaccounts_changed(self: FivecApp, _message: SubaccountsChanged) -> None:
        """Pull the sub-accounts again now: SIGUSR2 (:data:`fivec_tui.sync.daemon.WAKE`)."""
        self.link.wake(self.profile.name, signal.SIGUSR2)

    async def on_unmount(self: FivecApp) -> None:
        """Stop what this app started: its poll (finishing the pull in flight), then the
        demo's simulator; a daemon it only attached to goes on."""
        await self.link.stop()
