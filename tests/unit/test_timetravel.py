"""Time-travel: the account at a past moment, from the platform's times in the cached rows.

A day of known traffic with an outage in the middle is ingested (half of it reports before
records, as the poller usually sees them); the numbers at several moments are checked
against numbers computed here from the traffic itself, independently of the rollups.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from clirun import empty_config
from oldcache import old_cache
from traffic import T0, day_rows, expected, fill_day, utc

from fivec_tui.cli import main
from fivec_tui.store import Store, asof, queries


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    path = tmp_path_factory.mktemp("tt") / "c.db"
    rows = day_rows()
    store = Store(path)
    fill_day(store, rows)
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO balance(at, remaining, total) VALUES (?, ?, 1000)",
            [(T0 + m * 60, 1000 - m * 0.25) for m in range(1440)],
        )
        conn.executemany(
            "INSERT INTO alerts(at, rule, state, message, payload) VALUES (?, ?, ?, ?, '{}')",
            [
                (T0 + 605 * 60, "delivery_rate", "firing", "rate low"),
                (T0 + 635 * 60, "delivery_rate", "repeat", "rate low"),
                (T0 + 700 * 60, "delivery_rate", "resolved", "ok"),
            ],
        )
    return path, store, rows


MOMENTS = [
    ("before the outage", 590 * 60 + 30, 3600),
    ("inside the outage", 630 * 60 + 45, 3600),
    ("outage just over", 661 * 60, 3600),
    ("after the delayed reports", 720 * 60 + 5, 3600),
    ("five minutes in", 605 * 60 + 20, 300),
    ("the whole day", 1439 * 60 + 59, 86400),
]


@pytest.mark.parametrize(("label", "offset", "window"), MOMENTS, ids=[m[0] for m in MOMENTS])
def test_summary_at_matches_the_traffic(day, label, offset, window):
    _, store, rows = day
    at = T0 + offset
    for known_now in (False, True):
        got = asof.summary_at(store, window, at, known_now=known_now).as_json()
        want = expected(rows, window, at, known_now)
        assert {k: got[k] for k in want} == want, (label, known_now)


def test_outage_pending_then_known(day):
    """Inside the outage the delayed messages are pending at the time, delivered as known now."""
    _, store, _ = day
    at = T0 + 630 * 60 + 45
    then = asof.summary_at(store, 900, at)
    now = asof.summary_at(store, 900, at, known_now=True)
    assert then.pending > 0 and then.delivery_rate == 0.0
    assert now.pending == 0 and now.delivered > then.delivered
    assert then.failures == {"MI:0013": then.failed}


def test_series_and_prefixes_at(day):
    _, store, rows = day
    at = T0 + 630 * 60 + 45
    series = asof.series_at(store, 3600, at)
    by_minute = {s["minute"]: s for s in series}
    for m in (570, 571, 580, 615, 630):  # the first minute holds its last 15 s only
        minute = int(T0 // 60) + m
        sent = [r for r in rows if int(r[2] // 60) == minute and at - 3600 < r[2] <= at]
        known = [r for r in sent if r[4] <= at]
        assert by_minute[minute]["sent"] == len(sent)
        assert by_minute[minute]["delivered"] == sum(r[3] == "DELIVRD" for r in known)
        assert by_minute[minute]["failed"] == sum(r[3] != "DELIVRD" for r in known)
    assert sum(s["sent"] for s in series) == expected(rows, 3600, at)["sent"]
    total = expected(rows, 3600, at)
    pref = asof.prefixes_at(store, 3600, at)
    assert sum(p["sent"] for p in pref) == total["sent"]
    assert sum(p["delivered"] for p in pref) == total["delivered"]
    assert sum(p["failed"] for p in pref) == total["failed"]


def test_balance_replies_alerts_at(day):
    _, store, _ = day
    at = T0 + 630 * 60 + 45
    b = asof.balance_at(store, 3600, at)
    assert b.at == T0 + 630 * 60 and b.remaining == 1000 - 630 * 0.25
    assert b.burn_per_hour == pytest.approx(15.0)
    replies = asof.replies_at(store, at)
    assert [r["reply_id"] for r in replies[:2]] == ["td", "10"]
    assert all(r["received_at"] <= at for r in replies)
    firing = asof.alerts_firing(store, at)
    assert [(a["rule"], a["state"], a["since"]) for a in firing] == [
        ("delivery_rate", "firing", T0 + 605 * 60)
    ]
    later = asof.alerts_firing(store, T0 + 640 * 60)
    assert [(a["state"], a["since"]) for a in later] == [("repeat", T0 + 605 * 60)]
    assert asof.alerts_firing(store, T0 + 600 * 60) == []
    assert asof.alerts_firing(store, T0 + 701 * 60) == []
    feed = asof.reports_at(store, at)
    assert feed and all(r["reported_at"] <= at for r in feed)


def test_now_is_the_live_summary(day):
    _, store, _ = day
    for window in (300, 3600, 86400):
        assert asof.summary_at(store, window, 4e9) == queries.summary(store, window, 4e9)


#: The rollups as version 9 kept them, from today's: no billed parts, latency by minute alone.
AS_9 = {
    "rollup": "SELECT minute, prefix, status, n FROM day.rollup WHERE status != 'PARTS'",
    "latency": "SELECT minute, bucket, sum(n), sum(total_s) FROM day.latency GROUP BY 1, 2",
}


def test_migration_backfills_the_late_rollups(day, tmp_path):
    """A cache from before migration 10 gets the late rollups from its rows (and, from
    before m015, their report times and latency by carrier)."""
    path, store, _ = day
    old = old_cache(tmp_path / "old.db", 9)
    old.execute("ATTACH ? AS day", (str(path),))
    tables = [t for (t,) in old.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:  # the rows as version 9 had them: its columns only
        columns = ", ".join(r[1] for r in old.execute(f"PRAGMA table_info({table})"))
        source = AS_9.get(table, f"SELECT {columns} FROM day.{table}")
        old.execute(f"INSERT INTO main.{table}({columns}) {source}")
    assert old.execute("SELECT count(*) FROM reports").fetchone()[0] > 0
    old.close()
    migrated = Store(tmp_path / "old.db")
    for _, offset, window in MOMENTS:
        at = T0 + offset
        assert asof.summary_at(migrated, window, at) == asof.summary_at(store, window, at)


def _stats(env, *args) -> dict:
    result = CliRunner().invoke(main, ["stats", *args, "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_stats_at_cli(day, tmp_path, monkeypatch):
    path, _, rows = day
    env = {"FIVEC_DB": str(path), "FIVEC_CONFIG": empty_config(tmp_path / "none.toml")}
    at = T0 + 630 * 60 + 45
    got = _stats(env, "--at", utc(at).isoformat(), "--window", "1h")
    want = expected(rows, 3600, at)
    assert {k: got[k] for k in want} == want
    known = _stats(env, "--at", utc(at).isoformat(), "--window", "1h", "--known-now")
    assert known["pending"] == 0 and known["sent"] == want["sent"]
    # with the clock frozen just after the day: --at now is stats, every key
    monkeypatch.setattr("time.time", lambda: T0 + 1439 * 60 + 59)
    for window in ("5m", "1h", "24h"):
        live = _stats(env, "--window", window)
        assert _stats(env, "--at", "now", "--window", window) == live
        assert live["sent"] > 0
        # a moment to come is the present (it counted nothing: its window held no sends)
        assert _stats(env, "--at", "+1h", "--window", window) == live
        assert _stats(env, "--at", "2099-12-31T00:00Z", "--window", window) == live


def test_a_messages_story_as_it_was_then(day):
    """Sent 18:30:12 in the outage, delivered 30 min later: pending at 18:30:45."""
    from fivec_tui.store.messages import story

    _, store, _ = day
    at = T0 + 630 * 60 + 45
    assert [r["status"] for r in story(store, "06302")["recipients"]] == ["DELIVRD"]
    then = story(store, "06302", until=at, reported_by=at)
    assert [(r["status"], r["latency"]) for r in then["recipients"]] == [(None, None)]
    assert [r["status"] for r in story(store, "06300", at, at)["recipients"]] == ["MI:0013"]
