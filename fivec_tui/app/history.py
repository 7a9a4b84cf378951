"""The demo's past: a week of traffic before it started, so that the baseline (the same
window a week earlier), the SLO's burn and ``demo --at`` have something to show.

Run as a child of the demo (``python -m fivec_tui.app.history``, after the first frame, at a
lower priority, as the poller is): messages of the scenario's texts to numbers of every
carrier's blocks, at ``rate`` a second shaped by the hour of the day (busy days, quiet
nights), each reported after the scenario's delays with its base status mix (none left
pending: the past's would be overdue), cached an hour at a
time through the store's own ingest, newest hour first so that what a person looks at first
(the last day) is there first.  Nothing here imports Textual.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import threading
from datetime import UTC, datetime

from ..api import Record, Report
from ..api.carriers import BLOCKS
from ..sim.scenario import Scenario
from ..sim.scenario import load as load_scenario
from ..store import Store
from ..store.ingest import ingest_together
from ..when import display_zone

#: A week, and two days more: the baseline (a week earlier) of yesterday's windows too.
DAYS = 9
#: Messages a second on average (the demo's live traffic is ~6/s; a week of that would be
#: 3.6 million messages, minutes of ingest).
RATE = 0.4
#: The msgids of the past: 14 digits no live message of the simulator has (it counts up
#: from the day's date).
MSGID_BASE = 90_000_000_000_000


def busy(hour_of_day: float) -> float:
    """How busy an hour of the day is, around 1: the day's peak mid-afternoon, the night a
    fifth of it."""
    return 0.6 + 0.8 * max(0.0, math.sin(math.pi * (hour_of_day - 7) / 16))


def _numbers(rng: random.Random, n: int) -> list[str]:
    blocks = [b for carrier in ("mobile", "mobile", "unicom", "telecom") for b in BLOCKS[carrier]]
    return [f"{b}{rng.randrange(10**10):010d}"[:11] for b in rng.choices(blocks, k=n)]


def hour_of_traffic(
    plan: Scenario,
    rng: random.Random,
    start: float,
    rate: float,
    first: int,
    pool: list[str],
    shaped: bool = True,
    until: float = math.inf,
) -> tuple[list[Record], list[Report]]:
    """The messages sent in the hour from ``start`` (msgids from ``first`` on; ``shaped``:
    as busy as its hour of the day) and their reports, none after ``until`` (the demo's
    start: a message sent just before it was reported seconds in the future, at the top of
    the live feed)."""
    hour = datetime.fromtimestamp(start, display_zone()).hour
    n = int(rng.gauss(1, 0.05) * rate * 3600 * (busy(hour) if shaped else 1))
    statuses, weights = list(plan.mix), list(plan.mix.values())
    templates = plan.traffic_templates
    records, reports = [], []
    for i in range(max(n, 0)):
        sent = float(int(start + rng.random() * 3600))
        mobile, msgid = rng.choice(pool), str(MSGID_BASE + first + i)
        text = rng.choice(templates).format(code=rng.randrange(100000, 999999))
        user = plan.account.get("username", "demo")
        records.append(Record(user, msgid, (mobile,), text, _dt(sent)))
        delay = plan.delay_median * math.exp(rng.gauss(0, plan.delay_sigma))
        status = rng.choices(statuses, weights)[0]
        reports.append(Report(msgid, mobile, status, _dt(float(int(min(sent + delay, until))))))
    return records, reports


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


#: Hours before the start cached at the live rate: the last two (the hour's chart runs on
#: into the live traffic, no wall where the past ends) and the baseline of the demo's first
#: hours (a week earlier), which would look unusual against a thinner past.
LIVE_HOURS = (0, 1, *range(7 * 24 - 5, 7 * 24 + 2))


#: The most messages a second those hours get: the flood's 600 a second would be 15 million
#: messages, minutes of the cache's write lock that the demo's own poll then waits for
#: ("database is locked") and a cache of gigabytes.  The demo's own ~6 a second fits: at 3,
#: its every window was marked unusual against a baseline of half its traffic.
LIVE_MAX = 8.0
#: Messages stored in one transaction, and the pause after each: the poll's destructive
#: pulls commit between two slices, never waiting behind an hour of the past.
SLICE, PAUSE_S = 2000, 0.05


def order(hours: int) -> list[int]:
    """The hours back, in the order they are cached: the last day, the demo's baseline, the
    rest newest first."""
    first = [*range(min(24, hours)), *(h for h in LIVE_HOURS if 24 <= h < hours)]
    return first + [h for h in range(hours) if h not in first]


def fill(
    store: Store,
    plan: Scenario,
    until: float,
    days: float = DAYS,
    rate: float = RATE,
    seed: int = 0,
    stop: threading.Event | None = None,
    pause: float = PAUSE_S,
) -> int:
    """Cache ``days`` of the past before ``until`` (an hour at a time back from it, in
    :func:`order`, until ``stop`` is set, ``pause`` seconds after each slice); the messages
    cached."""
    rng = random.Random(seed)
    pool = _numbers(rng, max(plan.mobile_pool, 1000))
    live = plan.traffic_rate * sum(plan.traffic_recipients) / len(plan.traffic_recipients)
    end = until  # up to the start itself: a past ending at the whole hour left a gap
    sent = 0
    for h in order(int(days * 24)):
        if stop is not None and stop.is_set():
            break
        start = end - 3600 * (h + 1)
        if h in LIVE_HOURS and live > rate:  # as the live traffic, as far as a cache can take
            steady = min(live, LIVE_MAX)
            records, reports = hour_of_traffic(plan, rng, start, steady, sent, pool, False, end)
        else:
            records, reports = hour_of_traffic(plan, rng, start, rate, sent, pool, until=end)
        for i in range(0, len(records), SLICE):  # the poll's writes go between two slices
            part = [("records", records[i : i + SLICE]), ("reports", reports[i : i + SLICE])]
            ingest_together(store, part)  # never a moment without their reports
            if stop is not None and stop.wait(pause):
                break
        sent += len(records)
    return sent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A week of the demo's past, into its cache.")
    parser.add_argument("--db", required=True)
    parser.add_argument("--scenario", default="demo")
    parser.add_argument("--until", type=float, required=True)
    parser.add_argument("--days", type=float, default=DAYS)
    parser.add_argument("--rate", type=float, default=RATE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pause", type=float, default=PAUSE_S, help=argparse.SUPPRESS)  # tests
    args = parser.parse_args(argv)
    stop = threading.Event()  # the demo closes our stdin as it quits: stop after this hour

    def watch() -> None:  # the raw descriptor: a buffered read would hold a lock at exit
        with contextlib.suppress(OSError):
            while os.read(0, 4096):
                pass
        stop.set()

    threading.Thread(target=watch, daemon=True).start()
    store = Store(args.db)
    try:
        plan = load_scenario(args.scenario)
        fill(store, plan, args.until, args.days, args.rate, args.seed, stop, args.pause)
    finally:
        store.close()


if __name__ == "__main__":
    main()
