"""A demo killed with SIGKILL left its temporary directory (hundreds of MB with the week of
history): the next demo removes it, and nothing else — only a directory of the exact name,
itself (never a link), this user's, 0700, whose recorded owner is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from fivec_tui.app import demo, demo_dirs
from fivec_tui.app.demo_dirs import remove_stale
from fivec_tui.processes import start_time


def gone_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def demo_like(base: Path, name: str, owner: str | None, mode: int = 0o700) -> Path:
    path = base / name
    path.mkdir(mode=0o700)
    (path / "demo.db").write_bytes(b"x" * 1000)
    if owner is not None:
        (path / "owner").write_text(owner + "\n")
    os.chmod(path, mode)
    return path


@pytest.fixture
def base(tmp_path) -> Path:
    path = tmp_path / "tmp"
    path.mkdir()
    return path


def test_only_the_dirs_of_gone_owners_are_removed(base, tmp_path):
    me = f"{os.getpid()} {start_time(os.getpid())}"
    assert start_time(os.getpid()), "no /proc here: the reused-pid case proves nothing"
    stale = demo_like(base, "fivec-demo-abcd_123", str(gone_pid()))
    reused = demo_like(base, "fivec-demo-reused00", f"{os.getpid()} 1")  # same pid, not us
    outside = tmp_path / "precious"
    outside.write_text("keep")
    (stale / "link").symlink_to(outside)  # removed as a link, never followed
    kept = [
        demo_like(base, "fivec-demo-live0000", me),
        demo_like(base, "fivec-demo-noowner0", None),  # an earlier version's, or starting
        demo_like(base, "fivec-demo-opened00", str(gone_pid()), mode=0o755),
        demo_like(base, "fivec-demo-garbage0", "not a pid"),
        demo_like(base, "fivec-demo-toolong00", str(gone_pid())),
        demo_like(base, "fivec-demo-short", str(gone_pid())),
        demo_like(base, "fivec-demo-UPPER000", str(gone_pid())),
        demo_like(base, "other-demo-abcdefgh", str(gone_pid())),
    ]
    target = demo_like(tmp_path, "fivec-demo-target00", str(gone_pid()))
    (base / "fivec-demo-linked00").symlink_to(target)  # a link: neither it nor its target
    owner_link = demo_like(base, "fivec-demo-ownlink0", None)
    (owner_link / "owner").symlink_to(stale / "owner")
    kept.append(owner_link)

    assert sorted(remove_stale(base)) == sorted([stale, reused])
    assert not stale.exists() and not reused.exists() and outside.read_text() == "keep"
    assert all(path.is_dir() for path in kept) and target.is_dir()
    assert (base / "fivec-demo-linked00").is_symlink()


def test_another_users_dir_is_left(base, monkeypatch):
    stale = demo_like(base, "fivec-demo-theirs00", str(gone_pid()))
    monkeypatch.setattr(demo_dirs.os, "getuid", lambda: os.stat(stale).st_uid + 1)
    assert remove_stale(base) == [] and stale.is_dir()


def test_a_sigkilled_owner_leaves_its_dir_and_the_next_demo_removes_it(base, monkeypatch):
    script = (
        "import time\nfrom fivec_tui.app.demo_dirs import demo_dir\n"
        "with demo_dir() as d:\n    print(d, flush=True)\n    time.sleep(120)\n"
    )
    env = {**os.environ, "TMPDIR": str(base)}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE)
    left = Path(proc.stdout.readline().decode().strip())
    assert left.parent == base and (left / "owner").read_text().split()[0] == str(proc.pid)
    assert remove_stale(base) == []  # its owner runs: kept
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert left.is_dir()  # what a SIGKILL leaves

    monkeypatch.setattr(tempfile, "tempdir", str(base))
    seen = []

    class App:
        return_code = 0

        def run(self) -> None:
            for thread in threading.enumerate():  # the scan runs beside the app's start
                if thread.name == "fivec-stale-demos":
                    thread.join()
            seen.extend(path.name for path in base.iterdir())

    def fake_demo_app(scenario, seed, speed, db_dir, at):
        assert Path(db_dir, "owner").read_text().split()[0] == str(os.getpid())
        return App()

    monkeypatch.setattr(demo, "demo_app", fake_demo_app)
    assert demo.run_demo("quiet", 0, 1.0) == 0
    assert left.name not in seen and len(seen) == 1  # only the new demo's, while it ran
    assert list(base.iterdir()) == []  # and that one gone with it


def test_the_demo_starts_without_waiting_for_the_scan(base, monkeypatch):
    """The scan of a temporary directory of thousands of entries runs beside the start."""
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    scanning, go_on = threading.Event(), threading.Event()

    def slow_scan() -> list:
        scanning.set()
        go_on.wait(10)
        return []

    monkeypatch.setattr(demo_dirs, "remove_stale", slow_scan)
    with demo_dirs.demo_dir() as tmp:
        assert scanning.wait(10) and not go_on.is_set() and tmp.is_dir()
        go_on.set()
