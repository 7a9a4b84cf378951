"""`config init` edits the config in place and never takes a secret from the command line.

The config is the one file a user edits by hand: adding a profile must keep their comments,
order, quoting, other tables and keys this version does not know, byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import pty
import select
import stat
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from fivec_tui import config as cfg
from fivec_tui.cli import main

PASSWORD = "hunter2-pass"
APIKEY = "APIKEY-SECRET-0123456789abcdef"

HAND_WRITTEN = """\
# Written by hand; keep these comments.
default_profile = 'prod'   # the one we page on

[app]
refresh_s = 1.5            # faster than the default

[keys]
"nav.send" = "f5"
future_key = { a = 1 }     # a setting a later version reads

[profiles.prod]
username = "acme"          # ops account
password_md5 = 'e10adc3949ba59abbe56e057f20f883e'
apikey = "xyz"
node = "bj"
colour = "blue"            # unknown key: warned about, kept

[profiles.prod.push]
listen = "127.0.0.1:8088"
token = "0123456789abcdef0123"

[profiles.prod.push.forward]
reports = ["https://backend.example/report",   "https://second.example/r"]
"""


def _env(path: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("FIVEC_")}
    return {**keep, "FIVEC_CONFIG": str(path)}


def _init(path: Path, *args: str, stdin: str = f"{PASSWORD}\n{APIKEY}\n"):
    return CliRunner().invoke(
        main,
        ["config", "init", *args, "--password-stdin"],
        input=stdin,
        env=_env(path),
        catch_exceptions=False,
    )


def test_init_second_profile_keeps_the_hand_written_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(HAND_WRITTEN)
    os.chmod(path, 0o600)
    result = _init(path, "--name", "second", "--username", "acme2", "--node", "hk")
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert text.startswith(HAND_WRITTEN)  # every byte of it, in order
    added = tomllib.loads(text[len(HAND_WRITTEN) :])["profiles"]["second"]
    assert added == {
        "username": "acme2",
        "password_md5": hashlib.md5(PASSWORD.encode()).hexdigest(),
        "apikey": APIKEY,
        "node": "hk",
        "encode": "UTF-8",
    }
    assert PASSWORD not in text and stat.S_IMODE(path.stat().st_mode) == 0o600
    prod = cfg.load_profile(path, "prod", env={})
    assert prod.push.forward.reports[1] == "https://second.example/r"
    assert cfg.load_profile(path, "second", env={}).base_url == "https://hk.5c.com.cn"


def test_init_on_an_existing_profile_updates_only_its_credentials(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(HAND_WRITTEN.replace("password_md5 = 'e10a", "password = 'plain'\n#x = 'e10a"))
    result = _init(path, "--name", "prod", "--username", "acme", "--node", "bj")
    assert result.exit_code == 0, result.output
    text = path.read_text()
    head, tail = HAND_WRITTEN.split("[profiles.prod]")
    assert text.startswith(head) and tail.split("\n\n", 1)[1] in text  # push tables intact
    assert 'username = "acme"          # ops account' in text  # comment kept on a rewritten key
    assert "password = 'plain'" not in text  # a stale plain password would win over the new md5
    data = tomllib.loads(text)["profiles"]["prod"]
    assert data["apikey"] == APIKEY and data["colour"] == "blue"
    assert data["password_md5"] == hashlib.md5(PASSWORD.encode()).hexdigest()


def test_nested_values_are_tables_and_arrays_never_reprs(tmp_path):
    path = tmp_path / "sub" / "config.toml"
    push = {
        "listen": "0.0.0.0:8088",
        "token": "t" * 20,
        "allow": ["203.0.113.0/24"],
        "forward": {"reports": ["https://a.example/r", "https://b.example/r"], "replies": []},
    }
    cfg.write_profile(path, "x", {"username": "u", "push": push, "streams": {"reports": "push"}})
    text = path.read_text()
    assert "[profiles.x.push]" in text and "[profiles.x.push.forward]" in text
    assert "{'" not in text and "['" not in text  # no Python repr anywhere
    assert tomllib.loads(text)["profiles"]["x"]["push"] == push
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    cfg.write_profile(path, "y", {"username": "v"})  # a second write leaves the first alone
    assert path.read_text().startswith(text)


def test_a_loose_mode_is_tightened_and_a_broken_file_is_not_rewritten(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[app]\nrefresh_s = 2\n")
    os.chmod(path, 0o644)
    cfg.write_profile(path, "a", {"username": "u"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("[profiles.a\nusername = 'u'\n")
    with pytest.raises(cfg.ConfigError, match="invalid TOML, not rewritten"):
        cfg.write_profile(path, "b", {"username": "v"})
    assert path.read_text() == "[profiles.a\nusername = 'u'\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # no temp file left


def test_password_options_are_gone_and_stdin_must_hold_both_lines(tmp_path):
    path = tmp_path / "config.toml"
    for option in ("--password", "--apikey", "--password-md5"):
        result = CliRunner().invoke(
            main, ["config", "init", "--username", "u", option, "x"], env=_env(path)
        )
        assert result.exit_code == 2 and "No such option" in result.output
    assert _init(path, "--username", "u", stdin=f"{PASSWORD}\n").exit_code == 2
    result = CliRunner().invoke(main, ["config", "init", "--username", "u"], env=_env(path))
    assert result.exit_code == 2 and "--password-stdin" in result.output
    assert not path.exists()


def test_password_stdin_end_to_end_in_a_real_process(tmp_path, sim_thread):
    """`printf 'pw\\napikey\\n' | fivec-tui config init --password-stdin`, then a real call."""
    a = sim_thread.account
    path = tmp_path / "config.toml"
    env = _env(path)
    cmd = [sys.executable, "-m", "fivec_tui", "config", "init", "--password-stdin"]
    done = subprocess.run(
        [*cmd, "--username", a.username, "--node", sim_thread.base_url],
        input=f"{a.password}\n{a.apikey}\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    balance = subprocess.run(
        [sys.executable, "-m", "fivec_tui", "balance", "--json"],
        env={**env, "FIVEC_DB": str(tmp_path / "c.db")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert balance.returncode == 0 and '"balance"' in balance.stdout, balance.stderr


def _read_until(fd: int, needle: bytes, seen: bytearray) -> None:
    deadline = time.monotonic() + 30
    while needle not in seen:
        assert time.monotonic() < deadline, f"no {needle!r} in {bytes(seen)!r}"
        if select.select([fd], [], [], 0.5)[0]:
            seen += os.read(fd, 4096)


@pytest.mark.parametrize("flags", [[], ["--password-stdin"]])
def test_ps_shows_no_secret_while_init_asks(tmp_path, flags):
    """The secrets go through a hidden prompt on the terminal: not in argv, not echoed.
    On a terminal --password-stdin prompts too, rather than read lines it would echo."""
    path = tmp_path / "config.toml"
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fivec_tui", "config", "init", "--username", "acme", *flags],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=_env(path),
        close_fds=True,
    )
    os.close(slave)
    seen = bytearray()
    try:
        _read_until(master, b"Password:", seen)
        os.write(master, f"{PASSWORD}\n".encode())
        _read_until(master, b"Apikey:", seen)
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        ps = subprocess.run(
            ["ps", "-o", "args=", "-p", str(proc.pid)], capture_output=True, text=True
        ).stdout
        assert b"config\x00init" in cmdline and "config init" in ps  # the right process
        os.write(master, f"{APIKEY}\n".encode())
        _read_until(master, b"Node", seen)
        os.write(master, b"\n")
        assert proc.wait(timeout=30) == 0
        _read_until(master, b"mode 0600", seen)
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    for secret in (PASSWORD, APIKEY):
        assert secret.encode() not in cmdline and secret not in ps
        assert secret.encode() not in seen  # hidden input: the terminal never shows it
    assert tomllib.loads(path.read_text())["profiles"]["default"]["apikey"] == APIKEY


def test_reading_the_config_does_not_load_tomlkit(tmp_path):
    """Only writers pay for tomlkit's import; every start reads with tomllib."""
    path = tmp_path / "config.toml"
    path.write_text(HAND_WRITTEN)
    code = (
        "import sys\nfrom pathlib import Path\nfrom fivec_tui import config\n"
        f"config.load_profile(Path({str(path)!r}), 'prod', env={{}}).shown()\n"
        "print('tomlkit' in sys.modules)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "False", r.stderr
