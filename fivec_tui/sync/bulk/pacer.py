"""Pacing: never more messages a second than the rate, whatever the request sizes.

A token bucket holding one request: a request of ``n`` messages may start when the last one's
messages have been spread at ``rate`` (``n_prev / rate`` after it started).  So over any run of
requests, the messages of all but the last one divided by the time from the first start to the
last is at most ``rate``.  ``error:Throughput Rate Exceeded`` halves the rate; it creeps back
towards the configured one by a tenth after every 20 requests accepted in a row.

Requests are booked at :data:`HEADROOM` of the rate: the platform counts arrivals, and two
requests spaced right at the rate here arrived up to 2% closer at the simulator
(``tests/bench/bench_bulk.py``), the first one's body taking longer to build and read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

HEADROOM = 0.95
#: After ``Throughput Rate Exceeded`` the next request waits this long at least (settable for
#: tests, which need not wait a second per refusal).
THROTTLED_WAIT_S = 1.0


class Pacer:
    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.configured = self.rate = float(rate)
        self.clock, self.sleep = clock, sleep
        self._next = 0.0
        self._streak = 0
        self.throttled = 0

    async def take(self, n: int) -> None:
        """Wait until ``n`` messages may go out, and book them."""
        now = self.clock()
        start = max(now, self._next)
        if start > now:
            await self.sleep(start - now)
        self._next = start + n / (self.rate * HEADROOM)

    def slow_down(self) -> None:
        """The platform said too fast: half the rate, and wait :data:`THROTTLED_WAIT_S` (a whole
        second) before the next."""
        self.throttled += 1
        self._streak = 0
        self.rate = max(self.rate / 2, 1.0)
        self._next = max(self._next, self.clock() + THROTTLED_WAIT_S)

    def accepted(self) -> None:
        self._streak += 1
        if self._streak >= 20 and self.rate < self.configured:
            self.rate = min(self.configured, self.rate * 1.1)
            self._streak = 0
