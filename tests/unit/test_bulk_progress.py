"""The Bulk progress line gives no ETA before a pace was measured: "0/3000 … ETA 15 s" came
from the configured rate alone, before anything was sent (or after a throttled start)."""

from __future__ import annotations

import pytest

from fivec_tui.store import Store
from fivec_tui.sync.bulk import run as bulk_run
from fivec_tui.sync.bulk.run import Runner

COUNTS = {"rows": 3000, "submitted": 0, "accepted": 0, "failed": 0, "unknown": 0}


@pytest.fixture
def runner(tmp_path):
    store = Store(tmp_path / "c.db")
    seen: list = []
    r = Runner(store, client=None, cid=1, rate=200.0, audit=None, on_progress=seen.append)
    yield r, seen
    store.close()


def test_no_eta_until_a_pace_is_measured(runner, monkeypatch):
    r, seen = runner
    r._report(COUNTS | {"sending": 0, "planned": 3000})
    assert seen[-1].eta_s is None and seen[-1].rate == 0
    clock = iter([100.0, 101.0])
    monkeypatch.setattr(bulk_run.time, "monotonic", lambda: next(clock))
    r._started(200)  # the first request, then the second one a second later: 200/s
    r._started(200)
    r._report(COUNTS | {"submitted": 400, "accepted": 200, "sending": 200, "planned": 2600})
    assert seen[-1].rate == 200 and seen[-1].eta_s == 13.0
