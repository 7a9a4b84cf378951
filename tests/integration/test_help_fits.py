"""The command lists of ``--help`` at 80 columns, in Chinese as in English: every command's
line whole (rich-click cuts a list line that overflows, and Chinese has no spaces to wrap
at), and no help text pointing at a README that only links onward."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fivec_tui import i18n
from fivec_tui.cli.main import COMMANDS

GROUPS = ["", "config", "subaccounts", "blacklist", "campaign"]


def help_page(lang: str, *group: str) -> str:
    env = {**os.environ, "COLUMNS": "80", "FIVEC_CONFIG": "", "LC_ALL": "C.UTF-8"}
    r = subprocess.run(
        [sys.executable, "-m", "fivec_tui", "--lang", lang, *group, "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def command_lines(page: str, lang: str) -> list[str]:
    title = "命令" if lang == "zh" else "Commands"
    lines = page.splitlines()
    start = next(i for i, line in enumerate(lines) if f"─ {title} ─" in line)
    return [line.strip("│ ") for line in lines[start + 1 :] if line.startswith("│")]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_command_line_is_whole_at_80_columns(lang):
    listed = command_lines(help_page(lang), lang)
    try:
        i18n.use(lang)
        wanted = {name: i18n._(short) for name, (_m, _a, short) in COMMANDS.items()}
    finally:
        i18n.use("en")
    for name, short in wanted.items():
        assert f"{name} {short}" in [" ".join(line.split(maxsplit=1)) for line in listed], (
            name,
            short,
        )


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("group", GROUPS[1:])
def test_no_subcommand_line_is_cut(lang, group):
    listed = command_lines(help_page(lang, group), lang)
    assert listed and not [line for line in listed if "…" in line]
    assert all(line.split()[0].isascii() for line in listed)  # one line per subcommand


def test_no_help_points_at_the_readme():
    for group in GROUPS[1:]:
        assert "README" not in help_page("en", group)
    assert "README" not in help_page("en")
    for command in ("send", "serve"):
        assert "README" not in help_page("en", command)
