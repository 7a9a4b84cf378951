"""Pipelined ingest and the smaller cache: bodies committed before they are parsed on a writer
thread, compressed in the journal and read back, migration 7, raw bodies' own retention."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from oldcache import old_cache, up_to_date

from fivec_tui.api import Record
from fivec_tui.store import Ingestor, Store, ingest_items, ingest_journal, journal, queries, replay
from fivec_tui.store import ingest as ingest_module
from fivec_tui.store.journaling import read_body
from fivec_tui.store.pipeline import IngestFailed
from fivec_tui.store.retention import prune

DAY = 86400.0


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "c.db")
    yield s
    s.close()


def body(*msgids: str, mobile: str = "13800000000", status: str = "DELIVRD") -> str:
    stamp = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return "".join(f"{m},{mobile},{status},{stamp};" for m in msgids)


def pull(ingestor: Ingestor, text: str) -> int:
    jid = ingestor.journal("reports", text)
    ingestor.submit(jid, "reports", text)
    return jid


def test_bodies_are_stored_in_order_and_counted(store):
    ingestor = Ingestor(store)
    try:
        jids = [pull(ingestor, body(*(f"{c}{i}" for i in range(50)))) for c in "123"]
        pull(ingestor, "no record")
        counts = ingestor.drain()
    finally:
        ingestor.close()
    assert counts == {"new": 150, "items": 150, "unparsed": 0}
    assert store.scalar("SELECT count(*) FROM journal WHERE parsed_at IS NULL") == 0
    first = store.query("SELECT journal_id, min(id) AS id FROM reports GROUP BY 1 ORDER BY 2")
    assert [r["journal_id"] for r in first] == jids  # rows landed in the order pulled


def test_a_body_that_fails_never_blocks_the_next(store, monkeypatch, caplog):
    ingestor = Ingestor(store)
    real = ingest_module.ingest_rows
    bad = []

    def failing(store_, stream, good, unread, journal_id):
        if journal_id in bad:
            raise sqlite3.OperationalError("disk I/O error")
        return real(store_, stream, good, unread, journal_id)

    monkeypatch.setattr(ingest_module, "ingest_rows", failing)
    try:
        bad.append(ingestor.journal("reports", body("1")))
        ingestor.submit(bad[0], "reports", body("1"))
        good = pull(ingestor, body("2"))
        with pytest.raises(IngestFailed, match=rf"ids {bad[0]}\b") as failed:
            ingestor.drain()
        assert failed.value.counts["new"] == 1
        assert ingestor.drain() == {"new": 0, "items": 0, "unparsed": 0}  # reported once
    finally:
        ingestor.close()
    assert f"journal body {bad[0]} could not be ingested" in caplog.text
    assert store.scalar("SELECT journal_id FROM reports") == good
    monkeypatch.setattr(ingest_module, "ingest_rows", real)
    assert replay(store) == 1  # kept unparsed, ingested at the next start
    assert (
        store.scalar("SELECT group_concat(msgid) FROM (SELECT msgid FROM reports ORDER BY 1)")
        == "1,2"
    )


CRASH = """
import os, sys
from fivec_tui.store import Ingestor, Store, journaling

def die(*args):
    os._exit(9)  # SIGKILL-like: no cleanup, mid-parse

