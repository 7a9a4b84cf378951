"""The records job's first pull on a fresh cache reaches back ``backfill_hours``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from fivec_tui.api import Record
from fivec_tui.config import Profile
from fivec_tui.store import Store
from fivec_tui.sync.jobs import records


class Client:
    """The platform's records: one message every ten minutes over the last two days."""

    def __init__(self) -> None:
        self.windows: list[tuple[datetime, datetime]] = []
        now = datetime.now(UTC)
        self.sent = [now - timedelta(minutes=10 * i) for i in range(1, 6 * 48)]

    async def records(self, start, end):
        self.windows.append((start, end))
        return [
            Record("acme", f"m{t.timestamp():.0f}", ("13800138000",), "x", t)
            for t in self.sent
            if start <= t <= end
        ]


def engine(tmp_path, last_success=None, **settings):
    profile = Profile("t", "acme")
    for key, value in settings.items():
        setattr(profile, key, value)
    return SimpleNamespace(
        store=Store(tmp_path / "c.db"),
        profile=profile,
        client=Client(),
        jobs={"records": SimpleNamespace(last_success=last_success)},
    )


def _span(windows) -> timedelta:
    return max(e for _, e in windows) - min(s for s, _ in windows)


def test_a_fresh_cache_reads_back_a_day(tmp_path):
    eng = engine(tmp_path)
    new = asyncio.run(records.run(eng))
    assert len(eng.client.windows) == 24  # an hour a request
    assert _span(eng.client.windows) == timedelta(hours=24, seconds=5)
    assert new == sum(1 for t in eng.client.sent if t >= eng.client.windows[-1][0])
    assert new == eng.store.scalar("SELECT count(*) FROM records") >= 6 * 24 - 1
    # the next start on the same cache (no success in memory yet) reads the last hour only
    again = engine(tmp_path)
    asyncio.run(records.run(again))
    assert len(again.client.windows) == 1
    assert _span(again.client.windows) == timedelta(hours=1, seconds=5)


@pytest.mark.parametrize(("hours", "retention", "want"), [(48, 30, 48), (72, 1, 24), (0, 30, 1)])
def test_backfill_hours_bounded_by_retention(tmp_path, hours, retention, want):
    eng = engine(tmp_path, backfill_hours=hours, retention_days=retention)
    asyncio.run(records.run(eng))
    assert _span(eng.client.windows) == timedelta(hours=want, seconds=5)


def test_after_a_success_reads_from_it(tmp_path):
    last = datetime.now(UTC).timestamp() - 300
    eng = engine(tmp_path, last_success=last)
    asyncio.run(records.run(eng))
    [(start, _)] = eng.client.windows
    assert start.timestamp() == pytest.approx(last - records.OVERLAP_S)
