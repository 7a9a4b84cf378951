"""The sync engine: APScheduler jobs that keep the cache current.

Each stream is one interval job (:mod:`.jobs` holds their bodies).  The scheduler owns the
timing: every job runs once right after :meth:`Engine.start`, then on its interval, never two
runs of one job at once (``max_instances=1``; a run still going when the next is due makes the
scheduler skip that one), late runs coalesced into one and never dropped.  The engine only
moves a job's next run time: to now on :meth:`Engine.trigger`, and out by the backoff after a
failure (:mod:`.backoff`).  A run that stopped at its chunk limit with more waiting runs again
at once, within the same scheduled call.  Each job's health goes to the cache after every
run (``job_health``, :mod:`fivec_tui.store.poller`), its next run time the scheduler's: the
TUI and ``stats --all`` read it there.  Destructive pulls (reports, replies) wait for the
account's consent.  :meth:`Engine.stop` lets the runs in flight finish, for at most a
request's deadline and :data:`STOP_GRACE_S`, then cancels them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from ..api import FivecError
from ..api.errors import UnreadableAnswer
from ..config import DEFAULT_INTERVALS, Profile
from ..store import Store, poll_runs, replay
from ..store.poller import (
    consented,
    destructive_streams,
    grant_consent,
    job_health,
    start_health,
)
from . import backoff
from .jobs import (
    Pulls,
    PullsPaused,
    balance,
    forward,
    keep_unreadable,
    prune,
    reconcile,
    reconcile_replies,
    records,
    replies,
    reports,
    subaccounts,
)
from .jobs import alerts as alerts_job
from .jobstate import JobState
from .sinks import Sinks

if TYPE_CHECKING:
    from ..api.client import FivecClient
    from .alerts import Alerter
    from .forward import Forwarder

log = logging.getLogger("fivec_tui.sync")
#: APScheduler's own messages: only its errors.  Its warnings say that a run was skipped
#: because the job's last run is still going, which is the design (no overlap), not news:
#: during a long drain that would be a line every interval.
scheduler_log = logging.getLogger("fivec_tui.sync.scheduler")
scheduler_log.setLevel(logging.ERROR)

#: How much longer than a request's deadline :meth:`Engine.stop` waits for the runs in flight.
STOP_GRACE_S = 5.0
WAITING_FOR_CONSENT = "waiting for consent to pull (it takes data from other consumers)"
STREAMS = ("reports", "replies", "records", "balance", "subaccounts")
RUNS: dict[str, Callable[[Engine], Awaitable[int]]] = {
    "reports": reports.run,
    "replies": replies.run,
    "records": records.run,
    "balance": balance.run,
    "prune": prune.run,
    "reconcile": reconcile.run,
    "reconcile_replies": reconcile_replies.run,
    "forward": forward.run,
    "subaccounts": subaccounts.run,
    "alerts": alerts_job.run,
}
#: ``poll --once``: the streams drained, in this order (records first: reports match them).
ONCE = ("records", "reports", "reconcile_replies", "replies", "balance")


@dataclass
class Engine:
    """Owns the client, a writer connection to the store, and the scheduler."""

    profile: Profile
    store: Store
    client: FivecClient
    consent: bool = False
    jobs: dict[str, JobState] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)
    forwarder: Forwarder | None = None
    #: Recipients pending this long are re-queried per number (what a crash can leave).
    reconcile_after_s: float = 1800.0
    #: Evaluates the alert rules on its own job; its events go to the sinks.
    alerter: Alerter | None = None

    def __post_init__(self) -> None:
        self.scheduler: AsyncIOScheduler | None = None
        if consented(self.store, self.profile.username):
            self.consent = True
        for name in STREAMS:
            mode = self.profile.streams.get(name, "pull")
            self.jobs[name] = JobState(name, mode, self._interval(name))
        self.jobs["prune"] = JobState("prune", "pull", prune.INTERVAL_S)
        self.jobs["reconcile"] = JobState(
            "reconcile", self.jobs["reports"].mode, reconcile.INTERVAL_S
        )
        self.jobs["reconcile_replies"] = JobState(
            "reconcile_replies",
            "pull" if self.jobs["replies"].mode == "pull" else "off",  # watch reads windows
            self._interval("reconcile_replies"),
        )
        #: Set once this start has reconciled replies: the first pull waits for it.
        self.replies_reconciled = False
        if self.forwarder is not None:
            self.jobs["forward"] = JobState("forward", "pull", forward.INTERVAL_S)
        self.sinks: Sinks | None = None
        if self.alerter is not None:
            self.jobs["alerts"] = JobState("alerts", "pull", self.alerter.settings["interval_s"])
            self.sinks = Sinks(self.profile.name, self.alerter.settings)
        #: Set while no run is in flight: :meth:`stop` waits for it.
        self._idle = asyncio.Event()
        self._idle.set()
        #: Set by :meth:`stop`: a drain ends after the run in flight.
        self._stopping = False
        #: The scheduled runs in flight, which :meth:`stop` cancels when they outlast it.
        self._in_flight: set[asyncio.Task] = set()
        #: Room to keep what destructive pulls take, and what they took but could not keep.
        self.pulls = Pulls(self.store)
        #: The last run could not be written to ``poll_runs`` (said once).
        self._unrecorded = False

    def _interval(self, name: str) -> float:
        return self.profile.intervals.get(name, DEFAULT_INTERVALS[name])

    # -- consent --------------------------------------------------------------------------
    @property
    def destructive_streams(self) -> list[str]:
        return destructive_streams({n: self.jobs[n].mode for n in ("reports", "replies")})

    def grant_consent(self) -> None:
        """Remember that this account's reports and replies may be taken by this tool."""
        self.consent = True
        grant_consent(self.store, self.profile.username)
        for name in self.destructive_streams:
            self.jobs[name].note = ""

    def _needs_consent(self, name: str) -> bool:
        gated = (*self.destructive_streams, "reconcile", "reconcile_replies")
        return name in gated and not self.consent

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """Replay what a crash left unparsed, then schedule every enabled job in this loop.
        The cache's job health is this engine's from now on: its jobs, none run yet."""
        await asyncio.to_thread(replay, self.store)
        earlier = await asyncio.to_thread(job_health, self.store)
        for health in earlier:
            if health.job in self.jobs:
                self.jobs[health.job].earlier_success = health.last_success
        await asyncio.to_thread(start_health, self.store, [s.health() for s in self.jobs.values()])
        self._stopping = False
        self.scheduler = AsyncIOScheduler(logger=scheduler_log)
        self.scheduler.start()
        now = datetime.now(UTC)
        for state in self.jobs.values():
            if state.mode in ("off", "push"):
                continue
            # The replies job runs the first reply reconcile itself, before it pulls: that
            # one waits a whole interval.
            first = {} if state.name == "reconcile_replies" else {"next_run_time": now}
            self.scheduler.add_job(
                self._scheduled,
                IntervalTrigger(seconds=state.interval),
                args=[state.name],
                id=state.name,
                name=state.name,
                max_instances=1,
                coalesce=True,
                # A run made late by a busy loop still happens (coalesced), never skipped.
                misfire_grace_time=None,
                **first,
            )
            state.scheduler = self.scheduler

    @property
    def stop_wait_s(self) -> float:
        """How long :meth:`stop` waits for the runs in flight: each request of theirs ends
        within the profile's ``timeout``, the one in flight then too."""
        return self.profile.timeout + STOP_GRACE_S

    async def stop(self) -> None:
        """Stop scheduling, let the runs in flight finish (cancelled after
        :attr:`stop_wait_s`), then shut the scheduler down."""
        self._stopping = True
        if self.scheduler is not None:
            self.scheduler.pause()
            await asyncio.sleep(0)  # a run the scheduler handed out just now gets to start
        try:
            await asyncio.wait_for(self._idle.wait(), self.stop_wait_s)
        except TimeoutError:
            running = sorted(s.name for s in self.jobs.values() if s.running)
            log.warning(
                "stopping: %s still running after %.0fs: cancelled",
                ", ".join(running),
                self.stop_wait_s,
            )
            for task in self._in_flight:
                task.cancel()
            with contextlib.suppress(TimeoutError):  # a run not scheduled is not waited for
                await asyncio.wait_for(self._idle.wait(), STOP_GRACE_S)
        await self._store_held()
        if self.scheduler is not None:
            # Shutting down cancels runs still in flight: none is left by now.
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # the shutdown itself runs on the loop, next
            for state in self.jobs.values():
                state.scheduler = None
            self.scheduler = None
        if self.sinks is not None:
            await self.sinks.aclose()

    async def _store_held(self) -> None:
        """A last try at storing what pulls took but could not keep, before the process goes."""
        if not self.pulls.held:
            return
        try:
            await self.pulls.store_held()
        except Exception as exc:
            log.error(
                "%d bodies taken from the platform could not be stored (%s) and go with this "
                "process; the reconciles ask for their reports and replies again",
                len(self.pulls.held),
                backoff.said(exc),
            )

    def trigger(self, name: str) -> None:
        """Run a scheduled job now (e.g. after a send, pull its reports sooner); a run in
        flight is left alone, and so is a failing job's backoff."""
        state = self.jobs[name]
        if not state.running and not state.failures:
            self._move(name, 0.0)

    def _move(self, name: str, delay: float) -> None:
        """Move a scheduled job's next run to ``delay`` seconds from now; its interval goes on
        from there."""
        job = self.scheduler.get_job(name) if self.scheduler else None
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC) + timedelta(seconds=delay))

    async def _scheduled(self, name: str) -> None:
        """What the scheduler runs: the job until drained (a failed run has moved its next
        run out by the backoff itself).

        A run with more waiting goes on here rather than by moving the next run to now: the
        scheduler counts this one as going until it returns, and would skip a run due before.
        """
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await self._drain(name)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # Cancelled by stop(), which said so, as the run did: ended here, not raised to
            # the scheduler, which would log it as a job's crash with its traceback.
        finally:
            self._in_flight.discard(task)

    async def _drain(self, name: str) -> int:
        """Run a job again and again while it stops at its chunk limit with more waiting,
        until it fails or the engine stops; new items in all."""
        state = self.jobs[name]
        if state.running:
            return 0
        total = await self._run(name)
        while state.backlog and not state.failures and not self._stopping:
            total += await self._run(name)
        return total

    # -- one run --------------------------------------------------------------------------
    async def run_job(self, name: str) -> int:
        """Run one job now, record its health, and move its next scheduled run: later when it
        failed (the run did), to now when it has more waiting.  Never raises; a job already
        running is not run again (returns 0)."""
        items = await self._run(name)
        state = self.jobs[name]
        if state.backlog and not state.failures:
            self._move(name, 0.0)
        return items

    async def _run(self, name: str) -> int:
        """One run of a job's body, its health recorded in ``jobs`` and in the cache (the run
        in ``poll_runs``, the job's health after it in ``job_health``).

        A failed run's next run is moved out by the backoff first, before anything is
        written: whatever fails after (the cache's disk is full), the job waits.
        """
        state = self.jobs[name]
        if state.running:
            return 0
        state.running, state.last_run = True, time.time()
        self._idle.clear()
        started, items, outcome, error, kept = state.last_run, 0, "ok", "", None
        try:
            try:
                if self._needs_consent(name):
                    state.note = WAITING_FOR_CONSENT
                else:
                    items = await RUNS[name](self)
                    state.succeeded(items)
            except PullsPaused as exc:  # no room to keep what a pull would take: it waits
                state.pause(str(exc))
                outcome, error = "paused", state.note
            except Exception as exc:  # a failed run is backed off, recorded, never fatal
                state.failed(exc, self.rng)
                self._move(name, state.backoff_s)
                outcome, error = "error", state.last_error
                kept = exc.raw if isinstance(exc, UnreadableAnswer) else None
                self._said_failure(name, exc)
            except asyncio.CancelledError:  # outlasted the stop (or the loop ends): said
                error = f"cancelled at stop after {time.time() - started:.0f}s"
                await self._record(name, started, "error", error, items, None)
                raise
            await self._record(name, started, outcome, error, items, kept)
        finally:
            state.running = False
            if not any(j.running for j in self.jobs.values()):
                self._idle.set()
        return items

    def _said_failure(self, name: str, exc: Exception) -> None:
        """A failed run in the log: a line; a bug's traceback too (not a full disk's)."""
        if not isinstance(exc, FivecError) and not backoff.said_where_it_happened(exc):
            log.exception("job %s crashed", name)
        state = self.jobs[name]
        # Only a scheduled engine tries again: poll --once has no next try to announce.
        again = f"; next try in {state.backoff_s:.0f}s" if self.scheduler is not None else ""
        log.warning("%s failed (%d in a row): %s%s", name, state.failures, state.last_error, again)

    async def _record(
        self, name: str, started: float, outcome: str, error: str, items: int, kept: str | None
    ) -> None:
        """The run in ``poll_runs``, and an unreadable answer kept once.  A failure to write
        is said once (and once when writing works again), never raised."""
        try:
            if kept is not None:
                await asyncio.to_thread(keep_unreadable, self.store, name, kept, error)
            health = self.jobs[name].health()
            await asyncio.to_thread(
                poll_runs.add_poll_run, self.store, name, started, outcome, error, items, health
            )
        except Exception as exc:
            if not self._unrecorded:
                log.warning("cannot record the jobs' health in the cache: %s", backoff.said(exc))
            self._unrecorded = True
            return
        if self._unrecorded:
            log.info("the jobs' health is recorded in the cache again")
            self._unrecorded = False

    async def run_once(self) -> dict[str, int]:
        """Every enabled pull until drained (``poll --once``).  Errors are in ``jobs``."""
        out = {}
        await asyncio.to_thread(replay, self.store)
        for name in ONCE:
            if self.jobs[name].mode not in ("off", "push"):
                out[name] = await self._drain(name)
        await self._store_held()
        return out
