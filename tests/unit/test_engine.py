"""The engine's scheduling: APScheduler interval jobs, backoff by moving the next run, no
overlap, ``trigger``, and a ``stop`` that lets the run in flight finish.

Job bodies are replaced by small fakes (``RUNS``), so these tests are about timing alone; the
bodies are tested against the simulator in test_store_sync.py.  Intervals are short and every
wait is a generous deadline on something happening, never a measurement.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import time

import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES

from fivec_tui.api import ThroughputExceeded, TransportError, UnauthorizedIP
from fivec_tui.api.errors import UnreadableAnswer
from fivec_tui.config import Profile
from fivec_tui.store import Store
from fivec_tui.sync import backoff
from fivec_tui.sync import engine as engine_module
from fivec_tui.sync.engine import Engine

DEADLINE_S = 10.0


class Jobs:
    """Fake job bodies that count their runs and can fail, sleep or overlap-check."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.active: dict[str, int] = {}
        self.most_active = 0  # runs of one job at the same time, at most
        self.finished = 0

    def counting(self, name: str, *, fail: int = 0, sleep_s: float = 0.0):
        async def run(engine: Engine) -> int:
            self.calls[name] = self.calls.get(name, 0) + 1
            self.active[name] = self.active.get(name, 0) + 1
            self.most_active = max(self.most_active, self.active[name])
            try:
                if sleep_s:
                    await asyncio.sleep(sleep_s)
                if self.calls[name] <= fail:
                    raise ThroughputExceeded("Throughput Rate Exceeded")
            finally:
                self.active[name] -= 1
            self.finished += 1
            return 1

        return run


class MiddleRandom(random.Random):
    """Jitter that always draws the middle of its range: backoff is its nominal value."""

    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "c.db")
    yield s
    s.close()


def engine_with(store, monkeypatch, jobs: Jobs, **bodies) -> Engine:
    """An engine whose only scheduled jobs are ``balance`` (interval in ``bodies``) and
    ``prune``; their bodies are fakes from ``jobs``."""
    interval = bodies.pop("interval", 0.2)
    profile = Profile("t", "user")
    profile.streams = {
        "reports": "off",
        "replies": "off",
        "records": "off",
        "balance": "pull",
        "subaccounts": "off",
    }
    profile.intervals = {**profile.intervals, "balance": interval}
    monkeypatch.setitem(engine_module.RUNS, "balance", jobs.counting("balance", **bodies))
    monkeypatch.setitem(engine_module.RUNS, "prune", jobs.counting("prune"))
    return Engine(profile, store, client=None, rng=MiddleRandom())


async def until(check, deadline: float = DEADLINE_S) -> bool:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():
            return True
        await asyncio.sleep(0.01)
    return check()


async def test_every_job_runs_once_at_start_then_on_its_interval(store, monkeypatch):
    jobs = Jobs()
    engine = engine_with(store, monkeypatch, jobs, interval=0.1)
    await engine.start()
    try:
        assert await until(lambda: jobs.calls.get("balance", 0) >= 4)
        # prune's interval is an hour: it ran once, at start, and is next due in about an hour
        assert jobs.calls["prune"] == 1
        assert engine.jobs["prune"].next_run > time.time() + 3000
        assert engine.jobs["balance"].last_success is not None
        assert engine.jobs["reports"].next_run is None  # off: never scheduled
    finally:
        await engine.stop()
    runs = store.query("SELECT job, outcome FROM poll_runs WHERE job = 'balance'")
    assert len(runs) >= 4 and {r["outcome"] for r in runs} == {"ok"}


async def test_a_failing_job_backs_off_then_recovers(store, monkeypatch):
    jobs = Jobs()
    engine = engine_with(store, monkeypatch, jobs, interval=0.1, fail=2)
    state = engine.jobs["balance"]
    await engine.start()
    try:
        for failures in (1, 2):
            assert await until(lambda f=failures: state.failures == f and not state.running)
            # The scheduler's next run, moved out past the interval by the backoff
            nominal = 0.1 * 4 * 2 ** (failures - 1)  # throttled: four times slower, doubling
            assert state.backoff_s == pytest.approx(nominal) and state.backoff_s > state.interval
            assert state.next_run >= state.last_run + state.backoff_s
            assert state.status == "degraded" and "Throughput" in state.last_error
        assert await until(lambda: state.failures == 0 and jobs.calls["balance"] >= 3)
        # Recovered: back on its interval, counted from the run that succeeded
        assert state.last_error == "" and state.backoff_s == 0 and state.status == "ok"
        assert state.next_run <= state.last_run + state.interval + 1e-3
        assert await until(lambda: jobs.calls["balance"] >= 5)  # and it keeps its pace
    finally:
        await engine.stop()
    outcomes = [
        r["outcome"]
        for r in store.query("SELECT outcome FROM poll_runs WHERE job = ?", ["balance"])
    ]
    assert outcomes[:3] == ["error", "error", "ok"]


