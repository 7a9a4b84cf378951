"""Why an account is failing, in one of a few words, from the job health its poller records.

Kept apart from :mod:`.accounts` (``poll --all``, with the engine, the scheduler and the HTTP
stack) so that the TUI, which never imports the engine, can say it: its banner and its
Accounts overview, the first screen with several profiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING

from ..api import AuthError, ThroughputExceeded
from ..api.errors import InsufficientBalance, error_for
from ..i18n import N_
from ..store import Store
from ..store.poller import JobHealth, job_health

if TYPE_CHECKING:
    from .engine import JobState

#: Why an account's jobs fail, most serious first (English: JSON and logs; ``_()`` to show).
AUTH_ERROR = N_("auth error")
#: Destructive pulls wait for room on the cache's disk (a job's note says so: see
#: ``sync/jobs/__init__.py:Pulls.ready``); not failures, but nothing is taken meanwhile.
DISK_FULL = N_("disk full")
NOT_WRITABLE = N_("cache not writable")
UNREACHABLE = N_("unreachable")
NO_BALANCE = N_("no balance")
THROTTLED = N_("throttled")
PLATFORM_ERROR = N_("platform error")
FAILING = N_("failing")
REASONS = (
    AUTH_ERROR,
    DISK_FULL,
    NOT_WRITABLE,
    UNREACHABLE,
    NO_BALANCE,
    THROTTLED,
    PLATFORM_ERROR,
    FAILING,
)
PAUSED = ": pulls paused"


@cache
def endpoints() -> tuple[str, ...]:
    """The platform's endpoint paths, which a transport error names."""
    from ..api.client import Path  # httpx: imported when an error is first judged

    return tuple(v for k, v in vars(Path).items() if k.isupper())


def why(error: str) -> str:
    """One of :data:`REASONS` for a job's recorded error (``JobState.last_error`` or the
    ``error`` of ``poll_runs``): platform errors by their documented class, transport errors
    (they name the endpoint) as unreachable."""
    if error.startswith("error:"):
        exc = error_for(error.removeprefix("error:").split(" — ", 1)[0])
        if isinstance(exc, AuthError):
            return AUTH_ERROR
        if isinstance(exc, InsufficientBalance):
            return NO_BALANCE
        return THROTTLED if isinstance(exc, ThroughputExceeded) else PLATFORM_ERROR
    return UNREACHABLE if error.startswith(endpoints()) else FAILING


def problem(errors: dict[str, str]) -> tuple[str, str] | None:
    """The most serious of ``errors`` (job -> error) as ``(reason, "job: error")``."""
    if not errors:
        return None
    job = min(errors, key=lambda j: (REASONS.index(why(errors[j])), j))
    return why(errors[job]), f"{job}: {errors[job]}"


def jobs_problem(jobs: Mapping[str, JobHealth | JobState]) -> tuple[str, str] | None:
    """Why the account is failing: the most serious error of the jobs whose last run failed
    (their health as a running engine holds it, or as the cache keeps it)."""
    return problem({name: job.last_error for name, job in jobs.items() if job.failures})


def cached_problem(store: Store) -> tuple[str, str] | None:
    """Why the account is failing, from its cache alone (the job health its poller wrote)."""
    return jobs_problem({job.job: job for job in job_health(store)})


#: The jobs that talk to the platform: until each scheduled one has run once, the sync of an
#: account is still starting (``prune`` and the reconciles prove nothing about the account).
STREAM_JOBS = ("reports", "replies", "records", "balance", "subaccounts")


def sync_state(jobs: Iterable[JobHealth]) -> tuple[str, str]:
    """``(state, detail)`` of a running poller's account from the rows it wrote: ``starting``
    (no row yet, or a stream job not run once), one of :data:`REASONS` when a job's last run
    failed (detail: ``job: error``) or pulls wait for room on the disk (``job: pulls paused
    (…)``), else ``live`` (English: show it with ``_()``)."""
    rows = {job.job: job for job in jobs}
    if trouble := jobs_problem(rows):
        return trouble
    for name, row in sorted(rows.items()):
        why, paused, rest = row.note.partition(PAUSED)
        if paused and why in (DISK_FULL, NOT_WRITABLE):
            return why, f"{name}:{paused.removeprefix(':')}{rest}"
    waiting = [
        r for n, r in rows.items() if n in STREAM_JOBS and r.scheduled and r.last_run is None
    ]
    return ("starting" if not rows or waiting else "live"), ""
