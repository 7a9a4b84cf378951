"""The grains windows are read from (hours, minutes, seconds, rows) agree with the rows.

The rollups written chunk by chunk at ingest are the rollups counted again from the rows at
once; a window is the definition's numbers whichever grains it is read from (the per-second
rollups while its edges are recent, the rows once they are not), by carrier and by message
group too; a percentile is within its histogram bucket of the rows' own.
"""

from __future__ import annotations

import bisect
import math
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from traffic import T0, expected, fill_rows, random_rows, text_of, utc

from fivec_tui.api import Record, Report
from fivec_tui.api.carriers import carrier_of, prefix_of
from fivec_tui.store import Store, asof, ingest_items, queries, retention, rollup, windows
from fivec_tui.store.groups import classify
from fivec_tui.store.rollup import LATENCY_BOUNDS

SPAN = 4 * 3600
CACHED_AT = T0 + 2 * 3600 + 17
FROZEN = T0 + SPAN + 600
LATER = FROZEN + rollup.KEEP_SECONDS_S + 86400  # the per-second rollups no longer hold them
moments = st.floats(T0 - 600, T0 + SPAN + 8000, allow_nan=False)
lengths = st.one_of(
    st.sampled_from([1, 59, 60, 61, 300, 3600, 7200, 86400]), st.integers(1, 5 * 3600)
)
some = settings(max_examples=60, deadline=None)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("grains") / "c.db")
    rows = random_rows(23, 5000, T0, SPAN)
    fill_rows(store, rows, CACHED_AT, seed=23)
    return store, rows


@pytest.fixture(scope="module")
def pruned(cache, tmp_path_factory):
    """The same cache days later, retention run: the per-second rollups are gone."""
    store, rows = cache
    copy = tmp_path_factory.mktemp("pruned") / "c.db"
    store.conn.execute("VACUUM INTO ?", (str(copy),))
    later = Store(copy)
    with mock.patch("time.time", lambda: LATER):
        retention.prune(later, 30)
    assert not later.scalar("SELECT count(*) FROM rollup_s")
    return later, rows


def _tables(store: Store) -> dict[str, dict]:
    out = {}
    for name, (keys, sums) in rollup.TABLES.items():
        table = {}
        extra = ", seconds" if name == "rollup_late" else ""
        for row in store.conn.execute(f"SELECT {', '.join((*keys, *sums))}{extra} FROM {name}"):
            values = row[len(keys) :]
            if extra:  # where in the minute: the same offsets, however they were merged
                values = (*values[:-1], rollup.offsets(values[-1]))
            if name.startswith("latency") and len(values) > 1 and values[0]:
                values = (values[0], round(values[1], 6))
            table[row[: len(keys)]] = values
        out[name] = table
    return out


def test_rollups_written_chunk_by_chunk_are_those_counted_at_once(cache, tmp_path):
    store, _rows = cache
    copy = tmp_path / "again.db"
    store.conn.execute("VACUUM INTO ?", (str(copy),))
    again = Store(copy)
    with mock.patch("time.time", lambda: CACHED_AT), again.transaction() as conn:
        for name in rollup.TABLES:
            conn.execute(f"DELETE FROM {name}")
        rollup.count_sent(conn, 0)
        rollup.count_matched(conn, "r.id = p.record_id", "p.record_id > 0", ())
    incremental, at_once = _tables(store), _tables(again)
    for name in rollup.TABLES:
        assert incremental[name] == at_once[name], name
    assert incremental["rollup_s"] and incremental["rollup_late"]


def _by(rows, key, window_s: float, at: float) -> dict:
    """The definition's numbers (every report known) of each key's rows."""
    groups: dict = {}
    for r in rows:
        groups.setdefault(key(r), []).append(r)
    out = {k: expected(part, window_s, at, True, CACHED_AT) for k, part in groups.items()}
    return {k: v for k, v in out.items() if v["sent"]}


def _summaries(counts: tuple[dict, dict]) -> dict:
    c, hist = counts
    keys = {k for k, _ in c}
    return {
        k: queries.summarise(
            0,
            {s: n for (kk, s), n in c.items() if kk == k},
            {b: n for (kk, b), n in hist.items() if kk == k},
        ).as_json()
        for k in keys
    }