def test_backoff_is_longer_for_errors_that_never_heal():
    rng = MiddleRandom()
    transient = [backoff.delay(5, n, TransportError("reset"), rng) for n in (1, 2, 3)]
    assert transient == [5, 10, 20]
    assert backoff.delay(5, 1, UnauthorizedIP(), rng) == 20
    assert backoff.never_heals(UnauthorizedIP()) and not backoff.never_heals(TransportError())
    assert backoff.delay(5, 30, TransportError("reset"), rng) == backoff.MAX_BACKOFF_S


async def test_a_slow_job_is_never_overlapped(store, monkeypatch):
    """Due again while still running: the scheduler skips that run (max_instances=1)."""
    jobs = Jobs()
    engine = engine_with(store, monkeypatch, jobs, interval=0.05, sleep_s=0.4)
    skipped = []
    await engine.start()
    engine.scheduler.add_listener(lambda event: skipped.append(event), EVENT_JOB_MAX_INSTANCES)
    try:
        assert await until(lambda: jobs.finished >= 3 and skipped)
        engine.trigger("balance")  # a run in flight is left alone, not doubled
        assert await until(lambda: jobs.finished >= 4)
    finally:
        await engine.stop()
    assert jobs.most_active == 1
    assert {event.job_id for event in skipped} == {"balance"}


async def test_trigger_runs_a_job_now(store, monkeypatch):
    jobs = Jobs()
    engine = engine_with(store, monkeypatch, jobs, interval=3600)
    state = engine.jobs["balance"]
    await engine.start()
    try:
        # the first run done (a trigger leaves a run in flight alone: under load it was)
        assert await until(lambda: jobs.calls.get("balance") == 1 and not state.running)
        assert engine.jobs["balance"].next_run > time.time() + 3000
        engine.trigger("balance")
        assert await until(lambda: jobs.calls["balance"] == 2)
        assert engine.jobs["balance"].next_run > time.time() + 3000  # the interval goes on
    finally:
        await engine.stop()


async def test_stop_waits_for_the_run_in_flight(store, monkeypatch):
    jobs = Jobs()
    engine = engine_with(store, monkeypatch, jobs, interval=3600, sleep_s=0.5)
    await engine.start()
    assert await until(lambda: engine.jobs["balance"].running)
    await engine.stop()
    assert jobs.finished == 2 and not any(jobs.active.values())  # neither was cancelled
    state = engine.jobs["balance"]
    assert not state.running and state.last_success is not None and state.next_run is None
    assert store.scalar("SELECT outcome FROM poll_runs WHERE job = 'balance'") == "ok"
    await asyncio.sleep(0.3)
    assert jobs.calls["balance"] == 1  # and nothing runs after stop
    # run_job still works without the scheduler (poll --once, tests)
    assert await engine.run_job("balance") == 1 and engine.jobs["balance"].next_run is None


async def test_stop_cancels_a_run_that_outlasts_the_requests_deadline(store, monkeypatch, caplog):
    """A run that never ends (a request with no deadline, a job stuck) no longer holds the
    stop forever: it is cancelled after the profile's timeout and the grace, and said, in
    lines, not as the scheduler's traceback of a crashed job."""
    caplog.set_level(logging.INFO, "fivec_tui")
    jobs = Jobs()
    engine = engine_with(store, monkeypatch, jobs, interval=3600, sleep_s=3600)
    engine.profile.timeout = 0.2
    monkeypatch.setattr(engine_module, "STOP_GRACE_S", 0.3)
    await engine.start()
    assert await until(lambda: engine.jobs["balance"].running)
    started = time.monotonic()
    await asyncio.wait_for(engine.stop(), DEADLINE_S)
    assert time.monotonic() - started >= 0.5  # it waited the whole bound first
    assert not engine.jobs["balance"].running and jobs.finished <= 1
    error = store.scalar("SELECT error FROM poll_runs WHERE job = 'balance' ORDER BY id DESC")
    assert error.startswith("cancelled at stop")
    await asyncio.sleep(0.1)  # the scheduler's end of the cancelled run
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]


async def test_a_run_with_more_waiting_runs_again_at_once(store, monkeypatch):
    """A run that stopped at its chunk limit (``backlog``) is due now, not in an interval."""
    jobs = Jobs()
    engine = engine_with(store, monkeypatch, jobs, interval=3600)
    drained = jobs.counting("balance")

    async def chunked(eng: Engine) -> int:
        eng.jobs["balance"].backlog = jobs.calls.get("balance", 0) < 2
        return await drained(eng)

    monkeypatch.setitem(engine_module.RUNS, "balance", chunked)
    await engine.start()
    try:
        assert await until(lambda: jobs.calls.get("balance") == 3)
        assert engine.jobs["balance"].next_run > time.time() + 3000  # drained: back to interval
    finally:
        await engine.stop()


