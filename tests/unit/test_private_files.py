"""Every file the tool creates is 0600 and every directory 0700, whatever the umask."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from clirun import empty_config

from fivec_tui.api import Credentials, FivecClient
from fivec_tui.cli import main
from fivec_tui.private_files import exposed_cache, open_private, private_dir
from fivec_tui.store import Store
from fivec_tui.store.audit import Actor
from fivec_tui.store.auditor import Auditor
from fivec_tui.sync import PollerLock, outbox


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(root: Path) -> dict[str, str]:
    """Every path under ``root`` (not itself) with its permission bits, as octal text."""
    return {
        str(p.relative_to(root)): f"{stat.S_IMODE(p.stat().st_mode):04o}"
        for p in sorted(root.rglob("*"))
    }


def test_private_dir_and_file_ignore_the_umask(tmp_path, umask_022):
    os.umask(0o000)  # the worst case: everything would be world-writable
    open_private(private_dir(tmp_path / "a" / "b") / "f").close()
    assert modes(tmp_path) == {"a": "0700", "a/b": "0700", "a/b/f": "0600"}


def test_existing_files_keep_their_mode_and_are_warned_about(tmp_path, umask_022):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    (shared / "c.db").write_text("")  # 0644 under this umask
    Store(shared / "c.db").close()
    assert modes(shared)["c.db"] == "0644"  # said, not silently changed
    (warning,) = exposed_cache(shared / "c.db")
    assert str(shared / "c.db") in warning and "0644" in warning
    assert "doctor --fix" in warning
    os.chmod(shared / "c.db", 0o600)
    assert exposed_cache(shared / "c.db") == []


async def test_cache_outbox_lock_export_and_log_are_private(tmp_path, sim, umask_022):
    """Cache (with its WAL and SHM), an outbox send, the lock, an export and the daemon's log,
    all under umask 022 in directories that did not exist."""
    db = tmp_path / "data" / "fivec" / "c.db"
    store = Store(db)
    a = sim.account
    creds = Credentials(a.username, a.password_md5, a.apikey)
    async with FivecClient(creds, sim.base_url) as client:
        audit = Auditor(store, Actor("cli"), "t", a.username)
        await outbox.send(
            store, client, ["13800138000"], "验证码1234【公司】", audit=audit, encode="UTF-8"
        )
    assert store.scalar("SELECT state FROM outbox") == "accepted"
    lock = PollerLock(db)
    lock.acquire()
    names = {Path(f"{db}{s}").name for s in ("", "-wal", "-shm", ".lock")}
    assert names <= {p.name for p in db.parent.iterdir()}  # WAL and SHM exist while open
    lock.release()
    env = {"FIVEC_DB": str(db), "FIVEC_CONFIG": empty_config(tmp_path / "none.toml")}
    export = tmp_path / "exports" / "out.csv"
    private_dir(export.parent)
    result = CliRunner().invoke(main, ["export", "balance", "--output", str(export)], env=env)
    assert result.exit_code == 0, result.output
    log = tmp_path / "logs" / "poll.log"
    code = (
        "import sys; from pathlib import Path; from fivec_tui.config import Profile;"
        "from fivec_tui.sync.daemon import setup_logging, log;"
        "setup_logging(Profile('t').secrets(), Path(sys.argv[1])); log.info('hello')"
    )
    subprocess.run([sys.executable, "-c", code, str(log)], check=True, capture_output=True)
    assert "hello" in log.read_text()
    found = modes(tmp_path)
    assert {n for n in found if n.endswith(("-wal", "-shm"))}, found
    wrong = {
        name: mode
        for name, mode in found.items()
        if mode != ("0700" if (tmp_path / name).is_dir() else "0600")
    }
    assert not wrong, wrong
    store.close()


def test_remembered_theme_is_private(tmp_path, monkeypatch, umask_022):
    from fivec_tui.app.themes import remember_theme, remembered_theme, state_path

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    remember_theme("fivec-light")
    assert remembered_theme() == "fivec-light"
    assert state_path().is_relative_to(tmp_path)
    assert set(modes(tmp_path).values()) == {"0700", "0600"}
    assert modes(tmp_path)["state/fivec-tui/state.json"] == "0600"


def test_daemon_warns_at_start_about_a_readable_cache(tmp_path, sim_thread, poll_env, umask_022):
    env = poll_env(sim_thread)
    db = Path(env["FIVEC_DB"])
    Store(db).close()
    os.chmod(db, 0o644)
    proc = subprocess.run(
        [sys.executable, "-m", "fivec_tui", "poll", "--once", "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"cache '{db}' has mode 0644" in proc.stderr
    assert f"cache '{db}' has mode 0644" in db.with_suffix(".log").read_text()
    assert modes(tmp_path)[db.with_suffix(".log").name] == "0600"


async def test_tui_warns_at_start_about_a_readable_cache(tmp_path, monkeypatch):
    """The TUI says it in a notification (its startup), as the daemon says it in its log."""
    from fivec_tui.app import run
    from fivec_tui.cli import Ctx

    db = tmp_path / "c.db"
    Store(db).close()
    os.chmod(db, 0o640)
    for key, value in {"USERNAME": "u", "PASSWORD_MD5": "0" * 32, "APIKEY": "k"}.items():
        monkeypatch.setenv(f"FIVEC_{key}", value)
    for xdg in ("XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(xdg, str(tmp_path / xdg))
    made = []
    monkeypatch.setattr(run.FivecApp, "run", lambda app: made.append(app))
    monkeypatch.setattr(run, "connect", lambda *args, **options: asyncio.sleep(0))
    run.run_tui(Ctx(empty_config(tmp_path / "none.toml"), None, None, str(db)))
    (app,) = made
    async with app.run_test() as pilot:
        for _ in range(50):
            if not app.starting:
                break
            await pilot.pause(0.05)
        messages = [n.message for n in app._notifications]
    assert any(f"cache '{db}' has mode 0640" in m for m in messages), messages
