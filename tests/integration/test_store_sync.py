"""Cache and sync engine: journal-first ingest, idempotency, rollups, engine against the sim."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oldcache import old_cache, up_to_date

from fivec_tui.api import Record, Report
from fivec_tui.api.parse import parse_records, parse_reports
from fivec_tui.config import ConfigError, Profile, load_profile
from fivec_tui.store import Store, ingest_items, ingest_journal, journal, queries, replay
from fivec_tui.store import ingest as ingest_module
from fivec_tui.store.journaling import read_body
from fivec_tui.sync import Engine, LockHeld, PollerLock, PushConfig, PushReceiver, jobs
from fivec_tui.sync.forward import Forwarder
from fivec_tui.sync.jobs.reconcile_replies import CURSOR_KEY as REPLY_CURSOR_KEY
from fivec_tui.sync.jobs.reconcile_replies import OVERLAP_S as REPLY_RECONCILE_OVERLAP_S
from fivec_tui.sync.jobs.reconcile_replies import SLICES as REPLY_RECONCILE_SLICES


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "c.db")
    yield s
    s.close()


def at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def test_report_before_record_is_matched_once_and_summary_adds_up(store):
    now = time.time()
    ingest_items(
        store,
        "reports",
        [
            Report("11111111111111", "13800000000", "DELIVRD", at(now + 4)),
            Report("11111111111111", "13900000000", "MK:0001", at(now + 9)),
        ],
    )
    assert queries.summary(store, 3600).sent == 0
    rec = Record(
        "demo", "11111111111111", ("13800000000", "13900000000", "13700000000"), "hi", at(now)
    )
    for _ in range(3):  # records are re-read in overlapping windows: counted once
        ingest_items(store, "records", [rec])
        ingest_items(
            store, "reports", [Report("11111111111111", "13800000000", "DELIVRD", at(now + 4))]
        )
    s = queries.summary(store, 3600)
    assert (s.sent, s.delivered, s.failed, s.pending) == (3, 1, 1, 1)
    assert s.delivery_rate == 0.5 and s.failures == {"MK:0001": 1}
    assert 3 <= s.latency_p50_s <= 8


def test_reports_drained_before_their_records_are_counted_once_in_any_batching(store):
    """A backlog of reports lands first; records follow in overlapping batches, in any order."""
    now = time.time()
    recs = [
        Record("u", f"{100 + i}", (f"138{i:08d}", f"139{i:08d}"), "x", at(now)) for i in range(40)
    ]
    status = ["DELIVRD", "UNDELIV", "MK:0001"]
    reports = [
        Report(r.msgid, m, status[(i + j) % 3], at(now + 2))
        for i, r in enumerate(recs)
        for j, m in enumerate(r.mobiles)
    ]
    ingest_items(store, "reports", reports[:50])
    for start in (30, 0, 10, 20, 25):  # overlapping windows, out of order
        ingest_items(store, "records", recs[start : start + 10])
    ingest_items(store, "reports", reports[40:])  # some again, the rest after their records
    s = queries.summary(store, 3600)
    assert (s.sent, s.delivered, s.failed) == (80, 27, 53) and s.pending == 0
    assert store.scalar("SELECT count(*) FROM reports WHERE record_id = 0") == 0
    assert (
        store.scalar(
            "SELECT count(*) FROM reports p JOIN records r ON r.id = p.record_id "
            "WHERE r.msgid = p.msgid AND r.mobile = p.mobile"
        )
        == 80
    )  # each report points at its own record
    assert store.scalar("SELECT sum(n) FROM latency") == 80


def test_migration_5_points_counted_reports_at_their_records(tmp_path):
    """A cache written before record_id: counted reports get their record's rowid (or -1 when
    the record was pruned), waiting ones stay waiting and are counted when the record comes."""
    conn = old_cache(tmp_path / "old.db", 4)
    now = time.time()
    conn.execute(
        "INSERT INTO records(id, msgid, mobile, sent_at, minute, prefix) VALUES "
        f"(7, '1', '13800000000', {now}, {int(now // 60)}, '138')"
    )
    conn.execute(
        "INSERT INTO reports(msgid, mobile, status, reported_at, counted) VALUES "
        f"('1', '13800000000', 'DELIVRD', {now}, 1), ('2', '13800000000', 'DELIVRD', {now}, 1), "
        f"('3', '13800000000', 'UNDELIV', {now}, 0)"
    )
    conn.close()
    store = Store(tmp_path / "old.db")
    assert up_to_date(store)
    rows = "SELECT msgid, record_id FROM reports ORDER BY msgid"
    assert [tuple(r.values()) for r in store.query(rows)] == [("1", 7), ("2", -1), ("3", 0)]
    # (migration 7 drops the partial index on waiting reports: the key finds them)
    assert store.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'reports_uncounted'") == 0
    ingest_items(store, "records", [Record("u", "3", ("13800000000",), "x", at(now))])
    assert store.scalar("SELECT record_id FROM reports WHERE msgid = '3'") == store.scalar(
        "SELECT id FROM records WHERE msgid = '3'"
    )
    assert store.scalar("SELECT n FROM rollup WHERE status = 'UNDELIV'") == 1
    assert store.integrity_ok()


def test_journal_commits_before_parsing_and_replay_is_idempotent(store):
    jid = journal(store, "reports", "pull", "1,13800000000,DELIVRD,2024-01-01 00:00:00;junk;")
    assert store.scalar("SELECT count(*) FROM journal WHERE parsed_at IS NULL") == 1
    assert replay(store) == 1 and replay(store) == 0
    assert ingest_journal(store, jid)["new"] == 0  # second ingest of the same body adds nothing
    assert store.scalar("SELECT count(*) FROM reports") == 1
    assert store.scalar("SELECT raw FROM unparsed") == "junk"
    assert store.integrity_ok()


REPORT_LINE = st.one_of(
    st.tuples(
        st.sampled_from(["", "3456,"]),
        st.sampled_from(["1", "2", "309111755558600"]),
        st.sampled_from(["", "2267476,"]),  # the doc's six-field form
        st.sampled_from(["13800000000", "+8613800000001", " 13800000002 "]),
        st.sampled_from(["DELIVRD", "undeliv", "MK:0001", ""]),
        st.sampled_from(["2024-01-01 00:00:00", "1700000000", "", "2024-13-01 00:00:00"]),
    ).map(lambda t: f"{t[0]}{t[1]},{t[2]}{t[3]},{t[4]},{t[5]}"),
    st.text(alphabet=",;: 0123456789ABC\ufeff", max_size=20),
)


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(REPORT_LINE, max_size=8))
def test_pulled_reports_ingest_as_parse_reports_reads_them(lines):
    """The ingest's row path and ``parse_reports`` are two uses of one line reader: same rows."""
    body = ";".join(lines)
    pulled, parsed = Store(":memory:"), Store(":memory:")
    ingest_journal(pulled, journal(pulled, "reports", "pull", body))
    ingest_items(parsed, "reports", parse_reports(body))
    rows = "SELECT msgid, mobile, status, ext, reported_at FROM reports ORDER BY id"
    assert pulled.query(rows) == parsed.query(rows)
    raws = "SELECT DISTINCT raw, reason FROM unparsed ORDER BY raw"  # kept once per body
    assert pulled.query(raws) == parsed.query(raws)


