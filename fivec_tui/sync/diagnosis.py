"""Why an account is failing, in one of a few words, from the job errors the engine records.

Kept apart from :mod:`.accounts` (``poll --all``, with the engine, the scheduler and the HTTP
stack) so that the TUI's Accounts overview, its first screen with several profiles, can say
it without importing them before its first frame.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from ..api import AuthError, ThroughputExceeded
from ..api.errors import InsufficientBalance, error_for
from ..i18n import N_
from ..store.subaccounts import failing_jobs

if TYPE_CHECKING:
    from ..store import Store
    from .engine import Engine

#: Why an account's jobs fail, most serious first (English: JSON and logs; ``_()`` to show).
AUTH_ERROR = N_("auth error")
UNREACHABLE = N_("unreachable")
NO_BALANCE = N_("no balance")
THROTTLED = N_("throttled")
PLATFORM_ERROR = N_("platform error")
FAILING = N_("failing")
REASONS = (AUTH_ERROR, UNREACHABLE, NO_BALANCE, THROTTLED, PLATFORM_ERROR, FAILING)


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


def cached_problem(store: Store) -> tuple[str, str] | None:
    """Why the account is failing, from its cache alone: the jobs whose last run failed."""
    return problem(failing_jobs(store))


def engine_problem(engine: Engine) -> tuple[str, str] | None:
    """Why the account is failing, from a running engine's job health."""
    return problem({n: s.last_error for n, s in engine.jobs.items() if s.failures})
