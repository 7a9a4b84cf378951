"""Room to write the cache: the reserve, a full disk, a read-only one, a cache not made yet."""

from __future__ import annotations

import os
import sqlite3
from types import SimpleNamespace

import pytest

from fivec_tui.store import space
from fivec_tui.store.space import MIB, reserve, room


def test_the_reserve_is_64_mib_or_two_percent():
    assert reserve(80 * MIB) == 64 * MIB
    assert reserve(100 * 1024 * MIB) == int(100 * 1024 * MIB * 0.02)


def fake_statvfs(free: int, size: int, flags: int = 0):
    def statvfs(path):
        return SimpleNamespace(
            f_bavail=free // 4096, f_frsize=4096, f_blocks=size // 4096, f_flag=flags
        )

    return statvfs


@pytest.mark.parametrize(
    ("free_mib", "flags", "problem"),
    [
        (500, 0, ""),
        (63, 0, "disk full"),
        (500, os.ST_RDONLY, "cache not writable"),
    ],
)
def test_room_says_what_is_wrong(tmp_path, monkeypatch, free_mib, flags, problem):
    monkeypatch.setattr(space.os, "statvfs", fake_statvfs(free_mib * MIB, 1000 * MIB, flags))
    found = room(tmp_path / "c.db")
    assert (found.ok, found.problem) == (not problem, problem)
    assert str(found) == f"{tmp_path / 'c.db'} has {free_mib:.1f} MiB free, needs 64.0 MiB"


def test_a_cache_not_made_yet_is_judged_by_the_nearest_directory(tmp_path):
    found = room(tmp_path / "not" / "yet" / "c.db")
    assert found.writable and found.size > 0 and found.path == tmp_path / "not/yet/c.db"


def test_a_cache_file_without_write_permission_is_not_writable(tmp_path, monkeypatch):
    cache = tmp_path / "c.db"
    cache.write_bytes(b"")
    monkeypatch.setattr(space.os, "access", lambda path, mode: str(path) != str(cache))
    assert room(cache).problem == "cache not writable"


def test_a_disks_failure_is_told_from_a_bugs(tmp_path):
    conn = sqlite3.connect(tmp_path / "c.db")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.OperationalError) as full:
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 100)
    with pytest.raises(sqlite3.OperationalError) as bug:
        conn.execute("SELECT nothing FROM nowhere")
    assert space.disk_error(full.value) and space.disk_error(OSError(28, "No space left"))
    assert not space.disk_error(bug.value) and not space.disk_error(ValueError("x"))
