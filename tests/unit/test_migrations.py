"""The cache's migrations (sqlite-utils' ``Migrations``): a new cache and caches left at every
older version reach the same schema, none runs twice, and one that fails changes nothing."""

from __future__ import annotations

import functools
import sqlite3
import threading

import pytest
from oldcache import LAST_COUNTED, old_cache, up_to_date

from fivec_tui.store import Store
from fivec_tui.store import migrations as migrations_module
from fivec_tui.store.integrity import CacheBroken
from fivec_tui.store.migrations import STEPS

NAMES = [step.__name__ for step in STEPS]


def schema(path) -> list[tuple]:
    """``sqlite_master`` but for sqlite-utils' own table (and its index)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE tbl_name != '_sqlite_migrations' ORDER BY type, name"
        ).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    path = tmp_path_factory.mktemp("fresh") / "c.db"
    Store(path).close()
    return schema(path)


@pytest.fixture
def counted(monkeypatch):
    """Each migration's runs, by name."""
    runs: list[str] = []

    def counting(step):
        @functools.wraps(step)
        def run(db):
            runs.append(step.__name__)
            step(db)

        return run

    monkeypatch.setattr(migrations_module, "STEPS", [counting(s) for s in STEPS])
    return runs


def test_the_names_keep_their_numbers_in_order():
    assert sorted(NAMES) == NAMES and len(set(NAMES)) == len(NAMES)
    assert [int(name[1:4]) for name in NAMES] == list(range(1, len(NAMES) + 1))
    assert all(step.__doc__.startswith(f"{n}: ") for n, step in enumerate(STEPS, start=1))


@pytest.mark.parametrize("version", range(LAST_COUNTED + 1))
def test_a_cache_at_every_older_version_reaches_the_new_schema(tmp_path, fresh, counted, version):
    old_cache(tmp_path / "c.db", version).close()
    store = Store(tmp_path / "c.db")
    assert counted == NAMES[version:]  # the first `version` are not run again
    assert up_to_date(store)
    store.close()
    assert schema(tmp_path / "c.db") == fresh
    Store(tmp_path / "c.db").close()
    assert counted == NAMES[version:]  # and nothing at the next open


def test_rows_of_an_old_cache_stay(tmp_path):
    conn = old_cache(tmp_path / "c.db", 12)
    conn.execute("INSERT INTO settings(key, value) VALUES ('a', 'b')")
    conn.execute(
        "INSERT INTO audit(at, action, outcome, prev, hash) VALUES (1, 'send', 'ok', '', 'h')"
    )
    conn.close()
    store = Store(tmp_path / "c.db")
    assert store.get_setting("a") == "b"
    with pytest.raises(sqlite3.IntegrityError, match="never changed"):  # its trigger kept whole
        store.conn.execute("UPDATE audit SET outcome = 'no'")
    store.close()


def test_a_migration_that_raises_midway_leaves_the_cache_as_it_was(tmp_path, monkeypatch):
    conn = old_cache(tmp_path / "c.db", 12)
    conn.execute("INSERT INTO settings(key, value) VALUES ('a', 'b')")
    conn.close()
    before = schema(tmp_path / "c.db")

    def m016_half_done(db):
        """16: changes something, then fails."""
        db["half"].create({"id": int}, pk="id")
        db.execute("UPDATE settings SET value = 'changed'")
        raise ValueError("no room for it")

    monkeypatch.setattr(migrations_module, "STEPS", [*STEPS, m016_half_done])
    with pytest.raises(CacheBroken) as caught:
        Store(tmp_path / "c.db")
    said = str(caught.value)
    assert "\n" not in said and "cannot be used" in said
    assert "migration m016_half_done failed: no room for it" in said
    assert str(tmp_path / "c.db") in said and not caught.value.problem.damaged
    assert schema(tmp_path / "c.db") == before  # none of 13 to 16: as it was
    conn = sqlite3.connect(tmp_path / "c.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 12
    assert conn.execute("SELECT value FROM settings").fetchone()[0] == "b"
    assert not conn.execute(
        "SELECT 1 FROM sqlite_master WHERE name = '_sqlite_migrations'"
    ).fetchall()
    conn.close()
    monkeypatch.setattr(migrations_module, "STEPS", STEPS)  # the fix ships: it upgrades
    store = Store(tmp_path / "c.db")
    assert up_to_date(store) and store.get_setting("a") == "b"
    store.close()


def test_processes_opening_one_old_cache_at_once_upgrade_it_once(tmp_path, counted):
    old_cache(tmp_path / "c.db", 9).close()
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_it() -> None:
        start.wait()
        try:
            Store(tmp_path / "c.db").close()
        except BaseException as exc:  # said below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert counted == NAMES[9:]
    store = Store(tmp_path / "c.db")
    assert up_to_date(store)
    store.close()


def test_a_deferred_migration_runs_at_the_first_use(tmp_path, counted):
    """The TUI opens its cache before its first frame and migrates it after."""
    old_cache(tmp_path / "c.db", 11).close()
    store = Store(tmp_path / "c.db", defer_migration=True)
    assert counted == []
    assert store.scalar("SELECT count(*) FROM job_health") == 0  # made by 13, at this read
    assert counted == NAMES[11:] and up_to_date(store)
    store.migrate()  # already done: nothing
    assert counted == NAMES[11:]
    store.close()


def test_a_deferred_migration_that_fails_says_its_line_at_the_first_use(tmp_path, monkeypatch):
    def m016_refused(db):
        """16: fails."""
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(migrations_module, "STEPS", [*STEPS, m016_refused])
    store = Store(tmp_path / "c.db", defer_migration=True)
    for use in (lambda: store.query("SELECT 1"), store.migrate, lambda: store.conn):
        with pytest.raises(CacheBroken, match=r"migration m016_refused failed: disk I/O error"):
            use()
    store.close()
    assert schema(tmp_path / "c.db") == []  # nothing of 1-16: as it was, empty
