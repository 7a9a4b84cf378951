"""A scenario file for the simulator is read as the config is: bounded in size and depth, a
FIFO refused without blocking; what cannot be read is said in one line (exit 2), never a
traceback, by ``sim`` and by ``demo``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fivec_tui.sim.scenario import ScenarioError, load
from fivec_tui.toml_file import MAX_BYTES


def bad_files(tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 100_000 + "]" * 100_000)
    huge = tmp_path / "huge.toml"
    huge.write_text("# " + "x" * MAX_BYTES)
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    return {"deep": (deep, "nested more than 32 deep"), "huge": (huge, "bytes, more than"),
            "fifo": (fifo, "not a regular file")}  # fmt: skip


@pytest.mark.parametrize("kind", ["deep", "huge", "fifo"])
def test_a_scenario_that_cannot_be_read_is_a_scenario_error(tmp_path, kind):
    path, said = bad_files(tmp_path)[kind]
    with pytest.raises(ScenarioError, match=said):
        load(str(path))


@pytest.mark.parametrize("command", ["sim", "demo"])
def test_the_commands_say_it_in_one_line(tmp_path, command):
    path, said = bad_files(tmp_path)["deep"]
    r = subprocess.run(
        [sys.executable, "-m", "fivec_tui", command, "--scenario", str(path)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(tmp_path), "TMPDIR": str(tmp_path)},
        timeout=60,
    )
    assert r.returncode == 2, r.stderr
    assert said in r.stderr and "Traceback" not in r.stderr