def test_record_without_send_time_does_not_poison_its_reports(store):
    """A record whose time field is empty is kept, and its reports still ingest (both orders)."""
    ingest_items(store, "reports", [Report("1", "13800000000", "DELIVRD", at(time.time()))])
    ingest_items(store, "records", parse_records("u,1,13800000000|13800000001,hi,;"))
    jid = journal(store, "reports", "pull", "1,13800000001,DELIVRD,2024-01-01 00:00:00;")
    assert ingest_journal(store, jid)["new"] == 1
    assert store.scalar("SELECT count(*) FROM journal WHERE parsed_at IS NULL") == 0
    assert store.scalar("SELECT count(*) FROM reports") == 2
    assert store.scalar("SELECT count(*) FROM rollup") == 0  # in no window, as the record


def test_replay_goes_past_a_body_that_cannot_be_ingested(store, monkeypatch, caplog):
    """One poisoned body (a bug, a full disk) must not stop the others, nor the poller's start."""
    bad = journal(store, "reports", "pull", "1,13800000000,DELIVRD,2024-01-01 00:00:00;")
    good = journal(store, "reports", "pull", "2,13800000000,DELIVRD,2024-01-01 00:00:00;")
    real = ingest_module.ingest_rows

    def failing(store_, stream, good_, bad_, journal_id):
        if journal_id == bad:
            raise sqlite3.OperationalError("disk I/O error")
        return real(store_, stream, good_, bad_, journal_id)

    monkeypatch.setattr(ingest_module, "ingest_rows", failing)
    assert replay(store) == 1
    assert f"journal body {bad} could not be ingested" in caplog.text
    unparsed = store.query("SELECT id FROM journal WHERE parsed_at IS NULL")
    assert [r["id"] for r in unparsed] == [bad] and "13800000000" in read_body(store, bad)
    monkeypatch.setattr(ingest_module, "ingest_rows", real)
    assert store.scalar("SELECT journal_id FROM reports") == good
    assert replay(store) == 1 and store.scalar("SELECT count(*) FROM reports") == 2


