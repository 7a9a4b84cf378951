"""``fivec-tui doctor``: file modes (and ``--fix``), config, platform, clock, push receiver."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import time
from email.utils import formatdate
from pathlib import Path

import httpx
import pytest
from clirun import account_env
from clirun import run as run_cli

from fivec_tui.cli import Ctx, doctor
from fivec_tui.store import Store


@pytest.fixture
def env(sim_thread, tmp_path):
    """The simulator's account, cache and config in tmp_path, the user's dirs too."""
    return account_env(sim_thread, tmp_path) | {
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "XDG_STATE_HOME": str(tmp_path / "xdg-state"),
    }


def run(env, *args):
    return run_cli(env, "doctor", *args)[:2]


def test_readable_cache_is_named_then_fixed(env, tmp_path):
    db = Path(env["FIVEC_DB"])
    Store(db).close()
    os.chmod(db, 0o644)
    code, out = run(env)
    assert code == 1
    (line,) = [x for x in out.splitlines() if x.startswith("PROBLEM")]
    assert str(db) in line and "0644" in line
    assert f"chmod 600 '{db}'" in out
    code, out = run(env, "--fix", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    fixed = [c for c in report["checks"] if c["status"] == "fixed"]
    assert [(c["subject"], c["detail"]) for c in fixed] == [(str(db), "cache 0644 -> 0600")]
    assert os.stat(db).st_mode & 0o777 == 0o600
    code, out = run(env)
    assert code == 0 and out.rstrip().endswith("all well")
    checks = {c["check"]: c["status"] for c in json.loads(run(env, "--json")[1])["checks"]}
    assert checks | {"mode": "ok"} == {
        "cache": "ok",
        "audit": "skipped",  # no action yet: no key, nothing to anchor
        "campaigns": "ok",
        "mode": "ok",
        "config": "ok",
        "platform": "ok",
        "clock": "ok",
        "receiver": "skipped",
    }


def test_fix_makes_the_tools_directories_0700(env, tmp_path):
    data = tmp_path / "xdg-data" / "fivec-tui"
    data.mkdir(parents=True)
    for path in (data, data.parent):
        os.chmod(path, 0o755)
    code, out = run(env)
    assert code == 1 and f"{data}: data dir 0755" in out
    assert run(env, "--fix")[0] == 0 and os.stat(data).st_mode & 0o777 == 0o700
    assert os.stat(data.parent).st_mode & 0o777 == 0o755  # not the tool's: left alone


@pytest.mark.parametrize(
    ("config", "said"),
    [
        ("[profiles.default\n", "invalid TOML"),
        ("[profiles.default]\nretention_dayz = 3\n", "unknown settings ignored: retention_dayz"),
    ],
)
def test_config_problems_exit_1_and_say_where(env, config, said):
    Path(env["FIVEC_CONFIG"]).write_text(config)
    os.chmod(env["FIVEC_CONFIG"], 0o600)
    code, out = run(env)
    assert code == 1 and said in out and f"edit {env['FIVEC_CONFIG']}" in out


def test_platform_refusal_and_unreachable_are_problems(env):
    code, out = run({**env, "FIVEC_APIKEY": "wrong"})
    assert code == 1 and "PROBLEM  platform" in out and "BadCredentials" in out
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens on it once closed
    code, out = run({**env, "FIVEC_BASE_URL": f"http://127.0.0.1:{port}"})
    assert code == 1 and "TransportError" in out and "proxy" in out


def _ctx(env, monkeypatch) -> Ctx:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Ctx(env["FIVEC_CONFIG"], None, None, None)


@pytest.mark.parametrize(("offset", "status"), [(-300, "problem"), (30, "ok"), (400, "problem")])
def test_clock_skew_from_the_platforms_date_header(env, monkeypatch, offset, status):
    def platform(request: httpx.Request) -> httpx.Response:
        date = formatdate(time.time() + offset, usegmt=True)
        return httpx.Response(200, text="10.000/20.000", headers={"Date": date})

    checks = doctor.diagnose(_ctx(env, monkeypatch), transport=httpx.MockTransport(platform))
    (clock,) = [c for c in checks if c.check == "clock"]
    assert clock.status == status
    if status == "problem":
        side = "ahead of" if offset > 0 else "behind"
        seconds = int(re.search(r"(\d+)s", clock.detail).group(1))
        assert abs(seconds - abs(offset)) <= 2  # the header has whole seconds
        assert side in clock.detail and "time sync" in clock.fix


async def test_receiver_listening_or_not(env, monkeypatch, tmp_path):
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    Path(env["FIVEC_CONFIG"]).write_text(f'[profiles.default.push]\nlisten = "0.0.0.0:{port}"\n')
    profile = _ctx(env, monkeypatch).profile()
    assert (await doctor._receiver(profile)).status == "ok"
    server.close()
    await server.wait_closed()
    down = await doctor._receiver(profile)
    assert down.status == "problem" and "fivec-tui poll" in down.fix


def test_a_page_in_place_of_the_answer_points_at_the_address(env, monkeypatch):
    """A WAF or proxy page is not the platform refusing the credentials: the fix names the
    base URL and the proxy, not the apikey."""

    def page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html><body><h1>Access denied</h1></body></html>")

    checks = doctor.diagnose(_ctx(env, monkeypatch), transport=httpx.MockTransport(page))
    (platform,) = [c for c in checks if c.check == "platform"]
    assert platform.status == "problem"
    assert "base URL" in platform.fix and "proxy" in platform.fix
    assert "apikey" not in platform.fix


def test_a_missing_config_named_is_said_so(env, tmp_path):
    code, out = run({**env, "FIVEC_CONFIG": str(tmp_path / "typo.toml")})
    assert code == 1 and "no such file (given by FIVEC_CONFIG)" in out
    assert "config init" in out


def test_a_lost_audit_key_and_anchor_are_named_with_what_to_do(env, monkeypatch):
    """The key deleted (or the cache brought from another machine): doctor says so before
    the next action makes a new key, and after it names the entries that cannot be checked;
    a removed anchor is a problem of its own."""
    from fivec_tui.store import seal as seal_module

    state = Path(env["XDG_STATE_HOME"]) / "fivec-tui" / "audit"
    for text in ("一", "二"):
        code, _out, err = run_cli(
            env, "send", "--to", "13800138000", "--content", text + "【公司】", "--yes"
        )
        assert code == 0, err
    code, out = run(env)
    assert code == 0 and "audit key " in out and "audit trail anchored at entry 4" in out
    (state / "key").unlink()
    monkeypatch.setattr(seal_module, "_KEYS", {})  # as a new process
    code, out = run(env)
    assert code == 1
    assert "the audit key is missing: entries 1 to 4 were sealed with it" in out
    assert f"put the key file back at {state / 'key'}" in out
    run_cli(env, "send", "--to", "13800138000", "--content", "三【公司】", "--yes")
    code, out = run(env)
    assert code == 0 and "entries 1 to 4 were sealed with an earlier key" in out
    assert run_cli(env, "audit", "--verify")[0] == 3
    for anchor in state.glob("*.anchor"):
        anchor.unlink()
    code, out = run(env, "--json")
    (problem,) = [c for c in json.loads(out)["checks"] if c["status"] == "problem"]
    assert code == 1 and problem["check"] == "audit" and "no audit anchor" in problem["detail"]


def test_a_cache_whose_schema_is_behind_is_said_then_brought_up(env):
    """A new cache whose migrations failed (a full TMPDIR) kept its WAL header and no
    table: stats met "no such table: rollup" and doctor said "all well" (an outsider's
    finding). Now stats says it in one line, doctor names it, --fix brings it up."""
    import sqlite3

    db = Path(env["FIVEC_DB"])
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    os.chmod(db, 0o600)
    code, _out, err = run_cli(env, "stats")
    assert code == 1 and "schema is" in err and "behind this version" in err, err
    assert "Traceback" not in err and "no such table" not in err
    code, out = run(env)
    assert code == 1 and "behind this version" in out and "doctor --fix" in out, out
    code, out = run(env, "--fix")
    assert "brought up to date" in out, out
    assert run_cli(env, "stats")[0] == 0
    assert run(env)[0] == 0


def test_a_cache_that_cannot_be_written_is_a_problem(tmp_path, monkeypatch):
    """On a read-only file system doctor said "quick_check ok ... all well" of a cache
    poll and the TUI could not write (an outsider's finding)."""
    db = tmp_path / "c.db"
    Store(db).close()
    assert doctor.check_cache(db, None, False).status == "ok"
    monkeypatch.setattr(doctor.os, "access", lambda path, mode: Path(path) != db)
    check = doctor.check_cache(db, None, True)
    assert check.status == "problem" and "cannot be written" in check.detail
    assert "writable" in check.fix
