"""What another local user can plant where the tool writes: a symlink (dangling, or to a file
of theirs), a FIFO, a file of their own.  Nothing is ever written through a link, the target
is never touched, and no traceback: refused in one line, or (files replaced whole: exports
with --force, bulk outputs, the theme) the link itself replaced.  Whatever the umask, what
the tool makes is 0600 and its directories 0700.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fivec_tui.cli import main
from fivec_tui.private_files import (
    UnsafePath,
    open_private,
    private_dir,
    private_fd,
    read_regular,
)
from fivec_tui.store import Store

THEIRS = "another user's file\n"


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run_process(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """In a process of its own: a FIFO that blocked an open would fail the timeout."""
    return subprocess.run(
        [sys.executable, "-m", "fivec_tui", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def plant(path: Path, kind: str, tmp: Path) -> Path | None:
    """``kind`` at ``path``: a dangling link, a link to a file of 'theirs' (0644), that file
    itself, or a FIFO.  Returns the link's target."""
    target = tmp / "theirs" / f"{path.name}.target"
    target.parent.mkdir(exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
        return None
    if kind in ("to_file", "file"):
        (path if kind == "file" else target).write_text(THEIRS)
        os.chmod(path if kind == "file" else target, 0o644)
    if kind != "file":
        path.symlink_to(target)
    return target


def untouched(target: Path | None, kind: str) -> None:
    if kind == "dangling":
        assert not target.exists() and not os.path.lexists(target)
    elif kind == "to_file":
        assert target.read_text() == THEIRS and stat.S_IMODE(target.stat().st_mode) == 0o644


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def env(tmp_path):
    """An account that is never reached (a refusal comes first), the cache in tmp_path."""
    (tmp_path / "config.toml").write_text("")
    os.chmod(tmp_path / "config.toml", 0o600)
    return {
        "FIVEC_CONFIG": str(tmp_path / "config.toml"),
        "FIVEC_DB": str(tmp_path / "c.db"),
        "FIVEC_BASE_URL": "http://127.0.0.1:9",
        "FIVEC_USERNAME": "u",
        "FIVEC_PASSWORD_MD5": "0" * 32,
        "FIVEC_APIKEY": "k",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }


# -- poll: the cache, its WAL, the log, the lock ---------------------------------------------
@pytest.mark.parametrize("kind", ["dangling", "to_file"])
@pytest.mark.parametrize("name", ["c.db", "c.db-wal", "c.db-shm", "c.log", "c.db.lock"])
def test_poll_never_writes_through_a_link_at_its_files(env, tmp_path, name, kind):
    path = tmp_path / name
    target = plant(path, kind, tmp_path)
    code, _out, err = run(env, "poll", "--once", "--yes")
    assert code == 1
    (line,) = err.splitlines()
    assert str(path) in line and "a symbolic link: refused" in line, line
    untouched(target, kind)
    assert path.is_symlink()


@pytest.mark.parametrize("name", ["c.db", "c.log", "c.db.lock"])
def test_poll_refuses_a_fifo_without_blocking(env, tmp_path, name):
    path = tmp_path / name
    plant(path, "fifo", tmp_path)
    proc = run_process(env, "poll", "--once", "--yes")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.splitlines()
    assert str(path) in line and "not a regular file" in line
    assert stat.S_ISFIFO(os.lstat(path).st_mode)


def test_a_symlinked_data_dir_someone_else_planted_is_refused(env, tmp_path, monkeypatch):
    elsewhere = tmp_path / "evil"
    elsewhere.mkdir()
    data = tmp_path / "data"
    data.symlink_to(elsewhere)
    private_dir(data)  # a link of this user's own (a data dir on another disk): taken
    if os.geteuid() == 0:  # a link of root's is taken too: this one is made someone's
        os.lchown(data, 4242, 4242)
    monkeypatch.setattr(os, "geteuid", lambda: os.lstat(data).st_uid + 1)
    with pytest.raises(UnsafePath, match="symbolic link owned by uid"):
        private_dir(data / "fivec-tui")
    assert list(elsewhere.iterdir()) == []


def test_an_existing_file_of_someone_else_is_never_opened(tmp_path, monkeypatch):
    path = tmp_path / "log"
    path.write_text(THEIRS)
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(path).st_uid + 1)
    for opener in (
        lambda: open_private(path, "a"),
        lambda: private_fd(path, os.O_RDWR),
    ):
        with pytest.raises(UnsafePath, match="not by this user"):
            opener()
    assert path.read_text() == THEIRS


