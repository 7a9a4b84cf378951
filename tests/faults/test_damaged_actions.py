"""A damaged page in what the tool did: the audit trail, the campaign journal.

Every command says the cache's one line (exit 1), never a traceback; ``doctor --fix`` carries
the trail, the campaigns, the outbox, alerts and settings over, page by page past the damage,
and what it could not read stays visible: a campaign missing rows refuses to be resumed or
sent again blind, a trail missing entries fails ``audit --verify`` naming the first one.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from actions import BULK_TEXT, build, damage

from fivec_tui.store.integrity import cache_problem


@pytest.fixture
def env(sim_thread, poll_env, tmp_path):
    return {**poll_env(sim_thread), "XDG_STATE_HOME": str(tmp_path / "state")}


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "fivec_tui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def test_every_command_on_a_damaged_page_says_one_line(env, tmp_path, sim_thread):
    built = build(tmp_path)
    damage(built.db, "campaign_rows")
    assert cache_problem(built.db).damaged
    commands = [
        ["campaign", "list"],
        ["campaign", "show", str(built.campaign)],
        ["send", "--to", "13700000001", "--content", "测试【公司】", "--yes"],
        ["send", "--csv", str(built.csv), "--content", BULK_TEXT, "--yes"],
    ]
    for args in commands:
        proc = cli(env, *args)
        assert proc.returncode == 1, (args, proc.stderr)
        (line,) = proc.stderr.splitlines()
        assert str(built.db) in line and "damaged" in line and "doctor --fix" in line, line
    assert sum(sim_thread.platform.submissions.values()) == 0  # nothing went out
