"""The sync engine: APScheduler jobs that keep the cache current.

Each stream is one job, re-armed only after its last run finished (no overlap), with
exponential backoff and jitter on errors (slower on ``Throughput Rate Exceeded`` and on
credential errors, which never fix themselves).  Destructive pulls keep the loss window to a
single request: the body is committed to the journal before it is parsed, and the next chunk
is only asked for after that commit.  Reports lost that way are asked for again per number
(``reconcile``).  Replies are read with ``debug=1``, committed, then consumed; one that arrives
between those reads and dies with the process is read again by time (``reconcile_replies``,
before the first pull of every start and on a slow interval), so none is lost.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from ..api import AuthError, FivecError, ThroughputExceeded
from ..api.parse import raise_for_error
from ..config import DEFAULT_INTERVALS, Profile
from ..store import Store, ingest_items, ingest_journal, journal, queries, replay
from ..store.balance import add_balance
from ..store.poll_runs import add_poll_run
from ..store.retention import prune
from .alerts import Alerter, Event, deliver
from .forward import Forwarder

if TYPE_CHECKING:
    from ..api.client import FivecClient

log = logging.getLogger("fivec_tui.sync")
CONSENT_KEY = "consent.destructive"
MAX_BACKOFF_S = 300.0
MAX_CHUNKS_PER_RUN = 200
RECORDS_OVERLAP_S = (
    60.0  # records late by more than this are missed; at 600 msg/s each second re-read is 600 rows
)
RECONCILE_BATCH = 100  # numbers per recv request
RECONCILE_MAX = 5000  # recipients per run
RECONCILE_HORIZON_S = 6 * 3600  # older than this, a report is not coming
#: Where the last completed reply reconcile ended (epoch seconds), per account, in ``settings``.
REPLY_CURSOR_KEY = "reconcile.replies"
#: Each window starts this far before the last one ended: the platform's clock may be behind
#: ours, or store a reply a little after stamping it.
REPLY_RECONCILE_OVERLAP_S = 120.0
REPLY_RECONCILE_FIRST_S = 3600.0  # a cache with no cursor yet starts an hour back
REPLY_RECONCILE_SLICE_S = 3600.0  # one queryByCondition window at most
REPLY_RECONCILE_SLICES = 24  # per run; more waiting: the job runs again at once


@dataclass
class JobState:
    """Health of one job, for the UI and the CLI."""

    name: str
    mode: str
    interval: float
    last_run: float | None = None
    last_success: float | None = None
    last_error: str = ""
    failures: int = 0
    failing_since: float | None = None
    next_run: float | None = None
    backoff_s: float = 0.0
    items_total: int = 0
    running: bool = False
    note: str = ""
    #: True when the last run stopped at its chunk limit with more waiting: it runs again at once.
    backlog: bool = False
    #: The last error was about credentials or the IP binding: it will not fix itself.
    needs_person: bool = False

    @property
    def status(self) -> str:
        if self.mode == "off":
            return "off"
        if self.note:
            return "waiting"
        if self.failures:
            return "failing" if self.failures >= 3 else "degraded"
        return "ok" if self.last_success else "starting"


@dataclass
class Engine:
    """Owns the client, a writer connection to the store, and the scheduler."""

    profile: Profile
    store: Store
    client: FivecClient
    consent: bool = False
    on_change: Callable[[str, dict], None] | None = None
    jobs: dict[str, JobState] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)
    forwarder: Forwarder | None = None
    #: Recipients pending this long are re-queried per number (what a crash can leave).
    reconcile_after_s: float = 1800.0
    #: Evaluates the alert rules on its own job; events also go to ``on_alert`` (the TUI).
    alerter: Alerter | None = None
    on_alert: Callable[[Event], None] | None = None

    def __post_init__(self) -> None:
        self.scheduler: AsyncIOScheduler | None = None
        if self.store.get_setting(f"{CONSENT_KEY}.{self.profile.username}") == "yes":
            self.consent = True
        for name in ("reports", "replies", "records", "balance"):
            mode = self.profile.streams.get(name, "pull")
            self.jobs[name] = JobState(name, mode, self.profile.intervals.get(name, 30.0))
        self.jobs["prune"] = JobState("prune", "pull", 3600.0)
        self.jobs["reconcile"] = JobState("reconcile", self.jobs["reports"].mode, 600.0)
        self.jobs["reconcile_replies"] = JobState(
            "reconcile_replies",
            "pull" if self.jobs["replies"].mode == "pull" else "off",  # watch reads windows
            self.profile.intervals.get("reconcile_replies", DEFAULT_INTERVALS["reconcile_replies"]),
        )
        #: Set once this start has reconciled replies: the first pull waits for it.
        self._replies_reconciled = False
        if self.forwarder is not None:
            self.jobs["forward"] = JobState("forward", "pull", 2.0)
        if self.alerter is not None:
            self.jobs["alerts"] = JobState("alerts", "pull", self.alerter.settings["interval_s"])
        self._http: httpx.AsyncClient | None = None
        self._runners = {
            "reports": self._reports,
            "replies": self._replies,
            "records": self._records,
            "balance": self._balance,
            "prune": self._prune,
            "reconcile": self._reconcile,
            "reconcile_replies": self._reconcile_replies,
            "forward": self._forward,
            "alerts": self._alerts,
        }

    # -- consent --------------------------------------------------------------------------
    @property
    def destructive_streams(self) -> list[str]:
        return [n for n in ("reports", "replies") if self.jobs[n].mode == "pull"]

    def grant_consent(self) -> None:
        """Remember that this account's reports and replies may be taken by this tool."""
        self.consent = True
        self.store.set_setting(f"{CONSENT_KEY}.{self.profile.username}", "yes")
        for name in self.destructive_streams:
            self.jobs[name].note = ""

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the scheduler in the running loop and arm every enabled job."""
        await asyncio.to_thread(replay, self.store)
        self.scheduler = AsyncIOScheduler(job_defaults={"misfire_grace_time": 60, "coalesce": True})
        self.scheduler.start()
        for job in self.jobs.values():
            if job.mode not in ("off", "push"):
                # The replies job runs the first reply reconcile itself, before it pulls.
                first = job.interval if job.name == "reconcile_replies" else 0.1
                self._arm(job.name, first)

    async def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        while any(j.running for j in self.jobs.values()):
            await asyncio.sleep(0.05)
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _arm(self, name: str, delay: float) -> None:
        if self.scheduler is None:
            return
        when = datetime.now(UTC) + timedelta(seconds=delay)
        self.jobs[name].next_run = when.timestamp()
        self.scheduler.add_job(
            self.run_job,
            "date",
            run_date=when,
            args=[name],
            id=name,
            replace_existing=True,
            max_instances=1,
        )

    def trigger(self, name: str) -> None:
        """Run a job now (e.g. after a send, pull its reports sooner)."""
        if not self.jobs[name].running:
            self._arm(name, 0)

    # -- one run --------------------------------------------------------------------------
    async def run_job(self, name: str) -> int:
        """Run one job, record its health, and re-arm it.  Never raises."""
        job = self.jobs[name]
        if job.running:
            return 0
        job.running, job.last_run = True, time.time()
        started, items = job.last_run, 0
        try:
            gated = (*self.destructive_streams, "reconcile", "reconcile_replies")
            if name in gated and not self.consent:
                job.note = "waiting for consent to pull (it takes data from other consumers)"
            else:
                items = await self._runners[name]()
                job.note = ""
                job.last_success, job.failures, job.failing_since = time.time(), 0, None
                job.last_error, job.needs_person = "", False
                job.backoff_s, job.items_total = 0.0, job.items_total + items
            await asyncio.to_thread(
                add_poll_run, self.store, name, started, "ok", "", items
            )
            delay = 0.0 if job.backlog else job.interval
        except Exception as exc:  # a failed poll is recorded and backed off, never fatal
            delay = self._failed(job, exc)
            await asyncio.to_thread(
                add_poll_run, self.store, name, started, "error", job.last_error, 0
            )
        finally:
            job.running = False
        if items and self.on_change:
            self.on_change(name, {"items": items})
        self._arm(name, delay)
        return items

    def _failed(self, job: JobState, exc: Exception) -> float:
        job.failures += 1
        job.failing_since = job.failing_since or time.time()
        job.last_error = str(exc) if isinstance(exc, FivecError) else f"{type(exc).__name__}: {exc}"
        job.needs_person = isinstance(exc, AuthError)
        if not isinstance(exc, FivecError):
            log.exception("job %s crashed", job.name)
        factor = 4.0 if isinstance(exc, ThroughputExceeded | AuthError) else 1.0
        base = min(job.interval * factor * 2 ** min(job.failures - 1, 10), MAX_BACKOFF_S)
        job.backoff_s = base * self.rng.uniform(0.5, 1.5)
        log.warning(
            "%s failed (%d in a row): %s; next try in %.0fs",
            job.name,
            job.failures,
            job.last_error,
            job.backoff_s,
        )
        return job.backoff_s

    async def _commit(self, stream: str, body: str, encode: str | None = None) -> dict:
        jid = await asyncio.to_thread(journal, self.store, stream, "pull", body, encode)
        return await asyncio.to_thread(ingest_journal, self.store, jid)

    async def _reports(self) -> int:
        """Chunk after chunk until ``no record``; each committed before the next is asked for."""
        total, job = 0, self.jobs["reports"]
        job.backlog = True
        for _ in range(MAX_CHUNKS_PER_RUN):
            body = raise_for_error(await self.client.pull_reports_body())
            counts = await self._commit("reports", body)
            total += counts["new"]
            if not counts["items"]:
                job.backlog = False
                break
        return total

    async def _replies(self) -> int:
        if self.jobs["replies"].mode == "watch":
            now = datetime.now(UTC)
            items = await self.client.replies_between(now - timedelta(hours=1), now)
            return (await asyncio.to_thread(ingest_items, self.store, "replies", items))["new"]
        total, job, enc = 0, self.jobs["replies"], self.client.encode
        if not self._replies_reconciled:  # this start's first pull: first what a kill took
            total += await self.run_job("reconcile_replies")
        # Peek (debug=1) and commit, then take: only a reply arriving between the two reads
        # rides on the destructive one alone, and the reconcile reads it again.
        job.backlog = True
        for _ in range(MAX_CHUNKS_PER_RUN):
            peek = raise_for_error(await self.client.pull_replies_body(debug=True))
            total += (await self._commit("replies", peek, enc))["new"]
            taken = raise_for_error(await self.client.pull_replies_body())
            counts = await self._commit("replies", taken, enc)
            total += counts["new"]
            if not counts["items"]:
                job.backlog = False
                break
        return total

    async def _records(self) -> int:
        now = datetime.now(UTC)
        last = self.jobs["records"].last_success
        start = (
            datetime.fromtimestamp(last - RECORDS_OVERLAP_S, UTC)
            if last
            else now - timedelta(hours=1)
        )
        items = await self.client.records(start, now + timedelta(seconds=5))
        return (await asyncio.to_thread(ingest_items, self.store, "records", items))["new"]

    async def _reconcile(self) -> int:
        """Ask per number for reports of recipients pending long after sending."""
        pending = await asyncio.to_thread(
            queries.pending_recipients,
            self.store,
            self.reconcile_after_s,
            RECONCILE_HORIZON_S,
            RECONCILE_MAX,
        )
        total = 0
        for i in range(0, len(pending), RECONCILE_BATCH):
            batch = pending[i : i + RECONCILE_BATCH]
            start = datetime.fromtimestamp(min(p["first_sent"] for p in batch) - 60, UTC)
            body = raise_for_error(
                await self.client.reports_for_body(
                    [p["mobile"] for p in batch], start, datetime.now(UTC)
                )
            )
            jid = await asyncio.to_thread(journal, self.store, "reports", "query", body)
            total += (await asyncio.to_thread(ingest_journal, self.store, jid))["new"]
        return total

    async def _reconcile_replies(self) -> int:
        """Read replies again by time (``queryByCondition``, repeatable), from where the last
        completed reconcile ended (less the overlap) to now, and store what is missing.

        A reply that the consuming read took from a process killed before it committed comes
        back here; one already stored is not stored twice (replies are keyed by ext, id,
        mobile, content and time, the same in both answers).  The cursor lives in the cache
        and moves only after each window is committed.  A first window starts an hour back,
        never before the retention bound.
        """
        self._replies_reconciled = True
        job, key = self.jobs["reconcile_replies"], f"{REPLY_CURSOR_KEY}.{self.profile.username}"
        now = time.time()
        cursor = await asyncio.to_thread(self.store.get_setting, key)
        start = (
            min(float(cursor), now) - REPLY_RECONCILE_OVERLAP_S
            if cursor
            else now - REPLY_RECONCILE_FIRST_S
        )
        start = max(start, now - self.profile.retention_days * 86400)
        total, job.backlog = 0, True
        for _ in range(REPLY_RECONCILE_SLICES):
            end = min(start + REPLY_RECONCILE_SLICE_S, now)
            items = await self.client.replies_between(
                datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
            )
            total += (await asyncio.to_thread(ingest_items, self.store, "replies", items))["new"]
            await asyncio.to_thread(self.store.set_setting, key, str(end))
            if end >= now:
                job.backlog = False
                break
            start = end
        return total

    async def _balance(self) -> int:
        balance = await self.client.balance()
        await asyncio.to_thread(add_balance, self.store, balance)
        return 1

    async def _prune(self) -> int:
        counts = await asyncio.to_thread(
            prune, self.store, self.profile.retention_days
        )
        return sum(counts.values())

    async def _alerts(self) -> int:
        """Evaluate the rules; hand each event to the TUI and to the command and webhook."""
        states = {n: j for n, j in self.jobs.items() if n != "alerts"}
        events = await asyncio.to_thread(self.alerter.evaluate, states)
        if events and self._http is None:
            self._http = httpx.AsyncClient()
        for event in events:
            if self.on_alert:
                self.on_alert(event)
            await deliver(event, self.profile.name, self.alerter.settings, self._http)
        return len(events)

    async def _forward(self) -> int:
        return await self.forwarder.run_once() if self.forwarder else 0

    async def run_once(self) -> dict[str, int]:
        """Every enabled pull once, until drained (``poll --once``).  Errors are reported."""
        out = {}
        await asyncio.to_thread(replay, self.store)
        for name in ("records", "reports", "reconcile_replies", "replies", "balance"):
            if self.jobs[name].mode in ("off", "push"):
                continue
            out[name] = await self.run_job(name)
            while self.jobs[name].backlog and not self.jobs[name].failures:
                out[name] += await self.run_job(name)
        return out
