"""Known credentials through every command, the daemon and the TUI: the apikey, password and
password_md5 appear in no output, log, exception, screen, export or database row."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time

from click.testing import CliRunner
from clirun import empty_config

from fivec_tui.cli import main

PASSWORD = "Pw-0f-the-d3mo"  # the simulator's account is set to these below
APIKEY = "c0ffee00c0ffee00c0ffee00c0ffee00"


def _secrets() -> list[str]:
    return [PASSWORD, APIKEY, hashlib.md5(PASSWORD.encode()).hexdigest()]


def test_no_secret_anywhere(sim_thread, tmp_path):
    account = sim_thread.platform.main
    account.password_md5, account.apikey = _secrets()[2], APIKEY
    env = {
        "FIVEC_CONFIG": empty_config(tmp_path / "config.toml"),
        "FIVEC_DB": str(tmp_path / "c.db"),
        "FIVEC_BASE_URL": sim_thread.base_url,
        "FIVEC_USERNAME": account.username,
        "FIVEC_PASSWORD": PASSWORD,
        "FIVEC_APIKEY": APIKEY,
    }
    runner = CliRunner()
    seen = []
    commands = [
        ["config", "show"],
        ["config", "show", "--json"],
        ["balance"],
        ["balance", "--json"],
        ["send", "--to", "13800138000", "--content", "hi【x】", "--yes", "--json"],
        ["poll", "--once", "--yes"],
        ["records", "--json"],
        ["billing", "--json"],
        ["blacklist", "check", "13800000001", "--json"],
        ["stats", "--json"],
        ["export", "reports", "--format", "json"],
        ["export", "records", "--format", "csv"],
        ["alerts", "--json"],
        ["subaccounts", "info", "nochild1"],
    ]
    for args in commands:
        if args[0] == "poll":
            time.sleep(1.2)
        result = runner.invoke(main, args, env=env)
        seen.append((args, result.stdout + result.stderr + repr(result.exception)))
        # Each did its job (an error page says nothing secret either, but proves less).
        assert result.exit_code == (1 if args[0] == "subaccounts" else 0), (args, seen[-1])
    # a platform error (wrong apikey) and a network error still say nothing secret
    for bad_env in (
        {**env, "FIVEC_APIKEY": APIKEY[::-1]},
        {**env, "FIVEC_BASE_URL": "http://127.0.0.1:9"},
    ):
        result = runner.invoke(main, ["balance"], env=bad_env)
        assert result.exit_code == 1, result.stdout + result.stderr
        seen.append((["balance (bad)"], result.stdout + result.stderr))
    seen.append((["log"], (tmp_path / "c.log").read_text()))
    conn = sqlite3.connect(tmp_path / "c.db")
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in conn.execute(f"SELECT * FROM {table}"):
            seen.append(([f"db:{table}"], json.dumps(row, default=str, ensure_ascii=False)))
    leaks = [(where, secret) for where, text in seen for secret in _secrets() if secret in text]
    assert not leaks, leaks
    assert any("reports" in text for where, text in seen if where == ["poll", "--once", "--yes"])


async def test_no_secret_on_any_screen(tmp_path):
    from fivec_tui.app.demo import demo_app

    app = demo_app("quiet", seed=1, db_dir=str(tmp_path))
    secrets = [app.profile.apikey, app.profile.password_md5]
    async with app.run_test(size=(160, 48)) as pilot:
        while app.sync_state != "live":
            await pilot.pause(0.1)
        texts = []
        for key in "drmsba":
            await pilot.press(key)
            await pilot.pause(0.3)
            texts.append(app.export_screenshot())
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        texts.append(app.export_screenshot())
        texts.append(repr(app.profile) + repr(app.client.credentials))
        # the poll child reads the credentials from the demo's 0600 config, never from its
        # command line; the simulator's child prints them to the app's pipe only
        lines = []
        for child in app.link.children:  # the demo's past may be cached and gone already
            with contextlib.suppress(FileNotFoundError):
                lines.append(open(f"/proc/{child.pid}/cmdline", "rb").read().decode())
        texts += lines
        assert any(" poll " in c.replace("\0", " ") for c in lines)
        assert any("\0sim\0" in c for c in lines)
        config = tmp_path / "config.toml"
        assert app.profile.apikey in config.read_text() and config.stat().st_mode & 0o077 == 0
    assert not [s for s in secrets for t in texts if s in t]
