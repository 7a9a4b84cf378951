"""``fivec-tui config show`` at 80 columns: the file named once at the top, each row's source
in a word, every row within 80 columns, long values cut, secrets masked."""

from __future__ import annotations

import json

from clirun import run
from rich.cells import cell_len

WEBHOOK = "https://hooks.example.com/" + "very-long-path/" * 8 + "?token=abc"


def test_rows_fit_80_columns_and_name_their_source(tmp_path):
    deep = tmp_path / ("a-rather-long-directory-name-" * 3) / "fivec-tui"
    deep.mkdir(parents=True)
    config = deep / "config.toml"
    config.write_text(
        '[profiles.default]\npassword = "hunter2-pass"\nretention_days = 7\n'
        f'[profiles.default.alerts]\nwebhook = "{WEBHOOK}"\n'
    )
    config.chmod(0o600)
    env = {"FIVEC_CONFIG": str(config), "FIVEC_USERNAME": "acme", "COLUMNS": "80"}
    env["FIVEC_APIKEY"] = "APIKEY-SECRET-0123456789abcdef"
    code, out, _ = run(env, "--base-url", "http://127.0.0.1:9", "config", "show")
    assert code == 0
    lines = out.splitlines()
    assert lines[:2] == ["profile default", f"file {config}"]
    assert out.count(str(config)) == 1
    rows = {line.split()[0]: line for line in lines[2:]}
    assert all(cell_len(line) <= 80 for line in lines[2:]), [x for x in lines if len(x) > 80]
    assert rows["retention_days"].split()[1:] == ["7", "file"]
    assert rows["username"].split()[1:] == ["acme", "env", "FIVEC_USERNAME"]
    assert rows["base_url"].split()[-2:] == ["flag", "--base-url"]
    assert rows["encode"].split()[1:] == ["UTF-8", "default"]
    assert rows["alerts.webhook"].split()[1].endswith("…")  # cut, not wrapped
    # the longest name keeps its value and source in their columns
    long = rows["intervals.reconcile_replies"]
    assert long.index("600s") == rows["encode"].index("UTF-8")
    assert "hunter2-pass" not in out and "APIKEY-SECRET" not in out
    code, out, _ = run(env, "config", "show", "--json")
    data = json.loads(out)
    assert data["settings"]["alerts.webhook"]["value"] != ""  # JSON keeps the whole record
    assert data["settings"]["retention_days"]["source"] == f"file {config}"


def test_a_missing_default_file_is_said_once(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "none"), "COLUMNS": "80"}
    code, out, _ = run(env, "config", "show")
    lines = out.splitlines()
    assert code == 0 and lines[1].startswith("file ") and "not there yet" in lines[2]
