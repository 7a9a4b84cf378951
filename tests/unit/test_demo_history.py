"""The demo's past (:mod:`fivec_tui.app.history`): hours of the scenario's traffic before
the demo started, through the store's ingest, every carrier, enough for the baseline."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

from fivec_tui.app.history import MSGID_BASE, fill, order
from fivec_tui.sim.scenario import load
from fivec_tui.store import Store, breakdown, queries

UNTIL = 1795600000.0 + 1234.5  # 2026-11-25 15:46:40 Beijing and a bit


def test_the_past_is_cached_up_to_the_start(tmp_path):
    """Up to the start itself: a past ending at the last whole hour left its minutes empty
    on every chart, then a wall of live traffic (a newcomer's finding)."""
    store = Store(tmp_path / "c.db")
    with mock.patch("time.time", lambda: UNTIL):
        plan = load("demo")
        plan.traffic_rate = 0.01  # the baseline hours at the live rate: few here
        n = fill(store, plan, UNTIL, days=8, rate=0.02, seed=3)
        rows = store.query("SELECT min(sent_at) AS lo, max(sent_at) AS hi FROM records")[0]
        hour = UNTIL // 3600 * 3600
        assert rows["lo"] >= UNTIL - 8 * 86400 and UNTIL - 60 < rows["hi"] < UNTIL
        last = queries.summary(store, 1200, UNTIL)  # the 20 minutes since the whole hour
        assert last.sent > 0.5 * 1200 * plan.traffic_rate * 2
        assert n == store.scalar("SELECT count(*) FROM records") > 8 * 24 * 0.02 * 3600 * 0.5
        assert store.scalar("SELECT min(msgid) FROM records") >= str(MSGID_BASE)
        day = queries.summary(store, 86400, hour)
        assert day.sent > 0 and day.delivered > 0.9 * (day.delivered + day.failed)
        carriers = breakdown.carriers(store, 86400, hour)
        assert {"mobile", "unicom", "telecom"} <= set(carriers)
        head = breakdown.headline(store, 3600, UNTIL)
        assert head["baseline"] is not None and head["baseline"]["sent"] > 0


def test_the_demos_baseline_hours_are_as_busy_as_its_live_traffic(tmp_path):
    """A week before the demo's first hours, the past runs at the scenario's live rate, so
    that its numbers are not marked unusual against it; the last day comes first."""
    plan = load("demo")
    plan.traffic_rate = 0.3  # (the demo's 6 a second would make this test slow)
    live = plan.traffic_rate * sum(plan.traffic_recipients) / len(plan.traffic_recipients)
    store = Store(tmp_path / "c.db")
    hour = UNTIL // 3600 * 3600
    with mock.patch("time.time", lambda: UNTIL):
        fill(store, plan, UNTIL, days=8, rate=0.02, seed=4)
        week = queries.summary(store, 3600, hour - 7 * 86400)
        before = queries.summary(store, 3600, hour - 86400)
    assert abs(week.sent - live * 3600) < 0.2 * live * 3600
    assert before.sent < 0.02 * 3600 * 2
    assert order(8 * 24)[:24] == list(range(24)) and sorted(order(8 * 24)) == list(range(192))


def test_the_demos_throw_away_cache_goes_with_it(monkeypatch):
    """Every demo left its /tmp/fivec-demo-* behind: hundreds of MB each with its history."""
    from fivec_tui.app import demo

    seen = []

    class App:
        return_code = 0

        def __init__(self, db_dir):
            self.db_dir = Path(db_dir)

        def run(self):
            (self.db_dir / "demo.db").write_bytes(b"x" * 1000)
            seen.append(self.db_dir)

    monkeypatch.setattr(demo, "demo_app", lambda *a, db_dir=None, **k: App(db_dir))
    assert demo.run_demo("demo", 0, 1.0) == 0
    assert seen and seen[0].name.startswith("fivec-demo-") and not seen[0].exists()


def test_the_past_is_cached_in_slices_the_polls_writes_go_between(tmp_path, monkeypatch):
    """The flood's live rate cached seven hours of 600 a second in one transaction an hour:
    the demo's own poll failed with 'database is locked'."""
    from fivec_tui.app import history

    sizes = []
    monkeypatch.setattr(
        history,
        "ingest_together",
        lambda store, batches: sizes.extend(len(items) for _kind, items in batches),
    )
    store = Store(tmp_path / "c.db")
    plan = load("flood")
    cached = history.fill(store, plan, until=1_765_000_000.0, days=7.5)
    assert max(sizes) <= history.SLICE
    assert cached < 7.5 * 24 * 3600 * history.LIVE_MAX  # never the flood's 600 a second


def test_the_past_is_never_seen_overdue(tmp_path):
    """The demo fired "reports overdue" as it started: its past was cached records first,
    their reports in the next transaction, and the alerts job read between the two.  Every
    commit of the past leaves no recipient of it without a report."""
    store = Store(tmp_path / "c.db")
    plan = load("demo")
    plan.traffic_rate = 0.01
    seen = []
    transaction = store.transaction

    def watched():
        from contextlib import contextmanager

        @contextmanager
        def commit_then_look():
            with transaction() as conn:
                yield conn
            seen.append(queries.pending_older_than(store, 900, 86400, UNTIL))

        return commit_then_look()

    store.transaction = watched
    with mock.patch("time.time", lambda: UNTIL):
        fill(store, plan, UNTIL, days=1, rate=0.05, seed=5)
    assert len(seen) >= 2 and set(seen) == {0}


def test_no_report_of_the_past_comes_after_the_start():
    """A message sent seconds before the start was reported after it: the live feed's
    first rows were 12-17 s in the future (a newcomer's finding)."""
    import random

    from fivec_tui.app.history import hour_of_traffic

    plan = load("demo")
    pool = [f"1380013{i:04d}" for i in range(100)]
    records, reports = hour_of_traffic(
        plan, random.Random(1), UNTIL - 3600, 5.0, 0, pool, False, UNTIL
    )
    latest = max(r.sent_at.timestamp() for r in records)
    assert latest > UNTIL - 5  # sent in the last seconds: their reports would come after
    assert max(r.reported_at.timestamp() for r in reports) <= UNTIL
