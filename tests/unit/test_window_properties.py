"""Window numbers to the second, as properties: for any moment (any second, a fraction of one
too), any window and any host ``TZ``, ``stats --at`` and the functions behind it give the
numbers computed from the rows by the definition (:func:`traffic.expected`); a moment written
with or without its offset is the same moment; ``--at now`` is ``stats``.

The cache holds random traffic (:func:`traffic.random_rows`): sends at any second, reports
after any delay, a few before their send, without a platform time, or never; cached in
shuffled chunks, reports before or after their records.  The clock is frozen.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from unittest import mock

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from traffic import T0, expected, fill_rows, random_rows

from fivec_tui import when
from fivec_tui.cli import main
from fivec_tui.store import Store, asof, queries

SPAN = 4 * 3600  # the traffic: four hours from T0
CACHED_AT = T0 + 2 * 3600 + 17  # when the cache got the rows (their time, for those without)
FROZEN = T0 + SPAN + 600  # now: after every send, before the latest reports
KEYS = ("sent", "delivered", "failed", "pending", "delivery_rate")
HOST_ZONES = ("UTC", "Asia/Shanghai", "America/New_York")

moments = st.floats(T0 - 600, T0 + SPAN + 8000, allow_nan=False)
seconds = st.integers(int(T0) - 600, int(T0) + SPAN + 8000).map(float)
windows = st.one_of(st.sampled_from([1, 59, 60, 61, 300, 3600, 86400]), st.integers(1, 6 * 3600))
quick = settings(max_examples=150, deadline=None)
slow = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    path = tmp_path_factory.mktemp("win") / "c.db"
    rows = random_rows(11, 6000, T0, SPAN)
    store = Store(path)
    fill_rows(store, rows, CACHED_AT, seed=11)
    return path, store, rows


@contextlib.contextmanager
def host_tz(name: str):
    old = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


@contextlib.contextmanager
def frozen(now: float = FROZEN):
    with mock.patch("time.time", lambda: now):
        yield


def want(rows, window_s, at, known_now=False) -> dict:
    return expected(rows, window_s, at, known_now or at >= FROZEN, CACHED_AT)


@quick
@given(at=moments, window_s=windows, known_now=st.booleans())
@example(at=T0 + 3600 + 59, window_s=300, known_now=False)  # a minute's last second
@example(at=T0 + 3600, window_s=60, known_now=False)  # on a minute
@example(at=T0 + 3600 + 0.5, window_s=3600, known_now=False)
def test_summary_at_any_moment_is_the_definition(cache, at, window_s, known_now):
    _, store, rows = cache
    with frozen():
        got = asof.summary_at(store, window_s, at, known_now).as_json()
    assert got | want(rows, window_s, at, known_now) == got


@quick
@given(at=moments, known_now=st.booleans(), live=st.booleans())
def test_windows_sharing_a_memo_read_as_each_alone(cache, at, known_now, live):
    """The dashboard's windows share one memo (edges, late reports): the same numbers."""
    _, store, _rows = cache
    memo: dict = {}
    with frozen():
        if live:
            shared = [queries.summary(store, w, at, memo) for w in (300, 3600, 86400)]
            shared += [
                queries.series(store, 3600, at, memo),
                queries.prefixes(store, 3600, at, memo),
            ]
            alone = [queries.summary(store, w, at) for w in (300, 3600, 86400)]
            alone += [queries.series(store, 3600, at), queries.prefixes(store, 3600, at)]
        else:
            shared = [asof.summary_at(store, w, at, known_now, memo) for w in (300, 3600, 86400)]
            shared += [
                asof.series_at(store, 3600, at, known_now, memo),
                asof.prefixes_at(store, 3600, at, known_now, memo),
            ]
            alone = [asof.summary_at(store, w, at, known_now) for w in (300, 3600, 86400)]
            alone += [asof.series_at(store, 3600, at, known_now)]
            alone += [asof.prefixes_at(store, 3600, at, known_now)]
    assert shared == alone


@quick
@given(at=moments, window_s=windows, known_now=st.booleans())
def test_series_prefixes_and_minutes_add_up_to_the_summary(cache, at, window_s, known_now):
    _, store, _rows = cache
    with frozen():
        s = asof.summary_at(store, window_s, at, known_now)
        series = asof.series_at(store, window_s, at, known_now)
        prefixes = asof.prefixes_at(store, window_s, at, known_now)
        minutes = asof.minutes_at(store, window_s, at, known_now)
    for rows in (series, prefixes):
        assert sum(r["sent"] for r in rows) == s.sent
        assert sum(r["delivered"] for r in rows) == s.delivered
        assert sum(r["failed"] for r in rows) == s.failed
    assert sum(m["counts"].get("SENT", 0) for m in minutes.values()) == s.sent
    assert len(series) == int(at // 60) - int((at - window_s) // 60) + 1


def _stats(config, *args) -> dict:
    env = {"FIVEC_DB": str(config.parent / "c.db"), "FIVEC_CONFIG": str(config)}
    result = CliRunner().invoke(main, ["stats", *args, "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def zones(cache, tmp_path_factory):
    """A config per display zone, each beside the cache (FIVEC_DB names it)."""
    path, _store, _rows = cache
    out = {}
    for zone in ("Asia/Shanghai", "UTC", "America/New_York", "local"):
        config = path.parent / f"{zone.replace('/', '-')}.toml"
        config.write_text(f'[app]\ntimezone = "{zone}"\n')
        out[zone] = config
    return out


@slow
@given(
    at=seconds,
    window_s=windows,
    host=st.sampled_from(HOST_ZONES),
    zone=st.sampled_from(["Asia/Shanghai", "UTC", "America/New_York", "local"]),
    known_now=st.booleans(),
)
def test_stats_at_through_the_cli_with_and_without_offset(
    cache, zones, at, window_s, host, zone, known_now
):
    """The moment typed in the display zone without an offset, or with any offset, whatever
    the host's TZ: the same numbers, the definition's."""
    _, _store, rows = cache
    known = ["--known-now"] if known_now else []
    try:
        with host_tz(host), frozen():
            when.use_zone(zone)
            naive = when.show_time(at, "%Y-%m-%dT%H:%M:%S")
            utc = when.moment(at).astimezone(when.zone_named("UTC")).isoformat()
            typed = [
                _stats(zones[zone], "--at", text, "--window", f"{window_s}s", *known)
                for text in (naive, when.iso(at), utc)
            ]
    finally:
        when.use_zone(when.PLATFORM_ZONE)
    wanted = want(rows, window_s, min(at, FROZEN), known_now)  # a moment to come is now
    assert typed[0] == typed[1] == typed[2]
    assert typed[0] | wanted == typed[0]


@slow
@given(window_s=windows, host=st.sampled_from(HOST_ZONES))
def test_stats_at_now_is_stats(cache, zones, window_s, host):
    _, _store, rows = cache
    with host_tz(host), frozen():
        live = _stats(zones["Asia/Shanghai"], "--window", f"{window_s}s")
        assert _stats(zones["Asia/Shanghai"], "--at", "now", "--window", f"{window_s}s") == live
    assert live | want(rows, window_s, FROZEN, True) == live


def test_the_live_summary_is_the_definition_at_now(cache):
    _, store, rows = cache
    for window_s in (300, 3600, 86400):
        with frozen():
            live = queries.summary(store, window_s, FROZEN).as_json()
            assert asof.summary_at(store, window_s, FROZEN).as_json() == live
        assert live | want(rows, window_s, FROZEN, True) == live