async def test_a_failed_run_backs_off_even_when_its_health_cannot_be_written(
    store, monkeypatch, caplog
):
    """A full disk fails the run and the write that records it: the job waits all the same
    (before, the second error escaped the run and the job ran again at its interval)."""
    jobs = Jobs()
    engine = engine_with(store, monkeypatch, jobs, interval=0.05, fail=1000)

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(engine_module.poll_runs, "add_poll_run", full)
    state = engine.jobs["balance"]
    await engine.start()
    try:
        assert await until(lambda: state.failures >= 2 and not state.running)
        assert state.next_run >= state.last_run + state.backoff_s - 1e-3
        await asyncio.sleep(0.5)  # ten intervals: backed off (0.2, 0.4, ...), a few runs only
        assert jobs.calls["balance"] <= 4
    finally:
        await engine.stop()
    said = [r.getMessage() for r in caplog.records if "cannot record" in r.getMessage()]
    assert len(said) == 1 and "disk is full" in said[0]  # once, not once a run
    assert "Traceback" not in caplog.text


def test_an_unreadable_answer_waits_seconds_whatever_the_interval():
    rng = MiddleRandom()
    page = UnreadableAnswer("unreadable answer (reports): a page, not an answer: '<html>'")
    waits = [backoff.delay(0.2, n, page, rng) for n in (1, 2, 3)]
    assert waits == [backoff.UNREADABLE_FIRST_S * k for k in (1, 2, 4)]
    assert backoff.delay(60, 1, page, rng) == 60  # a slow job is slower still


async def test_trigger_leaves_a_failing_jobs_backoff_alone(store, monkeypatch):
    jobs = Jobs()
    engine = engine_with(store, monkeypatch, jobs, interval=3600, fail=1)
    state = engine.jobs["balance"]
    await engine.start()
    try:
        assert await until(lambda: state.failures == 1 and not state.running)
        due = state.next_run
        engine.trigger("balance")  # e.g. a send asks for its reports sooner
        await asyncio.sleep(0.2)
        assert jobs.calls["balance"] == 1 and state.next_run == due
    finally:
        await engine.stop()


async def test_a_paused_pull_keeps_its_interval_and_says_why(store, monkeypatch):
    """No room to keep what a pull would take: the run pauses (not a failure, no backoff),
    the job's health and ``poll_runs`` say why, and the next run asks again."""
    jobs = Jobs()
    engine = engine_with(store, monkeypatch, jobs, interval=0.1)
    why = "disk full: pulls paused (/c.db has 1.0 MiB free, needs 64.0 MiB)"
    short = {"now": True}

    async def pull(eng: Engine) -> int:
        jobs.calls["balance"] = jobs.calls.get("balance", 0) + 1
        if short["now"]:
            raise engine_module.PullsPaused(why)
        return 1

    monkeypatch.setitem(engine_module.RUNS, "balance", pull)
    state = engine.jobs["balance"]
    await engine.start()
    try:
        assert await until(lambda: jobs.calls.get("balance", 0) >= 3)  # on its interval
        assert state.failures == 0 and state.status == "waiting" and state.note == why
        short["now"] = False
        assert await until(lambda: state.status == "ok" and state.note == "")
    finally:
        await engine.stop()
    runs = store.query("SELECT outcome, error FROM poll_runs WHERE job = 'balance' ORDER BY id")
    assert runs[0] == {"outcome": "paused", "error": why} and runs[-1]["outcome"] == "ok"


async def test_an_unreadable_answer_is_kept_once(store, monkeypatch):
    jobs = Jobs()
    engine = engine_with(store, monkeypatch, jobs, interval=3600)
    page = "<html><body>blocked</body></html>"

    async def blocked(eng: Engine) -> int:
        raise UnreadableAnswer(f"unreadable answer (balance): a page: {page!r}", page)

    monkeypatch.setitem(engine_module.RUNS, "balance", blocked)
    for _ in range(3):
        await engine.run_job("balance")
    kept = store.query("SELECT journal_id, stream, raw FROM unparsed")
    assert kept == [{"journal_id": None, "stream": "balance", "raw": page}]
    assert engine.jobs["balance"].last_error.startswith("unreadable answer (balance)")


async def test_a_new_poller_shows_the_last_success_before_it(store, monkeypatch):
    """A poll restarted (the TUI again, with a wrong password this time): its jobs' "last
    ok" said "never" of a cache pulled a minute before (a newcomer's finding). It shows the
    earlier poller's until its own first success; its status is its own ("degraded" here)."""
    from fivec_tui.store.poller import job_health

    jobs = Jobs()
    first = engine_with(store, monkeypatch, jobs, interval=3600)
    await first.start()
    try:
        assert await until(lambda: first.jobs["balance"].last_success is not None)
    finally:
        await first.stop()
    before = {h.job: h.last_success for h in job_health(store)}["balance"]
    second = engine_with(store, monkeypatch, jobs, interval=3600, fail=5)
    await second.start()
    try:
        assert await until(lambda: second.jobs["balance"].failures >= 1)
    finally:
        await second.stop()
    (balance,) = [h for h in job_health(store) if h.job == "balance"]
    assert balance.last_success == before and balance.status == "degraded"
    assert second.jobs["balance"].last_success is None  # its own windows start afresh
