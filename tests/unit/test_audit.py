"""The audit trail (store/audit.py, store/auditor.py) and the duplicate guard's memory
(store/duplicates.py): entries, the hash chain and what breaks it, retention, masking, who
acts, and the window's edge on a frozen clock."""

from __future__ import annotations

import json
import time

import pytest

from fivec_tui.api import Record
from fivec_tui.store import Store, ingest_items
from fivec_tui.store import audit as trail
from fivec_tui.store.auditor import Auditor, ReadOnly
from fivec_tui.store.duplicates import earlier_sends, text_key
from fivec_tui.store.retention import prune
from fivec_tui.sync.bulk.prepare import create, prepare
from fivec_tui.sync.bulk.source import read_table
from fivec_tui.sync.bulk.validate import validate

DAY = 86400.0
APIKEY = "a" * 8 + "b" * 24
MD5 = "e10adc3949ba59abbe56e057f20f883e"
ALICE = trail.Actor("cli", "fivec", "", "alice", "10.0.0.5", "jump1")


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "c.db")
    yield s
    s.close()


def auditor(store, **kw) -> Auditor:
    return Auditor(store, ALICE, "prod", "acme", secrets=(APIKEY, MD5), **kw)


def tamper(store, sql: str, params=()) -> None:
    """What someone with the sqlite3 shell can do: the triggers first, then the rows."""
    store.conn.execute("DROP TRIGGER IF EXISTS audit_no_update")
    store.conn.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    store.conn.execute(sql, params)


def three_sends(store) -> Auditor:
    a = auditor(store)
    for i in range(3):
        p = a.begin("send", mobiles=[f"1380013800{i}"], text=f"text {i}【x】")
        a.finish(p, "accepted", msgid=f"1000{i}")
    return a


def test_an_action_is_a_pending_entry_then_its_outcome_every_field_kept(store):
    a = auditor(store)
    pending = a.begin(
        "template",
        mobiles=["13900139000", "13800138000"],
        template="10001",
        variables={"{code}": "1234"},
        args={"encode": "UTF-8", "start_time": "2026-11-25T10:00:00+00:00"},
    )
    first = store.query("SELECT * FROM audit")[0]
    assert first["outcome"] == "pending" and first["ref"] is None
    assert (first["user"], first["sudo_user"], first["ssh"], first["host"], first["path"]) == (
        "fivec",
        "alice",
        "10.0.0.5",
        "jump1",
        "cli",
    )
    assert (first["profile"], first["account"], first["numbers"]) == ("prod", "acme", 2)
    assert first["mobiles"] == "13900139000,13800138000"
    assert first["numbers_sha256"] == trail.numbers_hash(["13800138000", "13900139000"])
    assert json.loads(first["variables"]) == {"{code}": "1234"}
    assert json.loads(first["args"])["start_time"].startswith("2026-11-25")
    a.finish(pending, "accepted", msgid="32559889527596")
    (action,) = trail.actions(store)
    assert (action["outcome"], action["msgid"], action["done_id"]) == (
        "accepted",
        "32559889527596",
        2,
    )
    assert store.scalar("SELECT ref FROM audit WHERE id = 2") == 1
    assert trail.verify(store).ok


def test_a_bulk_request_keeps_the_count_and_hash_not_the_numbers(store):
    a = auditor(store)
    a.begin("bulk", mobiles=["13800138000", "13800138001"], listed=False, text="hi【x】")
    row = store.query("SELECT numbers, numbers_sha256, mobiles FROM audit")[0]
    assert row == {
        "numbers": 2,
        "numbers_sha256": trail.numbers_hash(["13800138001", "13800138000"]),
        "mobiles": "",
    }


def test_no_secret_is_ever_written(store):
    a = auditor(store)
    new_password = "Sub-Secret-77"
    p = a.begin(
        "subaccount_create",
        args={"child": "c1", "note": f"key={APIKEY}"},
        text=f"md5 {MD5}",
        secrets=[new_password],
    )
    echoed = f"password={new_password}&apikey={APIKEY} https://bot:pw123456@h.example.com/x"
    a.finish(p, "failed", detail=f"error:{echoed}")
    dump = json.dumps(store.query("SELECT * FROM audit"), ensure_ascii=False)
    for secret in (APIKEY, MD5, new_password, "pw123456"):
        assert secret not in dump
    assert "***" in dump


