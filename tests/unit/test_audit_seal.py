"""The audit trail sealed with a key kept outside the cache, and anchored there: what someone
who can write the cache (and not read the key) tries, and what ``verify`` then says."""

from __future__ import annotations

import json
import os
import stat

import pytest
from clirun import empty_config, run

from fivec_tui.store import Store, audit_keys
from fivec_tui.store import audit as trail
from fivec_tui.store import seal as seal_module
from fivec_tui.store.audit_verify import verify
from fivec_tui.store.auditor import Auditor
from fivec_tui.store.seal import Seal

WHO = trail.Actor("cli", "fivec", "", "alice", "10.0.0.5", "jump1")


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "c.db")
    yield s
    s.close()


def sends(store, n: int = 4) -> None:
    a = Auditor(store, WHO, "prod", "acme")
    for i in range(n):
        a.finish(a.begin("send", mobiles=[f"1380013800{i}"], text=f"text {i}【x】"), "accepted")


def sql(store, *statements: str) -> None:
    """What anyone with the sqlite3 shell on the cache can do."""
    store.conn.execute("DROP TRIGGER IF EXISTS audit_no_update")
    store.conn.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    for statement in statements:
        store.conn.execute(statement)


def set_head_to_last_row(store) -> None:
    sql(
        store,
        "UPDATE settings SET value = (SELECT id || ':' || hash FROM audit ORDER BY id DESC "
        "LIMIT 1) WHERE key = 'audit.head'",
    )


def rechain_without_the_key(store, start: int, end: int = 2**62) -> None:
    """Entries ``start`` to ``end`` chained again with the tool's own plain hash, the head
    made to match."""
    rows = store.query("SELECT * FROM audit WHERE id BETWEEN ? AND ? ORDER BY id", (start, end))
    prev = store.scalar("SELECT hash FROM audit WHERE id = ?", (start - 1,)) or trail.GENESIS
    for row in rows:
        digest = trail.entry_hash(row["id"], row, prev)
        sql(store, f"UPDATE audit SET prev = '{prev}', hash = '{digest}' WHERE id = {row['id']}")
        prev = digest
    set_head_to_last_row(store)


