"""A damaged cache: never pulled into, said in one line, found by doctor, rebuilt by --fix.

Reports are taken from the platform destructively: a poll that pulls into a cache it cannot
store them in loses them for good.  So the simulator's count of report chunks handed out is
the measure of "nothing destructive happened".
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from clirun import empty_config
from clirun import run as run_cli

from fivec_tui.private_files import cache_files
from fivec_tui.sim import Simulator
from fivec_tui.sim.scenario import load
from fivec_tui.store import Store
from fivec_tui.store.integrity import cache_problem

SIGNED = "验证码 1234【公司】"


class World:
    """A simulator in a thread of its own (its reports due at once, 50 to a chunk) and the
    environment of a ``fivec-tui`` process on its account, the cache in ``tmp``."""

    def __init__(self, tmp: Path) -> None:
        scenario = load("quiet")
        scenario.delay_median, scenario.never_report, scenario.chunk = 0.001, 0.0, 50
        self.sim = Simulator(scenario, seed=5, traffic=False)
        self.loop = asyncio.new_event_loop()
        self.db = tmp / "c.db"
        self.sent = 0
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.sim.start())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        assert ready.wait(10)
        (tmp / "config.toml").write_text("")
        a = self.sim.account
        self.env = {
            **os.environ,
            "FIVEC_CONFIG": str(tmp / "config.toml"),
            "FIVEC_DB": str(self.db),
            "FIVEC_BASE_URL": self.sim.base_url,
            "FIVEC_USERNAME": a.username,
            "FIVEC_PASSWORD_MD5": a.password_md5,
            "FIVEC_APIKEY": a.apikey,
            "XDG_STATE_HOME": str(tmp / "state"),
            "XDG_DATA_HOME": str(tmp / "data"),
            "XDG_CONFIG_HOME": str(tmp / "xdg-config"),
        }

    def on_loop(self, fn: Callable[[], object]) -> object:
        """``fn()`` run in the simulator's thread, between its requests."""

        async def call() -> object:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(10)

    def send(self, n: int) -> None:
        """``n`` messages to two numbers each; returns once every report is waiting."""
        p = self.sim.platform

        def submit() -> None:
            for i in range(self.sent, self.sent + n):
                p.submit(p.main, [f"138{i:08d}", f"139{i:08d}"], SIGNED, background=True)

        self.on_loop(submit)
        self.sent += n
        wait_for(lambda: self.on_loop(lambda: p.release_due() or p.pending_reports) == 0)

    @property
    def chunks_served(self) -> int:
        return self.on_loop(lambda: len(self.sim.platform.served_chunks))

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "fivec_tui", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.sim.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    yield w
    w.stop()


