"""A sync job's health as its engine keeps it: runs, failures, the backoff, and the note that
says why it waits; written to the cache after every run (:class:`~fivec_tui.store.poller.JobHealth`)."""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field

from apscheduler.schedulers.base import BaseScheduler

from ..api import FivecError
from ..store.poller import JobHealth, job_status
from . import backoff


@dataclass
class JobState:
    """Health of one job, for the UI, the CLI and the alert rules."""

    name: str
    mode: str
    interval: float
    last_run: float | None = None
    last_success: float | None = None
    #: The last success an earlier poller wrote for this job (shown as "last ok" until this
    #: one's first: the TUI said "never" of a cache pulled a minute before); its status and
    #: its windows are this poller's own.
    earlier_success: float | None = None
    last_error: str = ""
    failures: int = 0
    failing_since: float | None = None
    backoff_s: float = 0.0
    items_total: int = 0
    running: bool = False
    note: str = ""
    #: True when the last run stopped at its chunk limit with more waiting: it runs again at once.
    backlog: bool = False
    #: The last error was about credentials or the IP binding: it will not fix itself.
    needs_person: bool = False
    #: The scheduler holding this job while the engine runs; the next run time is its.
    scheduler: BaseScheduler | None = field(default=None, repr=False, compare=False)

    @property
    def status(self) -> str:
        return job_status(self.mode, self.note, self.failures, self.last_success)

    @property
    def next_run(self) -> float | None:
        """When the scheduler runs this job next (epoch seconds); None when not scheduled."""
        job = self.scheduler.get_job(self.name) if self.scheduler else None
        when = job.next_run_time if job else None
        return when.timestamp() if when else None

    def health(self) -> JobHealth:
        """What the cache keeps of this job for its readers (:mod:`fivec_tui.store.poller`).
        After a failure the next run is the backoff's: the scheduler is moved only once the
        run has returned."""
        return JobHealth(
            job=self.name,
            mode=self.mode,
            status=self.status,
            last_run=self.last_run,
            last_success=self.last_success or self.earlier_success,
            failures=self.failures,
            failing_since=self.failing_since,
            next_run=time.time() + self.backoff_s if self.failures else self.next_run,
            backoff_s=self.backoff_s,
            note=self.note,
            last_error=self.last_error,
            needs_person=self.needs_person,
            pid=os.getpid(),
        )

    def succeeded(self, items: int) -> None:
        self.note, self.last_error, self.needs_person = "", "", False
        self.last_success, self.failures, self.failing_since = time.time(), 0, None
        self.backoff_s, self.items_total = 0.0, self.items_total + items

    def pause(self, why: str) -> None:
        """Waiting for something this tool cannot change (room on the disk): not a failure."""
        self.note, self.backlog = why, False

    def failed(self, exc: Exception, rng: random.Random) -> None:
        """Count the failure and set the wait before the next try."""
        self.failures += 1
        self.failing_since = self.failing_since or time.time()
        self.last_error = (
            str(exc) if isinstance(exc, FivecError) else f"{type(exc).__name__}: {exc}"
        )
        self.needs_person = backoff.never_heals(exc)
        self.backoff_s = backoff.delay(self.interval, self.failures, exc, rng)