@some
@given(at=moments, window_s=lengths, late=st.booleans())
def test_windows_by_carrier_group_and_block_are_the_definition(cache, pruned, at, window_s, late):
    """Recent (per-second rollups at the edges) or long past (rows), the same numbers."""
    store, rows = pruned if late else cache
    with mock.patch("time.time", lambda: LATER if late else FROZEN):
        by_carrier = _summaries(windows.counts(store, at - window_s, at, by="carrier"))
        by_group = _summaries(windows.counts(store, at - window_s, at, by="group"))
        by_block = queries.prefixes(store, window_s, at)
        whole = queries.summary(store, window_s, at).as_json()
    want = _by(rows, lambda r: carrier_of(r[1]), window_s, at)
    assert {k: v | want[k] for k, v in by_carrier.items()} == by_carrier
    assert set(by_carrier) == set(want)
    want = _by(rows, lambda r: prefix_of(r[1]), window_s, at)
    keys = ("sent", "delivered", "failed")
    assert {b["prefix"]: b for b in by_block} == {
        block: {"prefix": block} | {k: v[k] for k in keys} for block, v in want.items()
    }
    assert whole | expected(rows, window_s, at, True, CACHED_AT) == whole
    groups = {
        row["id"]: (row["signature"], row["template"])
        for row in store.query("SELECT id, signature, template FROM groups")
    }
    want = _by(rows, lambda r: classify(text_of(r)), window_s, at)
    got = {groups[k]: v for k, v in by_group.items()}
    assert {k: v | want[k] for k, v in got.items()} == got
    assert set(got) == set(want)


def test_parts_add_up_per_window(cache, pruned):
    """Billed parts, exactly, whatever grains a window is read from."""
    store, rows = cache
    for window_s, at in ((300, T0 + 3600 + 17.5), (7300, T0 + 3 * 3600 + 1), (60, T0 + 600)):
        want = sum(
            math.ceil(len(text_of(r)) / 67) if len(text_of(r)) > 70 else 1
            for r in rows
            if at - window_s < r[2] <= at
        )
        for now, cached in ((FROZEN, store), (LATER, pruned[0])):
            with mock.patch("time.time", lambda now=now: now):
                c, _ = windows.counts(cached, at - window_s, at, parts=True)
            assert c[("", "PARTS")] == want


def test_percentiles_are_within_their_bucket_of_the_rows(cache):
    """p50, p95 and p99 from the histogram fall in the bucket of the rows' own percentile
    (nearest rank): the estimate is within that bucket's width, 1 s to 20 min."""
    store, rows = cache
    at, window_s = T0 + 3 * 3600, 3 * 3600
    latencies = sorted(  # a report without a platform time, or before its send: none
        max(r[4] - r[2], 0) if r[4] is not None else 0
        for r in rows
        if r[3] and at - window_s < r[2] <= at
    )
    with mock.patch("time.time", lambda: FROZEN):
        s = queries.summary(store, window_s, at)
    for q, got in ((0.5, s.latency_p50_s), (0.95, s.latency_p95_s), (0.99, s.latency_p99_s)):
        own = max(latencies[math.ceil(q * len(latencies)) - 1], 0)
        bucket = bisect.bisect_left(LATENCY_BOUNDS, own)
        lo = LATENCY_BOUNDS[bucket - 1] if bucket else 0
        hi = LATENCY_BOUNDS[bucket] if bucket < len(LATENCY_BOUNDS) else lo * 2  # open-ended
        assert lo <= got <= hi, (q, own, got)


@pytest.mark.parametrize("reported", [T0 + 90.0, T0 + 90.25])
def test_a_late_report_is_known_from_its_second_on(tmp_path, reported):
    """Sent in one minute, reported in the next (at a whole second or not): pending up to
    the moment before its report time, delivered from that moment on."""
    store = Store(tmp_path / "c.db")
    with mock.patch("time.time", lambda: T0 + 600):
        ingest_items(store, "records", [Record("acme", "1", ("13800000000",), "x", utc(T0 + 10))])
        ingest_items(store, "reports", [Report("1", "13800000000", "DELIVRD", utc(reported))])
        for at, delivered in ((reported, 1), (reported - 0.01, 0), (reported + 30, 1)):
            s = asof.summary_at(store, 3600, at)
            assert (s.sent, s.delivered, s.pending) == (1, delivered, 1 - delivered), at


@pytest.fixture(scope="module")
def days(tmp_path_factory):
    """Three days of traffic, for the windows read from whole days and hours."""
    store = Store(tmp_path_factory.mktemp("days") / "c.db")
    rows = random_rows(5, 4000, T0, 3 * 86400)
    fill_rows(store, rows, T0 + 86400, seed=5)
    return store, rows


@some
@given(
    at=st.floats(T0, T0 + 4 * 86400, allow_nan=False),
    window_s=st.integers(3600, 3 * 86400),
    latency=st.booleans(),
)
def test_windows_of_days_are_the_definition(days, at, window_s, latency):
    """Whole days (counts only), hours and minutes at either end, edges: the same numbers,
    overall and by carrier, live and as known at the moment."""
    store, rows = days
    with mock.patch("time.time", lambda: T0 + 4 * 86400):
        c = windows.counts(store, at - window_s, at, by="carrier", latency=latency)
        then = asof.summary_at(store, window_s, at).as_json()
    want = _by(rows, lambda r: carrier_of(r[1]), window_s, at)
    got = _summaries(c)
    keys = ("sent", "delivered", "failed", "pending")
    assert {k: {f: v[f] for f in keys} for k, v in got.items()} == {
        k: {f: v[f] for f in keys} for k, v in want.items()
    }
    assert then | expected(rows, window_s, at, False, T0 + 86400) == then