def test_a_new_file_is_made_exclusively(tmp_path):
    path = tmp_path / "out"
    with open_private(path, "w", new=True) as fh:
        fh.write("1")
    with pytest.raises(FileExistsError):
        open_private(path, "w", new=True)
    assert path.read_text() == "1" and mode(path) == 0o600


# -- exports and reports ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["dangling", "to_file", "file"])
@pytest.mark.parametrize("command", ["export", "report"])
def test_an_existing_output_needs_force_and_is_replaced_not_written_through(
    env, tmp_path, command, kind
):
    Store(tmp_path / "c.db").close()
    out = tmp_path / ("out.csv" if command == "export" else "out.md")
    target = plant(out, kind, tmp_path)
    args = ["export", "reports", "--format", "csv"] if command == "export" else ["report"]
    args += (["--from", "-1h"] if command == "report" else []) + ["--output", str(out)]
    code, _out, err = run(env, *args)
    assert code == 2 and f"{out} exists: add --force to replace it" in err
    untouched(target, kind)
    assert out.is_symlink() == (kind != "file")
    code, _out, err = run(env, *args, "--force")
    assert code == 0, err
    untouched(target, kind)
    assert not out.is_symlink() and mode(out) == 0o600
    assert THEIRS not in out.read_text()


def test_an_output_that_is_a_fifo_is_refused_even_with_force(env, tmp_path):
    Store(tmp_path / "c.db").close()
    out = tmp_path / "out.csv"
    plant(out, "fifo", tmp_path)
    proc = run_process(env, "export", "reports", "--output", str(out), "--force")
    assert proc.returncode == 2 and "not a regular file" in proc.stderr
    assert "Traceback" not in proc.stderr and stat.S_ISFIFO(os.lstat(out).st_mode)


def test_a_new_output_is_made_and_a_failed_export_leaves_none(env, tmp_path):
    Store(tmp_path / "c.db").close()
    out = tmp_path / "new.csv"
    assert run(env, "export", "reports", "--output", str(out))[0] == 0
    assert mode(out) == 0o600
    missing = tmp_path / "nowhere" / "x.csv"
    code, _out, err = run(env, "export", "reports", "--output", str(missing))
    assert code == 2 and "cannot write" in err and not missing.parent.exists()


# -- bulk outputs ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["dangling", "to_file"])
def test_bulk_rejects_and_results_replace_a_link_never_write_through_it(sim_thread, tmp_path, kind):
    a = sim_thread.account
    env = {
        "FIVEC_CONFIG": str(tmp_path / "config.toml"),
        "FIVEC_DB": str(tmp_path / "c.db"),
        "FIVEC_BASE_URL": sim_thread.base_url,
        "FIVEC_USERNAME": a.username,
        "FIVEC_PASSWORD_MD5": a.password_md5,
        "FIVEC_APIKEY": a.apikey,
    }
    (tmp_path / "config.toml").write_text("")
    source = tmp_path / "in.csv"
    source.write_text("mobile\n13800000001\n13800000002\n12345\n", encoding="utf-8")
    rejects, results = Path(f"{source}.rejected.csv"), Path(f"{source}.results.csv")
    targets = [plant(p, kind, tmp_path) for p in (rejects, results)]
    code, _out, err = run(env, "send", "--csv", str(source), "--content", "hi【x】", "--yes")
    assert code == 0, err
    for path, target in zip((rejects, results), targets, strict=True):
        untouched(target, kind)
        assert not path.is_symlink() and mode(path) == 0o600
    assert "12345" in rejects.read_text("utf-8-sig")
    assert results.read_text("utf-8-sig").count(",accepted,") == 2


# -- the remembered theme --------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["dangling", "to_file"])
def test_the_theme_state_replaces_a_link(tmp_path, monkeypatch, kind):
    from fivec_tui.app.themes import remember_theme, remembered_theme, state_path

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    state = state_path()
    state.parent.mkdir(parents=True)
    target = plant(state, kind, tmp_path)
    remember_theme("fivec-light")
    untouched(target, kind)
    assert not state.is_symlink() and mode(state) == 0o600
    assert remembered_theme() == "fivec-light"


