"""A window of send records whose answer is over its cap is asked for in halves: every record
comes back once, as a single request would have given them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from fivec_tui.api import reading
from fivec_tui.api.models import Record
from fivec_tui.api.reading import Oversized


def _sent_over_the_last_hour(sim, n: int) -> set[tuple[str, str]]:
    """``n`` messages the platform records as sent across the last hour."""
    platform, now = sim.platform, time.time()
    real = platform.clock
    try:
        for i in range(n):
            platform.clock = lambda i=i: now - 3600 + i * 3600 / n
            platform.submit(platform.main, [f"138{i:08d}"], f"第{i}条【公司】", background=True)
    finally:
        platform.clock = real
    return {(m.msgid, m.mobiles[0]) for m in platform.messages.values()}


async def test_an_oversized_window_of_records_is_read_in_halves(sim, client, monkeypatch):
    sent = _sent_over_the_last_hour(sim, 120)
    end = datetime.now(UTC) + timedelta(seconds=5)
    start = end - timedelta(hours=1, minutes=5)
    whole = await client.records(start, end)
    assert {(r.msgid, r.mobiles[0]) for r in whole} == sent
    asked = sim.server.arrived.get("query", 0)

    monkeypatch.setitem(reading.CAPS, "records", 2048)  # ~20 records an answer
    halves = await client.records(start, end)
    assert sorted(halves, key=lambda r: r.msgid) == sorted(whole, key=lambda r: r.msgid)
    assert all(isinstance(r, Record) for r in halves)
    assert sim.server.arrived["query"] - asked > 8  # it did split, more than once


async def test_a_minute_of_records_over_the_cap_is_an_unreadable_answer(sim, client, monkeypatch):
    _sent_over_the_last_hour(sim, 120)
    monkeypatch.setitem(reading.CAPS, "records", 64)
    end = datetime.now(UTC)
    with pytest.raises(Oversized, match="more than"):
        await client.records(end - timedelta(minutes=30), end)