def test_the_key_is_private_outside_the_cache_and_in_no_row(store, state_dir):
    sends(store)
    seal = Seal(store.path)
    key = seal.key()
    assert key is not None and seal.key_path.is_relative_to(state_dir)
    assert stat.S_IMODE(os.stat(seal.key_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(seal.key_path.parent).st_mode) == 0o700
    assert key.hex().encode() not in store.path.read_bytes()
    v = verify(store)
    assert v.ok and v.entries == 8 and (v.sealed, v.anchored) == (1, True)
    assert seal.anchor().id == 8


def test_a_cut_tail_with_the_head_rewritten_is_found(store):
    sends(store)
    sql(
        store,
        "INSERT INTO settings VALUES ('audit.pruning', '1')",
        "DELETE FROM audit WHERE id >= 7",
        "DELETE FROM settings WHERE key = 'audit.pruning'",
    )
    set_head_to_last_row(store)
    v = verify(store)
    assert not v.ok and "entry 8 was written (anchored outside the cache)" in v.problem


def test_entries_rewritten_and_chained_again_without_the_key_are_found(store):
    sends(store)
    sql(store, "UPDATE audit SET text = 'nothing to see' WHERE id = 3")
    rechain_without_the_key(store, 3)
    v = verify(store)
    assert (v.ok, v.broken) == (False, 3) and "chained again without the key" in v.problem


def test_a_deleted_trail_is_found_and_stays_found_after_new_entries(store):
    sends(store)
    sql(store, "DELETE FROM audit", "DELETE FROM settings WHERE key LIKE 'audit.%'")
    v = verify(store)
    assert not v.ok and "the trail is empty but entry 8 was written" in v.problem
    sends(store, 1)  # the next action: a new trail, its ids after the lost ones
    assert [r["id"] for r in store.query("SELECT id FROM audit")] == [9, 10]
    v = verify(store)
    assert not v.ok and "entry 8 (anchored outside the cache) was missing" in v.problem


def test_entries_from_before_the_key_verify_as_they_did(store, monkeypatch):
    with monkeypatch.context() as m:  # an earlier version: no seal, plain SHA-256
        m.setattr(trail.Seal, "of", classmethod(lambda cls, conn: None))
        sends(store, 2)
        assert verify(store).ok and Seal(store.path).key() is None
    sends(store, 2)
    v = verify(store)
    assert v.ok and v.entries == 8 and v.sealed == 5
    assert store.get_setting(trail.KEYED_KEY) == "5"
    # an old entry rewritten and the old part chained again: the first sealed entry objects
    sql(store, "UPDATE audit SET text = 'rewritten' WHERE id = 2")
    rechain_without_the_key(store, 2, 4)
    sql(store, "UPDATE settings SET value = '99' WHERE key = 'audit.keyed_from'")  # ignored
    v = verify(store)
    assert (v.ok, v.broken) == (False, 5) and "does not follow entry 4" in v.problem


def test_without_the_key_a_sealed_trail_cannot_be_checked(store, monkeypatch):
    sends(store, 1)
    seal = Seal(store.path)
    seal.key_path.rename(seal.key_path.with_name("key.away"))
    monkeypatch.setattr(seal_module, "_KEYS", {})  # another process, which never read it
    v = verify(store)
    assert not v.ok and "a key this machine does not have" in v.problem


def test_audit_verify_exits_1_naming_what_is_wrong(store, tmp_path):
    sends(store)
    sql(store, "DELETE FROM audit", "DELETE FROM settings WHERE key LIKE 'audit.%'")
    env = {"FIVEC_CONFIG": empty_config(tmp_path / "none.toml"), "FIVEC_DB": str(store.path)}
    code, out, _err = run(env, "audit", "--verify")
    assert code == 1 and "BROKEN" in out and "entry 8 was written" in out


def forget_keys(monkeypatch) -> None:
    """Another process, which never read the key."""
    monkeypatch.setattr(seal_module, "_KEYS", {})


def test_a_lost_key_made_again_is_said_not_blamed_as_tampering(store, monkeypatch):
    """The key file deleted: the next action makes a new key.  The entries sealed with the
    old one cannot be checked (said so, naming them); the new ones verify, and a change to
    one of them is still found."""
    sends(store, 2)
    seal = Seal(store.path)
    seal.key_path.unlink()
    forget_keys(monkeypatch)
    sends(store, 1)
    v = verify(store)
    assert v.broken is None and not v.ok and v.key_at_hand
    assert (v.unchecked, v.unchecked_from, v.unchecked_to) == (4, 1, 4)
    assert "entries 1 to 4 were sealed with another audit key" in v.problem
    sql(store, "UPDATE audit SET text = 'rewritten' WHERE id = 5")
    v = verify(store)
    assert v.broken == 5 and "was changed" in v.problem


def test_a_cache_copied_to_another_machine_is_checked_where_its_key_is(
    store, monkeypatch, tmp_path
):
    sends(store, 2)
    home = os.environ["XDG_STATE_HOME"]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "other-machine"))
    forget_keys(monkeypatch)
    v = verify(store)  # nothing written there yet: no key at all
    assert (v.broken, v.key_at_hand, v.unchecked_to) == (None, False, 4)
    assert "a key this machine does not have" in v.problem
    sends(store, 1)  # the first action there makes its key
    v = verify(store)
    assert (v.broken, v.unchecked_from, v.unchecked_to, v.entries) == (None, 1, 4, 6)
    monkeypatch.setenv("XDG_STATE_HOME", home)  # back home: the old key checks 1 to 4
    forget_keys(monkeypatch)
    v = verify(store)
    assert (v.broken, v.unchecked_from, v.unchecked_to) == (None, 5, 6)


def test_a_trail_sealed_before_key_ids_were_recorded_keeps_verifying(store, monkeypatch):
    sends(store, 2)
    sql(store, "DELETE FROM settings WHERE key = 'audit.keys'")  # as an earlier version left it
    sends(store, 1)
    assert verify(store).ok
    assert (
        store.get_setting("audit.keys") == f'[[1, "{audit_keys.key_id(Seal(store.path).key())}"]]'
    )
    sql(store, "DELETE FROM settings WHERE key = 'audit.keys'")
    Seal(store.path).key_path.unlink()  # and its key lost since
    forget_keys(monkeypatch)
    sends(store, 1)
    v = verify(store)
    assert (v.broken, v.unchecked_from, v.unchecked_to) == (None, 1, 6)


def test_audit_verify_exits_3_naming_the_entries_a_lost_key_sealed(store, tmp_path, monkeypatch):
    sends(store, 2)
    Seal(store.path).key_path.unlink()
    forget_keys(monkeypatch)
    sends(store, 1)
    env = {"FIVEC_CONFIG": empty_config(tmp_path / "none.toml"), "FIVEC_DB": str(store.path)}
    code, out, _err = run(env, "audit", "--verify")
    assert code == 3 and "BROKEN" not in out and "entries 1 to 4" in out and "key" in out
    code, out, _err = run(env, "audit", "--verify", "--json")
    doc = json.loads(out)
    assert code == 3 and doc["ok"] is False and doc["broken"] is None and doc["unchecked"] == 4