def test_replies_opt_out_and_dedup(store):
    jid = journal(
        store,
        "replies",
        "pull",
        "0,1,13800000000,TD,2024-01-01 00:00:00|||0,2,13800000000,%E5%A5%BD,2024-01-01 00:00:01",
        "UTF-8",
    )
    ingest_journal(store, jid)
    ingest_journal(store, jid)
    rows = queries.recent_replies(store)
    assert [(r["content"], r["opt_out"]) for r in rows] == [("好", 0), ("TD", 1)]


def test_lock_refuses_second_poller(tmp_path):
    with PollerLock(tmp_path / "c.db"), pytest.raises(LockHeld, match=r"pid \d+"):
        PollerLock(tmp_path / "c.db").acquire()


def _profile(sim) -> Profile:
    a = sim.account
    return Profile("t", a.username, a.password_md5, a.apikey, base_url=sim.base_url)


async def test_engine_pulls_everything_exactly_once(sim, client, store, reports_due):
    sim.platform.scenario.delay_median = 0.05
    for i in range(30):
        await client.send([f"1380000{i:04d}", f"1390000{i:04d}"], f"m{i}【x】")
    sim.platform.add_reply("13800000001", "好的")
    await reports_due(sim)
    engine = Engine(_profile(sim), store, client, consent=True)
    counts = await engine.run_once()
    assert counts["records"] == 60 and counts["reports"] == 60
    assert store.scalar("SELECT count(*) FROM reports") == len(sim.platform.served) == 60
    assert store.scalar("SELECT count(*) FROM replies") == 1
    assert sim.platform.replies[0].consumed
    s = queries.summary(store, 600)
    assert s.sent == 60 and s.delivered + s.failed == 60 and s.pending == 0


def _reply_cursor(store, sim) -> float | None:
    value = store.get_setting(f"{REPLY_CURSOR_KEY}.{sim.account.username}")
    return None if value is None else float(value)


async def test_reply_taken_by_a_killed_run_comes_back_at_the_next_start_once(sim, client, store):
    """A reply consumed without a commit (the process died) is read again by time; one that
    both the pull and the repeatable read return is stored once."""
    sim.platform.add_reply("13800000001", "好的")
    counts = await Engine(_profile(sim), store, client, consent=True).run_once()
    assert counts["reconcile_replies"] == 1 and counts["replies"] == 0  # reconciled first
    assert sim.platform.replies[0].consumed and store.scalar("SELECT count(*) FROM replies") == 1
    taken = sim.platform.add_reply("13800000002", "收到，谢谢")
    sim.platform.pull_replies(10, debug=False)  # the consuming read of a run killed after it
    assert taken.consumed and store.scalar("SELECT count(*) FROM replies") == 1
    started = time.time()
    counts = await Engine(_profile(sim), store, client, consent=True).run_once()
    assert counts == {**counts, "reconcile_replies": 1, "replies": 0}
    rows = store.query("SELECT mobile, content FROM replies ORDER BY id")
    assert [tuple(r.values()) for r in rows] == [
        ("13800000001", "好的"),
        ("13800000002", "收到，谢谢"),
    ]
    assert started - 1 <= _reply_cursor(store, sim) <= time.time()
    assert "reconcile_replies" in {h["job"] for h in queries.health(store)}


async def test_first_reply_pull_of_a_start_waits_for_the_reconcile(sim, client, store):
    """In the running engine too (not only `poll --once`): the replies job reconciles first."""
    taken = sim.platform.add_reply("13800000003", "TD")
    sim.platform.pull_replies(10, debug=False)
    engine = Engine(_profile(sim), store, client, consent=True)
    assert engine.jobs["reconcile_replies"].mode == "pull"
    await engine.run_job("replies")
    assert taken.consumed and store.scalar("SELECT content FROM replies") == "TD"
    assert engine.jobs["reconcile_replies"].last_success is not None
    await engine.run_job("replies")  # later pulls do not reconcile again: the interval does
    assert engine.jobs["reconcile_replies"].items_total == 1
    assert sim.server.requests["reply"] == 1 + 2 * 2  # one window; peek and take, twice


