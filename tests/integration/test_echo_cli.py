"""Every command against a server that echoes the request, credentials included: each says
what is wrong in a line, exits 1, and no secret reaches its output, the log or the cache."""

from __future__ import annotations

import hashlib
import json
import sqlite3

from click.testing import CliRunner
from clirun import empty_config

from fivec_tui.cli import main

PASSWORD = "Pw-0f-the-d3mo"
APIKEY = "c0ffee00c0ffee00c0ffee00c0ffee00"
SECRETS = [PASSWORD, APIKEY, hashlib.md5(PASSWORD.encode()).hexdigest()]


def test_an_echoing_server_leaks_nothing_and_crashes_nothing(sim_thread, tmp_path):
    account = sim_thread.platform.main
    account.password_md5, account.apikey = SECRETS[2], APIKEY
    sim_thread.server.faults = {
        name: {"answer_with": "echo"} for name in ("send", "query", "recv", "reply", "black")
    }
    env = {
        "FIVEC_CONFIG": empty_config(tmp_path / "config.toml"),
        "FIVEC_DB": str(tmp_path / "c.db"),
        "FIVEC_BASE_URL": sim_thread.base_url,
        "FIVEC_USERNAME": account.username,
        "FIVEC_PASSWORD": PASSWORD,
        "FIVEC_APIKEY": APIKEY,
    }
    seen = []
    for args in (
        ["balance"],
        ["send", "--to", "13800138000", "--content", "hi【x】", "--yes"],
        ["records"],
        ["billing"],
        ["blacklist", "check", "13800000001"],
        ["poll", "--once", "--yes"],
    ):
        result = CliRunner().invoke(main, args, env=env)
        said = result.stdout + result.stderr
        assert result.exit_code == 1, (args, said, result.exception)
        assert isinstance(result.exception, SystemExit), (args, result.exception)
        assert "Traceback" not in said, (args, said)
        seen.append(said)
    assert sum(sim_thread.server.answered[e]["echo"] for e in sim_thread.server.answered) >= 6
    seen.append((tmp_path / "c.log").read_text())
    conn = sqlite3.connect(tmp_path / "c.db")
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        seen += [json.dumps(row, default=str) for row in conn.execute(f"SELECT * FROM {table}")]
    assert conn.execute("SELECT count(*) FROM unparsed").fetchone()[0] >= 1  # kept, masked
    assert not [s for s in SECRETS for text in seen if s in text]
