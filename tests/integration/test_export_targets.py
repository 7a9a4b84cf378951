"""``export`` and ``report`` never write over the cache, the files beside it or the config,
whatever way the path is spelled and whatever ``--force`` says."""

from __future__ import annotations

import os

import pytest
from clirun import run

from fivec_tui.store import Store


@pytest.fixture
def env(tmp_path):
    db = tmp_path / "c.db"
    store = Store(db)
    store.insert("records", {"msgid": "1" * 14, "mobile": "13800138000", "sent_at": 1.7e9})
    store.close()
    (tmp_path / "conf.md").write_text("")
    for name in ("c.log", "c.db.lock"):
        (tmp_path / name).write_text("x")
    return {"FIVEC_CONFIG": str(tmp_path / "conf.md"), "FIVEC_DB": str(db)}


def spellings(tmp_path):
    """Every way to name a protected file, and what each names."""
    (tmp_path / "via").symlink_to(tmp_path)
    (tmp_path / "alias.csv").symlink_to(tmp_path / "c.db")
    (tmp_path / "wal-alias").symlink_to(tmp_path / "c.db-wal")  # dangling until SQLite makes it
    os.link(tmp_path / "c.db", tmp_path / "hard.csv")
    return [
        tmp_path / "c.db",
        tmp_path / "sub" / ".." / "c.db",
        tmp_path / "via" / "c.db",
        tmp_path / "alias.csv",
        tmp_path / "hard.csv",
        tmp_path / "c.db-wal",
        tmp_path / "wal-alias",
        tmp_path / "c.db-shm",
        tmp_path / "c.db-journal",
        tmp_path / "c.db.lock",
        tmp_path / "c.log",
        tmp_path / "conf.md",
    ]


@pytest.mark.parametrize("force", [False, True])
def test_export_refuses_the_cache_and_its_files_however_spelled(env, tmp_path, force):
    (tmp_path / "sub").mkdir()
    targets = spellings(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    for target in targets:
        args = ["export", "records", "--format", "csv", "--output", str(target)]
        code, _out, err = run(env, *args, *(["--force"] if force else []))
        assert code == 2 and "refused, whatever --force says" in err, (target, err)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before
    code, _out, _err = run(
        env, "export", "records", "--format", "csv", "--output", str(tmp_path / "x.csv")
    )
    assert code == 0, _err


def test_report_refuses_the_config(env, tmp_path):
    code, _out, err = run(
        env, "report", "--from", "-1h", "--output", env["FIVEC_CONFIG"], "--force"
    )
    assert code == 2 and "this is the config" in err
    assert (tmp_path / "conf.md").read_text() == ""