async def test_reply_reconcile_window_starts_at_the_stored_cursor(sim, client, store):
    """Not at the newest reply: from where the last completed reconcile ended, less the overlap;
    an hour back on a fresh cache; a failed window leaves the cursor where it was."""
    now = time.time()
    for minutes, mobile in ((50, "13800000010"), (70, "13800000011")):
        sim.platform.add_reply(mobile, "x", at=now - minutes * 60)
    sim.platform.pull_replies(10, debug=False)  # taken by another process: only a window sees them
    engine = Engine(_profile(sim), store, client, consent=True)
    await engine.run_job("reconcile_replies")
    assert store.scalar("SELECT group_concat(mobile) FROM replies") == "13800000010"
    cursor = _reply_cursor(store, sim)
    assert now <= cursor <= time.time()
    sim.platform.add_reply("13800000012", "y", at=cursor - REPLY_RECONCILE_OVERLAP_S / 2)
    sim.platform.add_reply("13800000013", "z", at=cursor - REPLY_RECONCILE_OVERLAP_S * 2)
    sim.platform.pull_replies(10, debug=False)
    sim.server.faults = {"reply": {"http_5xx": 1.0}}
    await engine.run_job("reconcile_replies")
    assert engine.jobs["reconcile_replies"].failures == 1 and _reply_cursor(store, sim) == cursor
    sim.server.faults = {}
    await engine.run_job("reconcile_replies")
    mobiles = {r["mobile"] for r in store.query("SELECT mobile FROM replies")}
    assert mobiles == {"13800000010", "13800000012"}  # 13 is before the window: already judged


async def test_reply_reconcile_catches_up_a_long_gap_window_by_window(sim, client, store):
    """After a long stop: one-hour windows, the cursor committed after each, at most a day of
    them per run (then the job runs again at once)."""
    now = time.time()
    store.set_setting(f"{REPLY_CURSOR_KEY}.{sim.account.username}", str(now - 30 * 3600))
    sim.platform.add_reply("13800000020", "early", at=now - 29 * 3600)
    sim.platform.add_reply("13800000021", "late", at=now - 60)
    sim.platform.pull_replies(10, debug=False)
    engine = Engine(_profile(sim), store, client, consent=True)
    await engine.run_job("reconcile_replies")
    job = engine.jobs["reconcile_replies"]
    assert job.backlog and sim.server.requests["reply"] == REPLY_RECONCILE_SLICES
    assert store.scalar("SELECT group_concat(content) FROM replies") == "early"
    assert _reply_cursor(store, sim) < now - 5 * 3600
    await engine.run_job("reconcile_replies")
    assert not job.backlog and sim.server.requests["reply"] == 31  # 30 h and the overlap
    assert store.scalar("SELECT count(*) FROM replies") == 2


def test_reply_reconcile_interval_is_configured_like_the_others(tmp_path, store):
    path = tmp_path / "config.toml"
    path.write_text(
        "[profiles.p]\nusername = 'u'\n[profiles.p.intervals]\nreconcile_replies = 120\n"
    )
    profile = load_profile(path, "p", env={})
    assert Engine(profile, store, client=None).jobs["reconcile_replies"].interval == 120
    assert Engine(Profile("q"), store, client=None).jobs["reconcile_replies"].interval == 600
    path.write_text("[profiles.p.intervals]\nreconcile = 1\n")
    with pytest.raises(ConfigError, match=r"intervals\] reconcile: unknown interval"):
        load_profile(path, "p", env={})


async def test_watch_mode_has_no_reply_reconcile(sim, client, store):
    profile = _profile(sim)
    profile.streams = {**profile.streams, "replies": "watch"}
    engine = Engine(profile, store, client, consent=True)
    assert engine.jobs["reconcile_replies"].mode == "off"
    counts = await engine.run_once()
    assert "reconcile_replies" not in counts and _reply_cursor(store, sim) is None


async def test_engine_waits_for_consent(sim, client, store):
    engine = Engine(_profile(sim), store, client)
    await engine.run_once()
    assert engine.jobs["reports"].status == "waiting"
    assert sim.server.requests.get("recv", 0) == 0
    engine.grant_consent()
    assert Engine(_profile(sim), store, client).consent  # remembered in the cache