def test_who_acts_is_read_from_the_process(monkeypatch):
    monkeypatch.setenv("LOGNAME", "fivec")
    env = {"SSH_CONNECTION": "192.0.2.7 50022 10.0.0.1 22", "SUDO_USER": "alice"}
    actor = trail.Actor.here("tui", env)
    assert (actor.user, actor.sudo_user, actor.ssh, actor.path) == (
        "fivec",
        "alice",
        "192.0.2.7",
        "tui",
    )
    assert actor.uid_user != "fivec" and actor.host  # this process's uid has another name
    assert trail.Actor.here("cli", {"SSH_CLIENT": "198.51.100.1 4000 22"}).ssh == "198.51.100.1"
    assert (
        trail.who({"user": "fivec", "uid_user": "", "sudo_user": "alice"}) == "fivec (sudo alice)"
    )


def test_read_only_refuses_before_anything_is_written(store):
    with pytest.raises(ReadOnly, match=r"--read-only"):
        auditor(store, read_only="--read-only").begin("send", mobiles=["13800138000"])
    assert store.scalar("SELECT count(*) FROM audit") == 0


def test_the_triggers_refuse_an_update_and_a_delete(store):
    three_sends(store)
    for sql in ("UPDATE audit SET text = 'x' WHERE id = 1", "DELETE FROM audit WHERE id = 1"):
        with pytest.raises(Exception, match="audit entries"):
            store.conn.execute(sql)
    assert trail.verify(store).ok


def test_verify_names_an_edited_entry(store):
    three_sends(store)
    tamper(store, "UPDATE audit SET text = 'something else' WHERE id = 3")
    v = trail.verify(store)
    assert (v.ok, v.broken) == (False, 3) and "changed" in v.problem


def test_verify_names_the_entry_after_a_deleted_one(store):
    three_sends(store)
    tamper(store, "DELETE FROM audit WHERE id = 3")
    v = trail.verify(store)
    assert (v.ok, v.broken) == (False, 4) and "does not follow entry 2" in v.problem


def test_verify_names_reordered_entries(store):
    three_sends(store)
    tamper(store, "UPDATE audit SET id = 100 WHERE id = 3")
    tamper(store, "UPDATE audit SET id = 3 WHERE id = 5")
    tamper(store, "UPDATE audit SET id = 5 WHERE id = 100")
    v = trail.verify(store)
    assert (v.ok, v.broken) == (False, 3) and "does not follow entry 2" in v.problem


def test_verify_names_a_cut_tail_and_a_cut_start(store):
    three_sends(store)
    tamper(store, "DELETE FROM audit WHERE id = 6")
    v = trail.verify(store)
    assert not v.ok and "entry 6 was the last written" in v.problem
    auditor(store).begin("send", mobiles=["13800138000"])  # follows 6, not the last row
    assert "does not follow entry 5" in trail.verify(store).problem
    other = Store(store.path.with_name("other.db"))
    three_sends(other)
    tamper(other, "DELETE FROM audit WHERE id < 3")
    v = trail.verify(other)
    assert (v.ok, v.broken) == (False, 3) and "no prune removed them" in v.problem


def test_an_intact_trail_verifies_and_an_empty_one_too(store):
    assert trail.verify(store).ok and trail.verify(store).entries == 0
    three_sends(store)
    v = trail.verify(store)
    assert (v.ok, v.entries, v.first, v.last) == (True, 6, 1, 6)


