"""How long a failing job waits before its next try: one rule for every job.

The wait doubles with each failure in a row, starting from the job's interval, up to
:data:`MAX_BACKOFF_S`, with jitter so that jobs that failed together do not retry together.
Credential and IP-binding errors never fix themselves and throttling asks us to slow down:
those start four times slower, and the first kind marks the job as needing a person.  An
answer that is no answer (a maintenance or WAF page, an echo) comes back the same until a
person fixes what stands in front of the platform: its first wait is at least
:data:`UNREADABLE_FIRST_S` whatever the interval, so a stream asks a few times a minute, then
less (the platform limits requests per hour, §3.7, and can lock an account that hammers it).
"""

from __future__ import annotations

import random

from ..api import AuthError, ThroughputExceeded
from ..api.errors import UnreadableAnswer
from ..store.pipeline import IngestFailed
from ..store.space import disk_error

MAX_BACKOFF_S = 300.0
UNREADABLE_FIRST_S = 5.0
JITTER = (0.5, 1.5)  # the wait is multiplied by a uniform draw from this range


def never_heals(exc: Exception) -> bool:
    """An error only a person can fix: credentials, the account's state, its IP binding."""
    return isinstance(exc, AuthError)


def delay(interval: float, failures: int, exc: Exception, rng: random.Random) -> float:
    """Seconds to wait after the ``failures``-th failure in a row ended in ``exc``."""
    factor = 4.0 if never_heals(exc) or isinstance(exc, ThroughputExceeded) else 1.0
    first = interval * factor
    if isinstance(exc, UnreadableAnswer):
        first = max(first, UNREADABLE_FIRST_S)
    base = min(first * 2 ** min(failures - 1, 10), MAX_BACKOFF_S)
    return base * rng.uniform(*JITTER)


def said_where_it_happened(exc: Exception) -> bool:
    """A failure that needs no traceback here: the disk's (:func:`...store.space.disk_error`),
    or ingest failures the pipeline logged as they happened."""
    return disk_error(exc) or isinstance(exc, IngestFailed)


def said(exc: Exception) -> str:
    """``exc`` in a log line or a job's health."""
    return f"{type(exc).__name__}: {exc}"