async def test_faults_back_off_then_catch_up(sim, client, store, reports_due):
    engine = Engine(_profile(sim), store, client, consent=True)
    sim.server.faults = {"recv": {"http_5xx": 1.0}, "query": {"garbage": 1.0}}
    await engine.run_once()
    assert engine.jobs["reports"].failures == 1 and engine.jobs["reports"].backoff_s > 0
    assert "HTTP 5" in engine.jobs["reports"].last_error
    sim.server.faults = {}
    await client.send(["13800138000"], "x【y】")
    await reports_due(sim)
    await engine.run_once()
    assert (
        engine.jobs["reports"].failures == 0 and store.scalar("SELECT count(*) FROM reports") == 1
    )
    health = {h["job"]: h for h in queries.health(store)}
    assert health["reports"]["last_success"] is not None


async def test_push_receiver_token_size_formats_and_forwarding(store, sink):
    sink.fail = 2  # the downstream is down for a while
    target = sink.url
    token = "t" * 24
    receiver = PushReceiver(store, PushConfig(token, max_body=4096, forward={"reports": [target]}))
    await receiver.start()
    base = f"http://127.0.0.1:{receiver.port}/push"
    payloads = [
        "1,13800000000,DELIVRD,1462879547;2,13800000001,UNDELIV,1462879547",
        '{"results":[{"msgid":"3","mobile":"13800000002","status":"DELIVRD","receivetime":"1462879547"}]}',
        '<?xml version="1.0" encoding="utf-8"?><results><item><msgid>4</msgid><mobile>13800000003</mobile><status>NOSEND</status><receivetime>1462880473</receivetime></item></results>',
    ]
    async with httpx.AsyncClient() as h:
        assert (
            await h.post(f"{base}/wrong-token-xxxxxxxxxxx/reports", data={"data": payloads[0]})
        ).status_code == 403
        assert (
            await h.post(f"{base}/{token}/reports", data={"data": "x" * 5000})
        ).status_code == 413
        bomb = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><results><item><msgid>&b;</msgid></item></results>'
        assert (await h.post(f"{base}/{token}/reports", data={"data": bomb})).text == "success"
        for p in payloads:
            assert (await h.post(f"{base}/{token}/reports", data={"data": p})).text == "success"
    assert store.scalar("SELECT count(*) FROM reports") == 4
    assert store.scalar("SELECT count(*) FROM unparsed") == 1  # the bomb, kept raw, not expanded
    forwarder = Forwarder(store)
    for _ in range(6):
        await forwarder.run_once()
        store.conn.execute("UPDATE forward_queue SET next_at = 0")
    # everything, in order, after the target came back
    assert [f["data"] for f in sink.forms] == [bomb, *payloads]
    await forwarder.aclose()
    await receiver.stop()


def test_delivery_by_carrier_prefix(store):
    now = time.time()
    ingest_items(
        store,
        "records",
        [Record("demo", "1", ("13800000000", "13900000000", "447874321404"), "x", at(now - 60))],
    )
    ingest_items(
        store,
        "reports",
        [
            Report("1", "13800000000", "DELIVRD", at(now - 50)),
            Report("1", "13900000000", "MA:0054", at(now - 50)),
        ],
    )
    rows = {
        r["prefix"]: (r["sent"], r["delivered"], r["failed"]) for r in queries.prefixes(store, 3600)
    }
    assert rows == {"138": (1, 1, 0), "139": (1, 0, 1), "intl": (1, 0, 0)}


async def test_a_chunk_taken_that_cannot_be_journaled_is_held_and_stored_first(
    sim, client, store, monkeypatch, reports_due
):
    """The journal write fails after the platform handed a chunk out (a quota, a disk that
    filled after the room check): the body is held, and the next run stores it before it
    takes anything more."""
    engine = Engine(_profile(sim), store, client, consent=True)
    await client.send(["13800138000", "13900139000"], "x【y】")
    await reports_due(sim)
    real = jobs.journal
    failing = {"left": 1}

    def journal_once_full(*args, **kwargs):
        if failing["left"]:
            failing["left"] -= 1
            raise sqlite3.OperationalError("database or disk is full")
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "journal", journal_once_full)
    await engine.run_job("reports")
    assert engine.jobs["reports"].failures == 1 and len(engine.pulls.held) == 1
    assert len(sim.platform.served) == 2 and store.scalar("SELECT count(*) FROM reports") == 0
    pulls = sim.server.requests["recv"]
    await engine.run_job("reports")
    assert engine.jobs["reports"].failures == 0 and not engine.pulls.held
    assert store.scalar("SELECT count(*) FROM reports") == 2
    assert sim.server.requests["recv"] == pulls + 1  # the held chunk first, then "no record"
