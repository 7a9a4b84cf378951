"""``send --csv`` and ``campaign list|show|resume`` as scripts use them: JSON shapes, exit
codes, the files beside the input, Ctrl+C, and the same file never sent twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from fivec_tui import i18n
from fivec_tui.cli import main
from fivec_tui.store import Store
from fivec_tui.store import campaigns as journal

SIGNED = "【公司】"


@pytest.fixture
def env(sim_thread, tmp_path):
    a = sim_thread.account
    (tmp_path / "config.toml").write_text("")
    return {
        "FIVEC_CONFIG": str(tmp_path / "config.toml"),
        "FIVEC_DB": str(tmp_path / "c.db"),
        "FIVEC_BASE_URL": sim_thread.base_url,
        "FIVEC_USERNAME": a.username,
        "FIVEC_PASSWORD_MD5": a.password_md5,
        "FIVEC_APIKEY": a.apikey,
    }


def run(env, *args):
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def lines(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def csv_file(tmp_path, n, extra=()):
    path = tmp_path / "in.csv"
    rows = ["mobile,name"] + [f"138{i:08d},客户{i}" for i in range(n)] + list(extra)
    path.write_text("\n".join(rows), encoding="utf-8")
    return path


def test_send_csv_json_lines_exit_0_with_rejects(env, tmp_path, sim_thread):
    path = csv_file(tmp_path, 250, ["12345,坏", "13800000001,重复"])
    code, out, _ = run(
        env, "send", "--csv", str(path), "--content", "{name}您好" + SIGNED, "--yes", "--json"
    )
    assert code == 0  # every valid row accepted, whatever was rejected
    events = lines(out)
    summary, done = events[0], events[-1]
    assert summary["event"] == "summary" and summary["valid"] == 250
    assert summary["rejected"] == {"duplicate": 1, "invalid_number": 1}
    assert summary["traffic"] == "personal" and summary["rate"] == 200
    assert {e["event"] for e in events[1:-1]} == {"progress"}
    assert done["event"] == "done" and done["accepted"] == 250 and done["unknown"] == 0
    assert (tmp_path / "in.csv.rejected.csv").exists()
    assert (tmp_path / "in.csv.results.csv").read_text("utf-8-sig").count(",accepted,") == 250
    assert set(sim_thread.platform.submissions.values()) == {1}

    code, out, _ = run(env, "campaign", "show", str(done["campaign"]), "--json")
    shown = json.loads(out)
    assert list(shown) == [
        *("id", "state", "rows", "submitted", "accepted", "failed", "unknown", "delivery")
    ]
    assert shown["state"] == "done"
    assert (shown["rows"], shown["submitted"], shown["accepted"], shown["unknown"]) == (
        250,
        250,
        250,
        [],
    )
    assert set(shown["delivery"]) == {"sent", "delivered", "failed", "pending", "rate"}
    code, out, _ = run(env, "campaign", "list", "--json")
    (listed,) = json.loads(out)
    assert list(listed) == ["id", "created_at", "rows", "submitted", "unknown", "state"]
    assert listed["state"] == "done" and listed["created_at"].endswith("+08:00")


def test_strict_refuses_the_whole_file(env, tmp_path, sim_thread):
    path = csv_file(tmp_path, 5, ["12345,坏"])
    code, _, err = run(
        env, "send", "--csv", str(path), "--content", "您好" + SIGNED, "--yes", "--strict"
    )
    assert code == 2 and "--strict" in err
    assert not sim_thread.platform.submissions
    assert journal.campaigns(Store(tmp_path / "c.db")) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--content", "{city}" + SIGNED],  # no such column
        ["--to", "13800138000", "--content", "x"],
        [],  # neither content nor template
    ],
)
def test_bad_usage_is_exit_2(env, tmp_path, args):
    code, _, _ = run(env, "send", "--csv", str(csv_file(tmp_path, 3)), "--yes", *args)
    assert code == 2


def test_no_terminal_and_no_yes_sends_nothing(env, tmp_path, sim_thread):
    code, _, err = run(env, "send", "--csv", str(csv_file(tmp_path, 3)), "--content", "x" + SIGNED)
    assert code == 2 and "--yes" in err and not sim_thread.platform.submissions


def test_an_unfinished_campaign_is_resumed_never_sent_again(env, tmp_path, sim_thread):
    path = csv_file(tmp_path, 120)
    balance = sim_thread.platform.main.balance
    sim_thread.platform.main.balance = 0
    args = ["send", "--csv", str(path), "--content", "通知" + SIGNED, "--yes"]
    code, _, err = run(env, *args)
    assert code == 1 and "campaign resume 1" in err
    code, _, err = run(env, *args)
    assert code == 2 and "campaign resume 1" in err  # the same file again: refused
    sim_thread.platform.main.balance = balance
    code, out, _ = run(env, "campaign", "resume", "1", "--yes", "--json")
    assert code == 0
    events = lines(out)
    assert events[0] == {"event": "settled", "sent": 0, "unsent": 0, "waiting": 0}
    assert events[-1]["accepted"] == 120 and events[-1]["state"] == "done"
    assert len(sim_thread.platform.submissions) == 120
    assert set(sim_thread.platform.submissions.values()) == {1}
    code, _, err = run(env, *args)  # finished: the same file again only when asked
    assert code == 2 and "--again" in err and set(sim_thread.platform.submissions.values()) == {1}
    code, _, _ = run(env, *args, "--again")
    assert code == 0 and set(sim_thread.platform.submissions.values()) == {2}


def test_ctrl_c_pauses_after_the_request_in_flight(env, tmp_path, sim_thread):
    path = csv_file(tmp_path, 400)
    args = ["--csv", str(path), "--content", "通知" + SIGNED, "--rate", "100", "--yes", "--json"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "fivec_tui", "send", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = proc.stdout.readline()  # the summary: sending starts now
    assert json.loads(first)["event"] == "summary"
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 1
    done = lines(out)[-1]
    assert done["state"] == "paused" and done["unknown"] == 0
    assert 0 < done["accepted"] < 400 and done["accepted"] % 100 == 0
    assert done["planned"] == 400 - done["accepted"]
    code, _, _ = run(env, "campaign", "resume", "1", "--yes")
    assert code == 0
    assert len(sim_thread.platform.submissions) == 400
    assert set(sim_thread.platform.submissions.values()) == {1}


def test_show_lists_the_unknown_rows_for_people_and_scripts(env, tmp_path):
    from fivec_tui.sync.bulk.prepare import create, prepare

    store = Store(tmp_path / "c.db")
    cid = create(store, prepare(csv_file(tmp_path, 150), encode="UTF-8", content="通知" + SIGNED))
    journal.mark_sending(store, journal.next_planned(store, cid).id)  # then the run died
    journal.abandon_in_flight(store, cid)
    code, out, _ = run(env, "campaign", "show", str(cid))
    assert code == 0
    assert "150 rows: 150 submitted, 0 accepted, 0 failed, 150 unknown, 0 not sent" in out
    assert "unknown (row:mobile): 2:13800000000, 3:13800000001" in out
    code, out, _ = run(env, "campaign", "show", str(cid), "--json")
    assert json.loads(out)["unknown"][:2] == [
        {"row": 2, "mobile": "13800000000"},
        {"row": 3, "mobile": "13800000001"},
    ]
    try:
        code, out, _ = run(env, "--lang", "zh", "campaign", "list")
    finally:
        i18n.use("en")
    assert code == 0 and "已提交 150/150，未知 150" in out
    code, _, err = run(env, "campaign", "show", "99")
    assert code == 2 and "no campaign 99" in err


def test_a_second_ctrl_c_stops_at_once_and_resume_settles_the_request_in_flight(
    env, tmp_path, sim_thread
):
    sim_thread.server.faults = {"send": {"latency_ms": 800}}  # a request is mostly in flight
    path = csv_file(tmp_path, 400)
    args = ["--csv", str(path), "--content", "通知" + SIGNED, "--rate", "100", "--yes", "--json"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "fivec_tui", "send", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc.stdout.readline()
    time.sleep(1.4)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    done = lines(out)[-1]
    assert proc.returncode == 1 and done["state"] == "paused"
    assert done["unknown"] in (0, 100) and done["accepted"] + done["unknown"] < 400
    sim_thread.server.faults = {}
    code, out, _ = run(env, "campaign", "resume", "1", "--yes", "--settle-after", "0", "--json")
    assert code == 0
    settled = lines(out)[0]
    assert settled["sent"] + settled["unsent"] == done["unknown"]
    assert len(sim_thread.platform.submissions) == 400
    assert set(sim_thread.platform.submissions.values()) == {1}
