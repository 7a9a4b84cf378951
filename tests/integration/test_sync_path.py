"""The TUI's one sync path, with real processes: the TUI starts ``fivec-tui poll`` as its child
or attaches to one already running, reads everything from the cache, and leaves no child
behind however it ends; consent, a wrong password and the secrets of the child's command line;
the demo simulator's control token."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from fivec_tui.app import run
from fivec_tui.app.run import profiles_app
from fivec_tui.cli import Ctx
from fivec_tui.store import Store
from fivec_tui.store.poller import job_health


def write_config(tmp_path: Path, sim, apikey: str = "", **intervals: float) -> Path:
    """A 0600 config with one profile ``t`` on ``sim``'s account (short intervals)."""
    a = sim.account
    every = {"reports": 1.0, "replies": 1.0, "records": 1.0, "balance": 2.0} | intervals
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.t]\nusername = "{a.username}"\npassword_md5 = "{a.password_md5}"\n'
        f'apikey = "{apikey or a.apikey}"\nbase_url = "{sim.base_url}"\n'
        "[profiles.t.intervals]\n" + "".join(f"{k} = {v}\n" for k, v in every.items())
    )
    config.chmod(0o600)
    return config


def app_on(tmp_path: Path, config: Path):
    """The TUI on profile ``t``, as ``fivec-tui --config CONFIG --profile t --db DB`` opens it."""
    return profiles_app(Ctx(str(config), "t", None, str(tmp_path / "c.db")))


