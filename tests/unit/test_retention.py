"""Retention counts from when the cache got a row, not from the platform's times."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from oldcache import old_cache, up_to_date

from fivec_tui.api import Credentials, FivecClient, Record, Reply, Report
from fivec_tui.config import Profile
from fivec_tui.store import Store, ingest_items, ingest_journal, journal
from fivec_tui.store.poll_runs import add_poll_run
from fivec_tui.store.retention import prune
from fivec_tui.sync import Engine

DAY = 86400.0


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "c.db")
    yield s
    s.close()


def at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def count(store: Store, table: str) -> int:
    return store.scalar(f"SELECT count(*) FROM {table}")


def reports_body(when: float, *msgids: str) -> str:
    stamp = datetime.fromtimestamp(when, UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return "".join(f"{m},13800000000,DELIVRD,{stamp};" for m in msgids)


async def test_a_backlog_two_months_old_survives_the_prune_job(sim, store):
    """Replies dated two months ago, pulled today: still cached after the prune job runs."""
    two_months_ago = time.time() - 60 * DAY
    for i in range(3):
        sim.platform.add_reply(f"1380000000{i}", f"old {i}", at=two_months_ago + i)
    a = sim.account
    profile = Profile("t", a.username, a.password_md5, a.apikey, base_url=sim.base_url)
    profile.retention_days = 30
    async with FivecClient(Credentials(a.username, a.password_md5, a.apikey), sim.base_url) as c:
        engine = Engine(profile, store, c, consent=True)
        await engine.run_once()
        assert count(store, "replies") == 3
        # the platform's time is past retention: pruning by it would have dropped them all
        assert store.scalar("SELECT max(received_at) FROM replies") < time.time() - 59 * DAY
        await engine.run_job("prune")
    assert engine.jobs["prune"].last_error == ""
    assert count(store, "replies") == 3
    assert store.scalar("SELECT min(cached_at) FROM replies") >= int(time.time()) - 60


def test_rows_received_long_ago_are_pruned_rows_received_now_kept(store, monkeypatch):
    now = time.time()
    long_ago = now - 100 * DAY
    with monkeypatch.context() as m:  # the cache's clock, 100 days back
        m.setattr(time, "time", lambda: long_ago)
        ingest_journal(store, journal(store, "reports", "pull", reports_body(long_ago, "1", "2")))
        ingest_items(store, "records", [Record("u", "1", ("13800000000",), "x", at(long_ago))])
        ingest_items(store, "replies", [Reply("13800000000", "hi", at(long_ago), reply_id="1")])
        add_poll_run(store, "reports", long_ago, "ok")
        unparsed_jid = journal(store, "reports", "pull", "never parsed")
    # Now: rows the platform dated long ago (a backlog), received today.
    ingest_journal(store, journal(store, "reports", "pull", reports_body(long_ago, "3")))
    ingest_items(store, "records", [Record("u", "3", ("13800000000",), "x", at(long_ago))])
    ingest_items(store, "replies", [Reply("13800000000", "yo", at(long_ago), reply_id="2")])
    add_poll_run(store, "reports", now, "ok")
    counts = prune(store, 30)
    assert counts["reports"] == 2 and counts["records"] == 1 and counts["replies"] == 1
    assert counts["poll_runs"] == 1 and counts["journal"] == 1
    assert [r["msgid"] for r in store.query("SELECT msgid FROM reports")] == ["3"]
    assert [r["msgid"] for r in store.query("SELECT msgid FROM records")] == ["3"]
    assert [r["content"] for r in store.query("SELECT content FROM replies")] == ["yo"]
    # a body never parsed is kept, however old, for a later version to read
    assert store.scalar("SELECT count(*) FROM journal WHERE id = ?", (unparsed_jid,)) == 1
    assert prune(store, 30)["reports"] == 0  # nothing more to drop


def test_every_ingest_path_writes_cached_at(store):
    now = time.time()
    ingest_journal(store, journal(store, "reports", "pull", reports_body(now, "1")))
    ingest_items(store, "reports", [Report("2", "13800000000", "DELIVRD", at(now))])
    ingest_items(store, "records", [Record("u", "1", ("13800000000", "13900000000"), "x", at(now))])
    ingest_journal(
        store, journal(store, "replies", "pull", "0,1,13800000000,TD,2024-01-01 00:00:00", "UTF-8")
    )
    ingest_items(store, "replies", [Reply("13800000000", "hi", at(now), reply_id="9")])
    for table, n in (("reports", 2), ("records", 2), ("replies", 2)):
        values = [r["cached_at"] for r in store.query(f"SELECT cached_at FROM {table}")]
        assert len(values) == n and all(abs(v - now) < 60 for v in values), (table, values)


def test_a_clock_stepped_back_keeps_rows_longer_never_drops_new_ones(store):
    """The prune deletes below the first row received after the cut, walking rowids."""
    now = time.time()
    rows = [now - 90 * DAY, now - 1 * DAY, now - 80 * DAY, now]  # the third: clock stepped back
    store.conn.executemany(
        "INSERT INTO balance(at, remaining, total) VALUES (?, 1, 2)", [(t,) for t in rows]
    )
    assert prune(store, 30)["balance"] == 1
    assert [round((now - r["at"]) / DAY) for r in store.query("SELECT at FROM balance")] == [
        1,
        80,
        0,
    ]


def test_migration_6_gives_cached_rows_their_journal_receipt_time(tmp_path):
    conn = old_cache(tmp_path / "old.db", 5)
    now = time.time()
    got, event = now - 2 * DAY, now - 70 * DAY  # a backlog: old event times, pulled 2 days ago
    conn.execute(
        "INSERT INTO journal(id, stream, source, received_at, body, parsed_at) VALUES "
        f"(4, 'reports', 'pull', {got}, 'x', {got}), (5, 'replies', 'pull', {got}, 'y', {got})"
    )
    conn.execute(
        "INSERT INTO reports(msgid, mobile, status, reported_at, journal_id, record_id) VALUES "
        f"('1', '13800000000', 'DELIVRD', {event}, 4, 0), "
        f"('2', '13800000000', 'DELIVRD', {event}, 99, 0)"  # its body already pruned
    )
    conn.execute(
        "INSERT INTO replies(key, mobile, content, received_at, journal_id) VALUES "
        f"('a', '13800000000', 'hi', {event}, 5), ('b', '13800000000', 'yo', NULL, NULL)"
    )
    conn.execute(
        "INSERT INTO records(msgid, mobile, sent_at) VALUES "
        f"('1', '13800000000', {event}), ('2', '13800000000', NULL)"
    )
    conn.close()
    store = Store(tmp_path / "old.db")
    assert up_to_date(store)

    def cached(table: str, key: str) -> list:
        return [
            r["cached_at"] for r in store.query(f"SELECT cached_at FROM {table} ORDER BY {key}")
        ]

    assert cached("reports", "msgid") == [int(got), int(event)]
    assert cached("replies", "key")[0] == int(got)
    assert abs(cached("replies", "key")[1] - now) < 60  # no journal, no time: now
    assert cached("records", "msgid")[0] == int(event)
    assert abs(cached("records", "msgid")[1] - now) < 60
    assert store.integrity_ok()
