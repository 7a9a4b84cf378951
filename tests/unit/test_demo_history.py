"""The demo's past (:mod:`fivec_tui.app.history`): hours of the scenario's traffic before
the demo started, through the store's ingest, every carrier, enough for the baseline."""

from __future__ import annotations

from unittest import mock

from fivec_tui.app.history import MSGID_BASE, fill
from fivec_tui.sim.scenario import load
from fivec_tui.store import Store, breakdown, queries

UNTIL = 1795600000.0 + 1234.5  # 2026-11-25 15:46:40 Beijing and a bit


def test_the_past_is_cached_whole_hours_before_the_start(tmp_path):
    store = Store(tmp_path / "c.db")
    with mock.patch("time.time", lambda: UNTIL):
        n = fill(store, load("demo"), UNTIL, days=8, rate=0.02, seed=3)
        rows = store.query("SELECT min(sent_at) AS lo, max(sent_at) AS hi FROM records")[0]
        hour = UNTIL // 3600 * 3600
        assert hour - 8 * 86400 <= rows["lo"] and rows["hi"] < hour
        assert n == store.scalar("SELECT count(*) FROM records") > 8 * 24 * 0.02 * 3600 * 0.5
        assert store.scalar("SELECT min(msgid) FROM records") >= str(MSGID_BASE)
        day = queries.summary(store, 86400, hour)
        assert day.sent > 0 and day.delivered > 0.9 * (day.delivered + day.failed)
        carriers = breakdown.carriers(store, 86400, hour)
        assert {"mobile", "unicom", "telecom"} <= set(carriers)
        head = breakdown.headline(store, 3600, UNTIL)
        assert head["baseline"] is not None and head["baseline"]["sent"] > 0
