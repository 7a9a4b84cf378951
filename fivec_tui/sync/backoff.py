"""How long a failing job waits before its next try: one rule for every job.

The wait doubles with each failure in a row, starting from the job's interval, up to
:data:`MAX_BACKOFF_S`, with jitter so that jobs that failed together do not retry together.
Credential and IP-binding errors never fix themselves and throttling asks us to slow down:
those start four times slower, and the first kind marks the job as needing a person.
"""

from __future__ import annotations

import random

from ..api import AuthError, ThroughputExceeded

MAX_BACKOFF_S = 300.0
JITTER = (0.5, 1.5)  # the wait is multiplied by a uniform draw from this range


def never_heals(exc: Exception) -> bool:
    """An error only a person can fix: credentials, the account's state, its IP binding."""
    return isinstance(exc, AuthError)


def delay(interval: float, failures: int, exc: Exception, rng: random.Random) -> float:
    """Seconds to wait after the ``failures``-th failure in a row ended in ``exc``."""
    factor = 4.0 if never_heals(exc) or isinstance(exc, ThroughputExceeded) else 1.0
    base = min(interval * factor * 2 ** min(failures - 1, 10), MAX_BACKOFF_S)
    return base * rng.uniform(*JITTER)