store = Store(sys.argv[1])
ingestor = Ingestor(store)
journaling.ingest_body = die
import fivec_tui.store.pipeline as pipeline
pipeline.ingest_body = die
jid = ingestor.journal("reports", sys.argv[2])
print(jid, flush=True)
ingestor.submit(jid, "reports", sys.argv[2])
ingestor.drain()
"""


def test_a_crash_between_journal_commit_and_parse_is_replayed(tmp_path):
    text = body("7", "8")
    done = subprocess.run(
        [sys.executable, "-c", CRASH, str(tmp_path / "c.db"), text],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 9 and done.stdout.strip().isdigit(), done.stderr
    store = Store(tmp_path / "c.db")
    assert store.integrity_ok()
    assert store.scalar("SELECT count(*) FROM reports") == 0
    assert store.scalar("SELECT id FROM journal WHERE parsed_at IS NULL") == int(done.stdout)
    assert replay(store) == 1 and replay(store) == 0
    assert store.scalar("SELECT count(*) FROM reports") == 2


def test_records_ingested_while_reports_are_parsed_count_each_report_once(store):
    """The records job writes on its own connection while the writer thread stores reports:
    whichever lands second counts, in any interleaving."""
    now = time.time()
    msgids = [str(10**13 + i) for i in range(400)]
    records = [
        Record("u", m, ("13800000000",), "x", datetime.fromtimestamp(now - 5, UTC)) for m in msgids
    ]
    ingestor = Ingestor(store)
    try:
        for i in range(0, 400, 50):
            pull(ingestor, body(*msgids[i : i + 50], status="DELIVRD" if i % 100 else "UNDELIV"))
            ingest_items(store, "records", records[i + 25 : i + 75])  # half before, half after
        ingest_items(store, "records", records[:25])
        ingestor.drain()
    finally:
        ingestor.close()
    s = queries.summary(store, 3600)
    assert (s.sent, s.delivered + s.failed, s.pending) == (400, 400, 0)
    assert (s.delivered, s.failed) == (200, 200)
    assert store.scalar("SELECT count(*) FROM reports WHERE record_id = 0") == 0
    assert store.scalar("SELECT sum(n) FROM latency") == 400


def test_bodies_are_compressed_and_read_back(store):
    text = "0,1,13800000000,%E5%A5%BD,2024-01-01 00:00:00|||" * 40 + "好的，收到"
    jid = journal(store, "replies", "pull", text, "UTF-8")
    row = store.query("SELECT typeof(body) AS kind, length(body) AS n, size FROM journal")[0]
    assert row["kind"] == "blob" and row["n"] < row["size"] == len(text.encode())
    assert read_body(store, jid) == text
    small = journal(store, "reports", "pull", "no record")  # not smaller compressed: text
    assert store.scalar("SELECT body FROM journal WHERE id = ?", (small,)) == "no record"
    assert read_body(store, small) == "no record"
    assert ingest_journal(store, jid)["items"] == 41


def test_migration_7_keeps_old_text_bodies_readable(tmp_path):
    conn = old_cache(tmp_path / "old.db", 6)
    old = body("1")
    conn.execute(
        "INSERT INTO journal(stream, source, received_at, body) VALUES ('reports', 'pull', ?, ?)",
        (time.time(), old),
    )
    conn.close()
    store = Store(tmp_path / "old.db")
    assert up_to_date(store)
    assert store.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'reports_uncounted'") == 0
    assert read_body(store, 1) == old
    assert replay(store) == 1 and store.scalar("SELECT msgid FROM reports") == "1"
    new = journal(store, "reports", "pull", body(*map(str, range(2, 60))))
    assert store.scalar("SELECT typeof(body) FROM journal WHERE id = ?", (new,)) == "blob"
    assert store.integrity_ok()


def test_parsed_raw_bodies_have_their_own_shorter_retention(store, monkeypatch):
    ten_days_ago = time.time() - 10 * DAY
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: ten_days_ago)
        parsed = journal(store, "reports", "pull", body("1"))
        ingest_journal(store, parsed)
        partly = journal(store, "reports", "pull", body("2") + "junk;")
        ingest_journal(store, partly)
        never = journal(store, "reports", "pull", body("3"))
    counts = prune(store, 30, keep_raw_days=7)
    assert counts["journal"] == 1
    kept = [r["id"] for r in store.query("SELECT id FROM journal ORDER BY id")]
    assert kept == [partly, never]  # unparsed items: kept as long as the rows; never parsed: kept
    assert store.scalar("SELECT count(*) FROM reports") == 2  # the rows stay
    assert prune(store, 30)["journal"] == 0  # by default, as long as the rows
