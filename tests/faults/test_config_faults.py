"""A config file nobody meant: 100,000 levels deep, megabytes long, a FIFO, a directory.
Each is one line naming the file, exit 2, at once (a FIFO never blocks the read)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from fivec_tui.config import ConfigError, load_profile
from fivec_tui.toml_file import MAX_DEPTH, too_deep

DEEP = 100_000


def hostile(path: Path, kind: str) -> None:
    if kind == "deep array":
        path.write_text("a = " + "[" * DEEP + "]" * DEEP + "\n")
    elif kind == "deep inline table":
        path.write_text("a = " + "{b = " * DEEP + "1" + "}" * DEEP + "\n")
    elif kind == "deep in a profile":
        path.write_text("[profiles.x]\nusername = 'u'\nextra = " + "[" * DEEP + "]" * DEEP)
    elif kind == "2 MiB":
        path.write_text("# padding\n" * (2 * 1024 * 1024 // 10 + 1))
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()


KINDS = ["deep array", "deep inline table", "deep in a profile", "2 MiB", "fifo", "directory"]
SAID = {"fifo": "not a regular file", "directory": "not a regular file", "2 MiB": "1 MiB"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", [["config", "show"], ["poll", "--once"], []])
def test_hostile_config_is_one_line_exit_2(tmp_path, kind, command):
    config = tmp_path / "config.toml"
    hostile(config, kind)
    proc = subprocess.run(
        [sys.executable, "-m", "fivec_tui", "--config", str(config), *command],
        env={**os.environ, "FIVEC_DB": str(tmp_path / "c.db")},
        capture_output=True,
        text=True,
        timeout=60,  # a FIFO opened blocking would hang here
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"Error: {config}: ")
    assert SAID.get(kind, f"nested more than {MAX_DEPTH} deep") in line


@pytest.mark.parametrize("kind", KINDS)
def test_config_init_over_a_hostile_config_is_refused(tmp_path, kind):
    config = tmp_path / "config.toml"
    hostile(config, kind)
    init = ["config", "init", "--username", "u", "--password-stdin"]
    proc = subprocess.run(
        [sys.executable, "-m", "fivec_tui", "--config", str(config), *init],
        input="p\nk\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert str(config) in proc.stderr


@pytest.mark.parametrize(
    "text",
    [
        'a = "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["',
        "a = '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['",
        'a = """\n[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["""',
        "a = '''\n{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{'''",
        'a = "\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["',
        'a = """x""""\nb = 1',
        "# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\nb = [[1], [2]]",
        "[[x]]\ny = {z = [[{w = 1}]]}",
    ],
)
def test_brackets_in_strings_and_comments_do_not_count(text):
    assert too_deep(text, MAX_DEPTH) is None
    tomllib.loads(text)  # and the text is valid TOML


def test_nesting_up_to_the_limit_loads(tmp_path):
    config = tmp_path / "c.toml"
    depth = MAX_DEPTH
    config.write_text("[profiles.x]\nusername = 'u'\n" + "extra = " + "[" * depth + "]" * depth)
    assert load_profile(config, "x", env={}).username == "u"
    config.write_text("x = " + "[" * (depth + 1) + "]" * (depth + 1))
    with pytest.raises(ConfigError, match="line 1"):
        load_profile(config, "x", env={})