def damage(db: Path, how: str) -> None:
    """16 KB of random bytes in the middle, the file cut to half, its header zeroed, or bytes
    that are not UTF-8 in a table's definition (SQLite's error then quotes them)."""
    size = db.stat().st_size
    with open(db, "r+b") as fh:
        if how == "schema":
            data = fh.read()
            fh.seek(data.index(b"TEXT NOT NULL") + len(b"TEXT NOT "))
            fh.write(b"\xff\xfe\x11\x11")
        elif how == "mid":
            fh.seek(size // 2)
            fh.write(random.Random(16).randbytes(16 * 1024))
        elif how == "half":
            fh.truncate(size // 2)
        else:
            fh.write(bytes(100))


def journal_ids(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM journal").fetchone()[0]


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr


@pytest.mark.parametrize("how", ["mid", "half", "header", "schema"])
def test_damaged_cache_is_never_pulled_into_then_rebuilt(world, how):
    world.send(400)  # 800 reports: 16 bodies of 50 in the journal, and the replies' pulls
    first = world.cli("poll", "--once", "--yes")
    assert first.returncode == 0 and "reports: 800 new" in first.stdout, first.stderr
    bodies = journal_ids(world.db)
    damage(world.db, how)
    damaged = world.db.read_bytes()
    assert cache_problem(world.db).damaged
    world.send(50)
    served = world.chunks_served

    for form in (["poll", "--once", "--yes"], ["poll", "--yes"]):  # --once, and the daemon
        proc = world.cli(*form)
        no_traceback(proc)
        assert proc.returncode == 1
        (line,) = proc.stderr.splitlines()
        assert str(world.db) in line and "damaged" in line and "fivec-tui doctor --fix" in line
        assert world.chunks_served == served  # no report taken off the platform

    found = world.cli("doctor", "--json")
    no_traceback(found)
    (cache,) = [c for c in json.loads(found.stdout)["checks"] if c["check"] == "cache"]
    assert found.returncode == 1 and cache["status"] == "problem"
    assert "doctor --fix" in cache["fix"] and world.db.read_bytes() == damaged  # only looked

    fixed = world.cli("doctor", "--fix", "--json")
    no_traceback(fixed)
    (cache,) = [c for c in json.loads(fixed.stdout)["checks"] if c["check"] == "cache"]
    assert cache["status"] == "fixed", cache
    facts = cache["facts"]
    kept = Path(facts["kept"])
    assert kept.name.startswith("c.db.broken-") and kept.read_bytes() == damaged
    assert {os.stat(p).st_mode & 0o777 for p in cache_files(kept) if p.exists()} == {0o600}
    assert cache_problem(world.db) is None
    assert facts["records"] == 2 * world.sent and facts["records_error"] is None
    store = Store(world.db, readonly=True)
    replayed = store.scalar("SELECT count(*) FROM reports")
    assert store.scalar("SELECT count(*) FROM records") == 2 * world.sent
    store.close()
    assert replayed == facts["rows"]
    if how == "header":  # every page is there: all of it comes back, consent included
        assert facts["bodies"] == bodies and facts["unreadable"] == 0 and facts["consent"] == 1
        assert replayed == 800
    else:  # what could not be read is said
        assert facts["bodies"] == bodies or facts["unreadable"] or facts["error"]
    said = world.cli("doctor").stdout
    assert "cache" in said and "quick_check ok" in said

    after = world.cli("poll", "--once", "--yes")
    no_traceback(after)
    assert after.returncode == 0 and "reports: 100 new" in after.stdout, after.stderr
    if how == "header":
        platform = world.sim.platform
        served_all = world.on_loop(lambda: {(s.msgid, s.mobile) for s in platform.served})
        store = Store(world.db, readonly=True)
        cached = {(r["msgid"], r["mobile"]) for r in store.query("SELECT * FROM reports")}
        store.close()
        assert served_all == cached  # nothing the platform handed out was lost


def test_poll_all_leaves_out_an_account_whose_cache_is_damaged(world, tmp_path):
    a = world.sim.account
    config = tmp_path / "all.toml"
    config.write_text(
        f'[profiles.only]\nusername = "{a.username}"\npassword_md5 = "{a.password_md5}"\n'
        f'apikey = "{a.apikey}"\nbase_url = "{world.sim.base_url}"\n'
    )
    world.env["FIVEC_CONFIG"] = str(config)
    world.send(100)
    assert world.cli("poll", "--all", "--once", "--yes").returncode == 0
    db = tmp_path / "data" / "fivec-tui" / "only.db"
    damage(db, "mid")
    world.send(10)
    served = world.chunks_served
    proc = world.cli("poll", "--all", "--once", "--yes")
    no_traceback(proc)
    assert proc.returncode == 1 and world.chunks_served == served
    assert f"only: the cache {db} is damaged" in proc.stderr


def test_unopenable_cache_is_one_line_for_every_command(world):
    """Truncated or headless, the cache cannot even be opened: stats, export and the TUI
    itself say so in one line (exit 1) instead of a DatabaseError traceback."""
    world.send(100)
    assert world.cli("poll", "--once", "--yes").returncode == 0
    pristine = world.db.read_bytes()
    env = {k: v for k, v in world.env.items() if k.startswith(("FIVEC_", "XDG_"))}
    for how in ("header", "schema"):
        world.db.write_bytes(pristine)
        damage(world.db, how)
        for args in (["stats"], ["export", "reports"], []):
            code, _out, err = run_cli(env, *args)
            assert code == 1, (how, args)
            (line,) = err.splitlines()
            assert line.startswith("Error: the cache") and str(world.db) in line, line


def fill(db: Path, rows: int = 20000) -> None:
    """A cache with data enough to damage in the middle."""
    store = Store(db)
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO records(msgid, mobile, content, sent_at) VALUES (?, ?, ?, ?)",
            [(str(10**13 + i), f"138{i:08d}", SIGNED, 1.7e9 + i) for i in range(rows)],
        )
    store.close()


async def test_tui_on_a_damaged_cache_says_so_and_starts_no_sync(tmp_path, monkeypatch):
    from fivec_tui.app import run
    from fivec_tui.cli import Ctx

    db = tmp_path / "c.db"
    fill(db)
    damage(db, "mid")
    assert cache_problem(db).damaged  # it opens; a page walk finds the damage
    for key, value in {"USERNAME": "u", "PASSWORD_MD5": "0" * 32, "APIKEY": "k"}.items():
        monkeypatch.setenv(f"FIVEC_{key}", value)
    for xdg in ("XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(xdg, str(tmp_path / xdg))
    made = []
    monkeypatch.setattr(run.FivecApp, "run", lambda app: made.append(app))
    run.run_tui(Ctx(empty_config(tmp_path / "none.toml"), None, None, str(db)))
    (app,) = made
    async with app.run_test() as pilot:

        def said() -> bool:
            return any("damaged" in n.message and str(db) in n.message for n in app._notifications)

        for _ in range(200):
            if not app.starting and said():
                break
            await pilot.pause(0.05)
        assert said(), ([n.message for n in app._notifications], app.note, app.sync_state)
        assert app.sync_state == "read-only"  # the poll it started said so and left
        assert str(db) in app.note and "doctor --fix" in app.note
        await pilot.press("m")  # another screen still opens on it
        await pilot.pause(0.2)
        assert app.is_running


def test_salvage_reads_past_a_damaged_journal_page(tmp_path):
    """Garbage over one leaf page of the journal costs the bodies on that page only: the
    rows before and after it are read back and replayed through the store's ingest."""
    from fivec_tui.store import journal
    from fivec_tui.store.salvage import salvage, set_aside

    db = tmp_path / "c.db"
    store = Store(db)
    rng = random.Random(3)
    for i in range(400):  # two reports a body
        number = f"{rng.randrange(10**8):08d}"
        body = f"{10**13 + i},138{number},DELIVRD,1700000000;{10**13 + i},139{number},DELIVRD,1"
        journal(store, "reports", "pull", body)
    store.close()
    with sqlite3.connect(db) as conn:
        leaves = conn.execute(
            "SELECT pageno, ncell, pgoffset, pgsize FROM dbstat WHERE name = 'journal' "
            "AND pagetype = 'leaf' ORDER BY pageno"
        ).fetchall()
    assert len(leaves) >= 5
    _page, lost, offset, size = leaves[len(leaves) // 2]
    with open(db, "r+b") as fh:
        fh.seek(offset)
        fh.write(b"\xff" + random.Random(4).randbytes(size - 1))
    assert cache_problem(db).damaged
    kept = set_aside(db)
    fresh = Store(db)
    got = salvage(kept, fresh)
    assert (got.bodies, got.unreadable, got.error) == (400 - lost, lost, "")
    assert got.rows == 2 * got.bodies == fresh.scalar("SELECT count(*) FROM reports")
    assert fresh.scalar("SELECT max(id) FROM journal") == 400 - lost
    fresh.close()


def test_salvage_keeps_a_pushed_body_as_the_bytes_that_came(tmp_path):
    """A push is journaled as its request body's bytes: the rebuild copies them as they are
    (not as text read back from them), so a GBK reply's bytes survive a repair too."""
    from fivec_tui.store.journaling import journal_push, read_raw, replay
    from fivec_tui.store.salvage import salvage, set_aside

    content = "退订".encode("gbk")  # not UTF-8: kept, flagged, never cleaned
    data = b"0,r1,13800138000," + b"".join(b"%%%02X" % c for c in content) + b",2026-11-20 10:00:00"
    body = b"data=" + data.replace(b"%", b"%25").replace(b",", b"%2C")
    db = tmp_path / "c.db"
    store = Store(db)
    jid = journal_push(store, "replies", body, {"content_type": "", "query": ""}, data, [])
    replay(store)
    before = store.scalar("SELECT count(*) FROM replies")
    store.close()
    kept = set_aside(db)
    fresh = Store(db)
    got = salvage(kept, fresh)
    assert (got.bodies, got.undecodable) == (1, 0)
    assert read_raw(fresh, fresh.scalar("SELECT max(id) FROM journal")) == body
    assert jid == 1 and fresh.scalar("SELECT count(*) FROM replies") == before == 1
    assert fresh.scalar("SELECT clean FROM replies") == 0