async def wait_for(predicate, pilot, timeout: float = 40.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await pilot.pause(0.1)
    return False


def jobs(store: Store) -> dict:
    return {j.job: j for j in job_health(store)}


def written(db: Path) -> dict:
    """The job health in the cache at ``db``, once a poller has made it and written some."""
    try:
        return jobs(Store(db, readonly=True)) if db.exists() else {}
    except sqlite3.Error:  # not made yet
        return {}


@pytest.fixture(autouse=True)
def no_account_env(monkeypatch):
    """The person's FIVEC_* settings are not the test's (the TUI's children inherit them)."""
    for name in [n for n in os.environ if n.startswith("FIVEC_")]:
        monkeypatch.delenv(name)


async def test_a_tui_attached_to_a_poll_it_did_not_start_never_stops_it(sim_thread, tmp_path):
    """A daemon holds the account's lock: the TUI attaches to it (live, no child of its
    own), its pull_soon reaches it (SIGUSR1: records run now, not in an hour), and quitting
    the TUI leaves it running."""
    config = write_config(tmp_path, sim_thread, records=3600.0)
    db = tmp_path / "c.db"
    argv = [sys.executable, "-m", "fivec_tui", "--config", str(config), "--profile", "t"]
    daemon = subprocess.Popen(
        [*argv, "--db", str(db), "poll", "--yes"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 40
        while "records" not in written(db):
            assert time.monotonic() < deadline and daemon.poll() is None
            time.sleep(0.1)
        app = app_on(tmp_path, config)
        async with app.run_test(size=(120, 40)) as pilot:
            assert await wait_for(lambda: app.sync_state == "live", pilot), (
                app.sync_state,
                app.note,
            )
            assert app.link.children == [] and app.link.pollers["t"].attached == daemon.pid
            assert f"pid {daemon.pid}" in app.note
            assert await wait_for(lambda: jobs(app.store)["records"].last_success, pilot)
            first = jobs(app.store)["records"].last_run
            app.pull_soon()
            assert await wait_for(lambda: jobs(app.store)["records"].last_run != first, pilot)
        time.sleep(0.5)
        assert daemon.poll() is None  # still polling
    finally:
        daemon.terminate()
        assert daemon.wait(30) == 0


async def test_a_tui_whose_poller_ended_takes_the_sync_back(sim_thread, tmp_path, monkeypatch):
    """The daemon it attached to is killed: the TUI attaches to the next daemon that holds the
    lock (its banner names that one, never the dead one); that one killed too, it starts a poll
    of its own.  Before, it said "not syncing" for good and the cache went stale."""
    monkeypatch.setattr(run, "RECOVER_S", 0.5)
    held = {"back": False}  # the TUI does not look until the next daemon holds the lock
    look = run.Recovery.look
    monkeypatch.setattr(run.Recovery, "look", lambda self: look(self) if held["back"] else None)
    config = write_config(tmp_path, sim_thread)
    db = tmp_path / "c.db"
    argv = [sys.executable, "-m", "fivec_tui", "--config", str(config), "--profile", "t"]

    def daemon() -> subprocess.Popen:
        return subprocess.Popen(
            [*argv, "--db", str(db), "poll", "--yes"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    first = daemon()
    second = None
    try:
        deadline = time.monotonic() + 40
        while "records" not in written(db):
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.1)
        app = app_on(tmp_path, config)
        async with app.run_test(size=(120, 40)) as pilot:
            assert await wait_for(lambda: app.sync_state == "live", pilot), app.note
            assert app.link.pollers["t"].attached == first.pid and app.link.children == []
            first.kill()
            first.wait(10)
            second = daemon()
            assert await wait_for(lambda: run.holder(db) == (True, second.pid), pilot)
            held["back"] = True
            assert await wait_for(
                lambda: app.link.pollers["t"].attached == second.pid and app.sync_state == "live",
                pilot,
            ), (app.sync_state, app.note)
            assert f"pid {second.pid}" in app.note and app.link.children == []
            second.kill()
            second.wait(10)
            assert await wait_for(lambda: app.link.pollers["t"].child is not None, pilot)
            child = app.link.pollers["t"].child
            assert await wait_for(lambda: app.sync_state == "live", pilot), app.note
            # "live" comes from the first job the child ran; records may come a moment later
            assert await wait_for(lambda: jobs(app.store)["records"].pid == child.pid, pilot)
        assert child.returncode is not None  # the app's own poll ended with it
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()


async def test_consent_refused_in_the_tui_takes_nothing(sim_thread, tmp_path):
    """The TUI asks before starting its poll; a no starts it all the same, its reports and
    replies jobs waiting: the platform serves no report and no reply is consumed, while the
    send records (which take nothing) arrive."""
    platform = sim_thread.platform
    platform.submit(platform.main, ["13800138000"], "验证码 1234【美联】")
    platform.add_reply("13800138000", "好的")
    app = app_on(tmp_path, write_config(tmp_path, sim_thread))
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_for(lambda: type(app.screen).__name__ == "Confirm", pilot)
        assert app.link.children == []  # asked before the child starts
        await pilot.press("n")
        assert await wait_for(lambda: app.sync_state == "live", pilot)
        assert await wait_for(lambda: app.store.scalar("SELECT count(*) FROM records"), pilot)
        assert jobs(app.store)["reports"].status == "waiting"
        assert "--no-ask" in app.link.children[0].argv and "--yes" not in app.link.children[0].argv
        assert "not pulled (no consent)" in app.note
        await pilot.pause(2.0)  # several report and reply intervals
        assert len(platform.served) == 0
        assert sum(not r.consumed for r in platform.replies) == 1
        assert app.store.scalar("SELECT count(*) FROM reports") == 0


async def test_a_wrong_password_shows_why_never_live(sim_thread, tmp_path):
    """The poll child's jobs fail on credentials: the banner says the reason, never LIVE; the
    child got no secret on its command line (it reads the 0600 config)."""
    config = write_config(tmp_path, sim_thread, apikey="f" * 32)
    app = app_on(tmp_path, config)
    seen = set()
    async with app.run_test(size=(160, 40)) as pilot:
        assert await wait_for(lambda: type(app.screen).__name__ == "Confirm", pilot)
        await pilot.press("y")  # consent, recorded in the cache
        assert await wait_for(
            lambda: seen.add(app.sync_state) or app.sync_state != "starting", pilot
        )
        assert await wait_for(
            lambda: seen.add(app.sync_state) or app.sync_state == "auth error", pilot
        )
        banner = app.banner().plain
        assert "LIVE" not in banner and "auth error" in banner and "live" not in seen
        assert app.store.get_setting(f"consent.destructive.{sim_thread.account.username}")
        (child,) = app.link.children
        cmdline = Path(f"/proc/{child.pid}/cmdline").read_bytes().decode()
        assert "poll" in cmdline and str(config) in cmdline
        assert sim_thread.account.password_md5 not in cmdline and "f" * 32 not in cmdline
        assert not [n for n in os.environ if n.startswith("FIVEC_")]  # nor in its environment


def children_of(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                out.add(int(entry.name))
    return out


def running(pid: int) -> bool:
    """Not exited (a zombie nobody reaped has exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def test_a_tui_killed_with_sigkill_leaves_no_child_behind(tmp_path):
    """The demo TUI's sim, poll and history children stop by themselves when the TUI is
    SIGKILLed: they read the end of their stdin pipe."""
    script = (
        "from fivec_tui.app.demo import demo_app\n"
        f"demo_app('quiet', db_dir={str(tmp_path)!r}).run(headless=True)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIVEC_")}
    tui = subprocess.Popen([sys.executable, "-c", script], env=env, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            kids = children_of(tui.pid)
            if len(kids) >= 2 and written(tmp_path / "demo.db"):  # sim, poll (history, if not done)
                break
            assert time.monotonic() < deadline and tui.poll() is None
            time.sleep(0.1)
    finally:
        tui.send_signal(signal.SIGKILL)
        tui.wait()
    deadline = time.monotonic() + 20
    while any(running(pid) for pid in kids):
        assert time.monotonic() < deadline, [p for p in kids if running(p)]
        time.sleep(0.1)


async def test_the_simulators_control_endpoint_wants_its_token():
    from fivec_tui.sim import Simulator

    async with Simulator("quiet", traffic=False, control_token="s3cret") as sim:
        http = httpx.AsyncClient(base_url=sim.base_url)
        for path, method in (("/_sim/state", "GET"), ("/_sim/control", "POST")):
            assert (await http.request(method, path, json={})).status_code == 403
            wrong = {"Authorization": "Bearer s3cre7"}
            assert (await http.request(method, path, json={}, headers=wrong)).status_code == 403
        ok = {"Authorization": "Bearer s3cret"}
        answer = await http.post("/_sim/control", json={"messages": ["x"]}, headers=ok)
        assert answer.status_code == 200 and answer.json()["messages"] == {}
        await http.aclose()