def test_a_fifo_as_theme_state_neither_blocks_nor_crashes(tmp_path):
    state = tmp_path / "state" / "fivec-tui" / "state.json"
    state.parent.mkdir(parents=True)
    os.mkfifo(state)
    code = (
        "from fivec_tui.app.themes import remember_theme, remembered_theme;"
        "print(remembered_theme()); remember_theme('fivec-light')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout == "None\n", proc.stderr
    assert "not remembered" in proc.stderr and stat.S_ISFIFO(os.lstat(state).st_mode)


# -- config init -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["dangling", "to_file"])
def test_config_init_refuses_a_symlinked_config(tmp_path, kind):
    config = tmp_path / "config.toml"
    target = plant(config, kind, tmp_path)
    env = {"FIVEC_CONFIG": str(config)}
    args = ("config", "init", "--username", "u", "--password-stdin")
    code, _out, err = run(env, *args, stdin="p\nk\n")
    assert code == 2 and "a symbolic link: not rewritten" in err and str(config) in err
    untouched(target, kind)
    assert config.is_symlink()


def test_config_init_replaces_its_own_file_0600(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("# mine\n")
    os.chmod(config, 0o644)
    code, _out, err = run(
        {"FIVEC_CONFIG": str(config)},
        *("config", "init", "--username", "u", "--password-stdin"),
        stdin="p\nk\n",
    )
    assert code == 0, err
    assert mode(config) == 0o600 and config.read_text().startswith("# mine\n")


# -- the umask -------------------------------------------------------------------------------
def test_umask_000_still_gives_private_files(sim_thread, tmp_path):
    """The daemon (cache, WAL, SHM, log, lock), an export, a report and the theme's state, in
    directories that did not exist, from a process whose umask is 000."""
    home = tmp_path / "home"
    a = sim_thread.account
    env = {
        **os.environ,
        "FIVEC_CONFIG": str(tmp_path / "config.toml"),
        "FIVEC_DB": str(home / "data" / "c.db"),
        "FIVEC_BASE_URL": sim_thread.base_url,
        "FIVEC_USERNAME": a.username,
        "FIVEC_PASSWORD_MD5": a.password_md5,
        "FIVEC_APIKEY": a.apikey,
        "XDG_STATE_HOME": str(home / "state"),
    }
    (tmp_path / "config.toml").write_text("")
    code = (
        "import os, sys; os.umask(0); sys.argv[0] = 'fivec-tui';"
        "from fivec_tui.cli import main; main()"
    )

    def fivec(*args: str) -> None:
        proc = subprocess.run(
            [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr

    fivec("poll", "--once", "--yes")
    (home / "out").mkdir(mode=0o700)
    fivec("export", "records", "--output", str(home / "out" / "r.csv"))
    fivec("report", "--from", "-1h", "--output", str(home / "out" / "r.md"))
    open_cache = (  # the WAL and SHM exist while a connection is open: listed then
        "import os, json; os.umask(0); from fivec_tui.store import Store;"
        "from fivec_tui.app.themes import remember_theme; remember_theme('x');"
        "s = Store(os.environ['FIVEC_DB']); s.set_setting('k', 'v');"
        "d = os.path.dirname(os.environ['FIVEC_DB']);"
        "print(json.dumps({n: os.stat(os.path.join(d, n)).st_mode & 0o777 for n in os.listdir(d)}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", open_cache], env=env, text=True, capture_output=True
    )
    assert proc.returncode == 0, proc.stderr
    while_open = json.loads(proc.stdout)
    assert {"c.db-wal", "c.db-shm"} <= set(while_open)
    assert set(while_open.values()) == {0o600}, while_open
    found = {str(p.relative_to(home)): stat.S_IMODE(os.lstat(p).st_mode) for p in home.rglob("*")}
    made = {"data/c.db", "data/c.log", "data/c.db.lock", "out/r.csv", "out/r.md"}
    assert made | {"state/fivec-tui/state.json"} <= set(found)
    wrong = {
        name: f"{m:04o}"
        for name, m in found.items()
        if m != (0o700 if (home / name).is_dir() else 0o600)
    }
    assert not wrong, wrong


def test_read_regular_refuses_big_and_odd_files_unread(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(UnsafePath, match="2048 bytes, more than the 1024 bytes"):
        read_regular(big, 1024)
    with pytest.raises(UnsafePath, match="not a regular file"):
        read_regular(tmp_path, 1024)
    assert read_regular(big, 4096) == b"x" * 2048
