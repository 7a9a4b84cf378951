"""The command line as scripts use it: JSON shapes, exit codes, no secrets in any output."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner
from clirun import account_env, empty_config, run

from fivec_tui.cli import main


@pytest.fixture
def env(sim_thread, tmp_path):
    return account_env(sim_thread, tmp_path)


def test_send_balance_records_json(env, sim_thread):
    code, out, _ = run(
        env,
        "send",
        "--to",
        "13800138000,13900139000",
        "--content",
        "你好【签名】",
        "--yes",
        "--json",
    )
    assert code == 0
    sent = json.loads(out)
    assert len(sent["msgid"]) == 14 and sent["recipients"] == 2 and sent["parts"] == 2
    code, out, _ = run(env, "balance", "--json")
    assert json.loads(out) == {"balance": 9998.0, "total": 10000.0}
    code, out, _ = run(env, "records", "--from", "-1h", "--json")
    (rec,) = json.loads(out)
    assert rec["msgid"] == sent["msgid"] and rec["sent_at"].endswith("+08:00")


@pytest.mark.parametrize(
    "args",
    [
        ["send", "--to", "12345", "--content", "x", "--yes"],
        ["send", "--to", "13800138000", "--content", "", "--yes"],
        ["send", "--to", "13800138000", "--content", "x" * 501, "--yes"],
        ["send", "--to", "13800138000", "--content", "x", "--at", "tomorrowish", "--yes"],
        ["send", "--to", "13800138000", "--content", "😀", "--encode", "gbk", "--yes"],
        ["records", "--from", "yesterday-ish"],
    ],
)
def test_bad_input_exits_2(env, args):
    assert run(env, *args)[0] == 2


def test_platform_error_exits_1_with_meaning(env):
    code, _, err = run({**env, "FIVEC_APIKEY": "wrong"}, "balance")
    assert code == 1 and "APIKEY or password error" in err and "wrong" in err.lower()
    code, _, err = run(env, "blacklist", "remove", "13800000001")  # no terminal, no --yes
    assert code == 2 and "--yes" in err
    code, _, err = run(env, "blacklist", "remove", "13800000001", "--yes")
    assert code == 1 and "removal is not allowed" in err


def test_blacklist_check_json(env):
    code, out, _ = run(env, "blacklist", "check", "13800000001", "--json")
    assert code == 0 and json.loads(out)["black"] is True


def test_config_init_show_never_reveal_secrets(env, tmp_path):
    secret_env = {
        k: v
        for k, v in env.items()
        if k not in ("FIVEC_USERNAME", "FIVEC_PASSWORD", "FIVEC_APIKEY", "FIVEC_BASE_URL")
    }
    result = CliRunner().invoke(
        main,
        ["config", "init", "--username", "acme", "--node", "bj", "--password-stdin"],
        input="hunter2-pass\nAPIKEY-SECRET-0123456789abcdef\n",
        env=secret_env,
        catch_exceptions=False,
    )
    code = result.exit_code
    path = tmp_path / "config.toml"
    assert code == 0 and stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "hunter2-pass" not in text and "APIKEY-SECRET-0123456789abcdef" in text
    code, out, err = run(secret_env, "config", "show")
    assert code == 0 and "bj.5c.com.cn" in out and "flag --base-url" not in out
    assert "APIKEY-SECRET" not in out + err and "file" in out
    os.chmod(path, 0o644)
    code, out, err = run(secret_env, "config", "show", "--json")
    assert "UNPROTECTED CONFIG FILE" in err and "APIKEY-SECRET" not in out + err


def test_poll_once_then_stats_and_export(env, sim_thread, tmp_path):
    run(env, "send", "--to", "13800138000", "--content", "hi【x】", "--yes")
    import time

    time.sleep(1.2)
    code, out, err = run(env, "poll", "--once")
    assert code == 2 and "--yes" in (out + err)  # no consent, no TTY: refuses to pull
    code, out, _ = run(env, "poll", "--once", "--yes")
    assert code == 0 and "reports: 1 new" in out
    code, out, _ = run(env, "stats", "--window", "1h", "--json")
    s = json.loads(out)
    assert s["sent"] == 1 and s["delivered"] == 1 and s["delivery_rate"] == 1.0
    assert set(s) >= {
        "sent",
        "delivered",
        "failed",
        "pending",
        "delivery_rate",
        "latency_p50_s",
        "latency_p95_s",
        "failures",
    }
    code, out, _ = run(env, "export", "reports", "--format", "json")
    (row,) = json.loads(out)
    assert set(row) == {"msgid", "mobile", "status", "ext", "reported_at"} and row[
        "reported_at"
    ].endswith("+08:00")
    log = (tmp_path / "c.log").read_text()
    for secret in (env["FIVEC_APIKEY"], env["FIVEC_PASSWORD"]):
        assert secret not in log


def test_help_reads_well_for_every_command():
    code, out, _ = run({}, "--help")
    assert code == 0
    for command in (
        "send",
        "balance",
        "records",
        "billing",
        "blacklist",
        "subaccounts",
        "bind-ip",
        "config",
        "sim",
        "demo",
        "poll",
        "stats",
        "export",
        "serve",
    ):
        assert command in out
        assert run({}, *command.split(), "--help")[0] == 0


LOADED = "import sys; sys.argv = ['fivec-tui', *sys.argv[1:]]; from fivec_tui.__main__ import run\ntry:\n    run()\nfinally:\n    print('rich_click' in sys.modules, file=sys.stderr)"


@pytest.mark.parametrize(
    ("args", "rich"), [(["--help"], True), (["stats", "-h"], True), (["--version"], False)]
)
def test_rich_click_is_loaded_only_for_help_pages(args, rich):
    """Help pages are drawn by rich-click; every other start skips its import (~20 ms)."""
    r = subprocess.run(
        [sys.executable, "-c", LOADED, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "FIVEC_CONFIG": "/nonexistent/x.toml", "COLUMNS": "100"},
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines()[-1] == str(rich)
    assert ("╭─ Options" in r.stdout) is rich


def test_runs_without_a_tty_as_a_module():
    r = subprocess.run(
        [sys.executable, "-m", "fivec_tui", "config", "path"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "FIVEC_CONFIG": "/tmp/x.toml"},
        timeout=60,
    )
    assert r.returncode == 0 and r.stdout.strip() == "/tmp/x.toml"


def test_the_old_accounts_command_still_runs_the_subaccounts_group():
    code, out, _ = run({}, "accounts", "--help")
    assert code == 0 and "lock" in out and "charge" in out


@pytest.mark.parametrize(
    "args", [["stats"], ["stats", "--json"], ["config", "path"], ["audit", "--verify"]]
)
def test_a_reader_gone_ends_quietly_never_with_success(tmp_path, args):
    """``stats | head -1``: once the reader of stdout has gone (its end of the pipe closed
    before anything is written), the command says nothing on stderr and ends with 141, a
    shell's code for SIGPIPE: with 0, ``audit --verify | head -1`` of a tampered trail read
    as verified (an outsider's finding)."""
    from fivec_tui.store import Store

    Store(tmp_path / "c.db").close()  # a cache, empty
    read, write = os.pipe()
    os.close(read)
    try:
        r = subprocess.run(
            [sys.executable, "-m", "fivec_tui", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
            env={
                **os.environ,
                "FIVEC_CONFIG": empty_config(tmp_path / "c.toml"),
                "FIVEC_DB": str(tmp_path / "c.db"),
            },
            timeout=60,
        )
    finally:
        os.close(write)
    assert (r.returncode, r.stderr) == (141, "")


def test_stats_says_a_profiles_slo_it_cannot_read_instead_of_using_the_default(tmp_path):
    """``stats --json`` burned against 0.97 without a word when the profile's ``[slo]`` was
    refused (``config show`` exits 2 on it): an outsider's finding."""
    from fivec_tui.store import Store

    Store(tmp_path / "c.db").close()
    config = tmp_path / "c.toml"
    config.write_text(
        '[profiles.p]\nusername = "u"\napikey = "k"\n'
        'password_md5 = "e10adc3949ba59abbe56e057f20f883e"\n[profiles.p.slo]\ndelivery = 0.5\n'
    )
    env = {"FIVEC_CONFIG": str(config), "FIVEC_DB": str(tmp_path / "c.db")}
    code, out, err = run(env, "--profile", "p", "stats", "--json")
    assert code == 0 and json.loads(out)["carriers"] == {}
    assert "[profiles.p.slo] page_burn" in err and "default objective 0.97" in err
