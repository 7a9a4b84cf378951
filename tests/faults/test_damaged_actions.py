"""A damaged page in what the tool did: the audit trail, the campaign journal.

Every command says the cache's one line (exit 1), never a traceback; ``doctor --fix`` carries
the trail, the campaigns, the outbox, alerts and settings over, page by page past the damage,
and what it could not read stays visible: a campaign missing rows refuses to be resumed or
sent again blind, a trail missing entries fails ``audit --verify`` naming the first one.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest
from actions import BULK_TEXT, build, damage, leaves

from fivec_tui.store.integrity import cache_problem


@pytest.fixture
def env(sim_thread, poll_env):
    return poll_env(sim_thread)  # the test's state dir (the trail's key and anchor) included


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


def fixed(env: dict[str, str]) -> dict:
    proc = cli(env, "doctor", "--fix", "--json")
    (cache,) = [c for c in json.loads(proc.stdout)["checks"] if c["check"] == "cache"]
    assert cache["status"] == "fixed", cache
    return cache["facts"]


def test_doctor_fix_keeps_the_campaign_and_refuses_to_send_it_blind(env, tmp_path, sim_thread):
    built = build(tmp_path)
    lost = damage(built.db, "campaign_rows")
    facts = fixed(env)
    assert facts["carried"]["audit"] == 2 * built.actions
    assert facts["carried"]["campaigns"] == 1 and facts["damaged_campaigns"] == [built.campaign]
    assert facts["carried"]["campaign_rows"] == built.rows - lost
    assert facts["carried"]["outbox"] == 2 and facts["carried"]["alerts"] == 2
    assert facts["consent"] == 1
    listed = cli(env, "campaign", "list")
    assert listed.returncode == 0 and f"{built.campaign}  " in listed.stdout
    assert "damaged" in listed.stdout and "no campaigns" not in listed.stdout
    shown = cli(env, "campaign", "show", str(built.campaign))
    assert f"read {built.rows - lost} of its {built.rows} rows" in shown.stdout
    resumed = cli(env, "campaign", "resume", str(built.campaign), "--yes")
    assert resumed.returncode == 2 and "could not be read whole" in resumed.stderr
    assert "fivec-tui records --from" in resumed.stderr
    again = cli(env, "send", "--csv", str(built.csv), "--content", BULK_TEXT, "--yes")
    assert again.returncode == 2 and "could not be read whole" in again.stderr
    part = tmp_path / "part.csv"  # another file holding some of its rows: refused as well
    lines = built.csv.read_text(encoding="utf-8").splitlines()
    part.write_text("\n".join([lines[0], *lines[-3:]]), "utf-8")  # never sent
    subset = cli(env, "send", "--csv", str(part), "--content", BULK_TEXT, "--yes")
    assert subset.returncode == 2 and "could not be read whole" in subset.stderr
    assert sum(sim_thread.platform.submissions.values()) == 0  # nothing sent twice
    verified = cli(env, "audit", "--verify")
    assert verified.returncode == 0, verified.stdout
    assert f"verified: {2 * built.actions} entries" in verified.stdout


def test_doctor_fix_keeps_the_trail_and_names_the_first_entry_lost(env, tmp_path):
    built = build(tmp_path)
    damage(built.db, "audit")
    facts = fixed(env)
    assert 0 < facts["carried"]["audit"] < 2 * built.actions
    with sqlite3.connect(built.db) as db:
        ids = [r[0] for r in db.execute("SELECT id FROM audit ORDER BY id")]
    first_missing = next(i for i in range(1, ids[-1]) if i not in ids)
    verified = cli(env, "audit", "--verify")
    assert verified.returncode == 1 and "BROKEN" in verified.stdout
    assert f"entries {first_missing} to" in verified.stdout, verified.stdout
    sent = cli(env, "send", "--to", "13700000009", "--content", "修复后【公司】", "--yes")
    assert sent.returncode == 0, sent.stderr  # the repaired cache works on
    assert cli(env, "audit", "--verify").returncode == 1  # and the gap stays said


def test_doctor_fix_after_the_trails_last_page_is_lost_says_it_was_cut(env, tmp_path):
    built = build(tmp_path)
    damage(built.db, "audit", which=len(leaves(built.db, "audit")) - 1)
    fixed(env)
    verified = cli(env, "audit", "--verify")
    assert verified.returncode == 1 and f"entry {2 * built.actions} was" in verified.stdout


def test_doctor_fix_after_64_kib_overwritten_never_says_an_empty_trail(env, tmp_path):
    """The outsider's damage: 16 pages of random bytes at page 100."""
    built = build(tmp_path, actions=300)
    with open(built.db, "r+b") as fh:
        fh.seek(100 * 4096)
        fh.write(os.urandom(16 * 4096))
    fixed(env)
    listed = cli(env, "campaign", "list")
    assert "no campaigns" not in listed.stdout
    verified = cli(env, "audit", "--verify")
    assert "verified: 0 entries" not in verified.stdout
    if verified.returncode == 0:  # the damage missed the trail: all of it came back
        assert f"verified: {2 * 300} entries" in verified.stdout