def written_at(store, at: float, n: int = 1, keep_days: int = 0) -> None:
    """``n`` actions (two entries each) written as if at ``at``."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(trail.time, "time", lambda: at)
        a = auditor(store, keep_days=keep_days)
        for _ in range(n):
            a.finish(a.begin("send", mobiles=["13800138000"], text="hi【x】"), "accepted")


def test_retention_keeps_the_trail_four_times_as_long_and_says_what_it_pruned(store):
    now = time.time()
    written_at(store, now - 121 * DAY)
    written_at(store, now - 119 * DAY, 2)
    counts = prune(store, 30)  # the rows go after 30 days; the trail after 120
    assert counts["audit"] == 2
    assert [r["id"] for r in store.query("SELECT id FROM audit ORDER BY id")] == [3, 4, 5, 6, 7]
    assert trail.verify(store).ok
    (pruned,) = trail.actions(store, action="prune")
    assert json.loads(pruned["args"])["removed"] == 2 and pruned["outcome"] == "ok"
    assert prune(store, 30)["audit"] == 0
    with pytest.raises(Exception, match="removed by retention only"):  # the gate is closed again
        store.conn.execute("DELETE FROM audit")


def test_audit_retention_days_lengthens_the_trail_never_shortens_it(store):
    written_at(store, time.time() - 200 * DAY, keep_days=400)
    written_at(store, time.time() - 200 * DAY, keep_days=10)
    assert store.get_setting(trail.KEEP_KEY) == "400"
    assert prune(store, 30)["audit"] == 0  # 200 days: past 4 x 30, within 400
    assert prune(Store(store.path), 60)["audit"] == 0


# -- the duplicate guard's memory ------------------------------------------------------------
NOW = 1_800_000_000.0
WINDOW = 600.0


def sent_at(store, at: float, mobile="13800138000", text="验证码1234【x】", outcome="accepted"):
    a = auditor(store)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(trail.time, "time", lambda: at)
        p = a.begin("send", mobiles=[mobile], text=text)
        a.finish(p, outcome, msgid="32559889527596" if outcome == "accepted" else "")


def asked(store, mobile="13800138000", text="验证码1234【x】", now=NOW):
    return earlier_sends(store, [(mobile, text_key(text))], WINDOW, now)


def test_the_window_edge_is_a_duplicate_one_second_past_it_is_not(store):
    sent_at(store, NOW - WINDOW)
    (earlier,) = asked(store).values()
    assert (earlier.at, earlier.msgid, earlier.source) == (NOW - WINDOW, "32559889527596", "audit")
    assert "fivec (sudo alice) via cli" in earlier.told()
    assert asked(store, now=NOW + 1) == {}


def test_another_text_or_number_is_not_a_duplicate_nor_is_a_failed_send(store):
    sent_at(store, NOW - 10)
    assert asked(store, text="验证码9999【x】") == {}
    assert asked(store, mobile="13900139000") == {}
    assert asked(store, text="  验证码1234【x】 ")  # outer spaces are not another text
    sent_at(store, NOW - 5, mobile="13700137000", outcome="failed")
    assert asked(store, mobile="13700137000") == {}
    sent_at(store, NOW - 5, mobile="13600136000", outcome="unknown")  # may have gone out
    assert asked(store, mobile="13600136000")
    assert earlier_sends(store, [("13800138000", text_key("验证码1234【x】"))], 0, NOW) == {}


def test_the_send_records_catch_what_another_system_sent(store):
    record = Record("acme", "10623347355876", ("13800138000",), "验证码1234【x】", None)
    ingest_items(store, "records", [record])
    store.conn.execute("UPDATE records SET sent_at = ?", (NOW - 30,))
    (earlier,) = asked(store).values()
    assert (earlier.source, earlier.msgid) == ("records", "10623347355876")
    sent_at(store, NOW - 60)  # the trail's own entry is preferred: it says who
    assert next(iter(asked(store).values())).source == "audit"


def test_a_template_is_the_same_text_with_the_same_variables(store):
    a = auditor(store)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(trail.time, "time", lambda: NOW - 1)
        a.begin(
            "template",
            mobiles=["13800138000"],
            template="10001",
            variables={"{a}": "1", "{b}": "2"},
        )
    same = text_key(template="10001", variables={"{b}": "2", "{a}": "1"})
    other = text_key(template="10001", variables={"{a}": "9", "{b}": "2"})
    assert earlier_sends(store, [("13800138000", same)], WINDOW, NOW)
    assert not earlier_sends(store, [("13800138000", other)], WINDOW, NOW)


def test_bulk_rows_sent_recently_are_rejected_and_a_campaign_is_known_by_its_content(
    tmp_path, store
):
    rows = ["mobile,name", "13800138000,张三", "13900139000,李四"]
    first = tmp_path / "a.csv"
    first.write_text("\n".join(rows), encoding="utf-8")
    content = "{name}您好【公司】"
    cid = create(store, prepare(first, encode="UTF-8", content=content))
    from fivec_tui.store import campaigns as journal

    request = journal.next_planned(store, cid)
    journal.mark_sending(store, request.id)
    journal.record_answer(store, request.id, "accepted", "10623347355876")
    recent = lambda pairs: earlier_sends(store, pairs, WINDOW)  # noqa: E731
    again = validate(read_table(first), encode="UTF-8", content=content, recent=recent)
    assert [r.reason for r in again.rejects] == ["recent", "recent"] and not again.valid
    assert "msgid 10623347355876" in again.rejects[0].detail
    # Re-saved by Excel: GBK, CRLF, +86, another order: the same campaign.
    copy = tmp_path / "b.csv"
    copy.write_bytes("\r\n".join([rows[0], "+86 139 0013 9000,李四", rows[1]]).encode("gbk"))
    assert validate(read_table(copy), encode="UTF-8", content=content).content_sha1 == (
        again.content_sha1
    )
    notice = validate(read_table(copy), encode="UTF-8", content="系统维护通知【公司】")
    assert notice.content_sha1 != again.content_sha1 and len(notice.valid) == 2
    assert journal.made_from(store, again.content_sha1)["id"] == cid
    assert journal.made_from(store, notice.content_sha1) is None
