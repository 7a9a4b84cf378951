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


def test_a_time_without_an_offset_is_said_to_be_in_the_display_zone():
    page = " ".join(help_page("en", "send").split())
    assert "local time" not in page and "[app] timezone" in page


PAGES = """
import io, os, sys, contextlib
from fivec_tui import i18n
i18n.use("zh")
from fivec_tui.__main__ import _rich_help
_rich_help()
from fivec_tui.cli import main
for width in (64, 80, 100):
    os.environ["COLUMNS"] = str(width)
    for page in sys.argv[1:]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main([*page.split(), "--help"], prog_name="fivec-tui", standalone_mode=False)
        print(f"=== {page} {width}")
        print(out.getvalue())
"""
CLOSING = "。，、；：）」』！？"


def test_no_closing_mark_starts_a_line_of_a_chinese_help_page():
    """Rich folds a run of Chinese where the width falls: a 。 or ） could start a line
    (``campaign resume --help`` at 80 columns); they stay with the character before."""
    pages = ["", *(name for name in COMMANDS), *(f"{g} {c}" for g, c in SUBCOMMANDS)]
    r = subprocess.run(
        [sys.executable, "-c", PAGES, *pages],
        capture_output=True,
        text=True,
        env={**os.environ, "FIVEC_CONFIG": ""},
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("=== ") == 3 * len(pages)
    starts = [
        line
        for line in r.stdout.splitlines()
        if line.strip("│ ")[:1] in CLOSING and line.strip("│ ")
    ]
    assert starts == []


SUBCOMMANDS = [
    ("config", "init"),
    ("config", "show"),
    ("subaccounts", "create"),
    ("blacklist", "remove"),
    ("campaign", "resume"),
    ("campaign", "show"),
]


def test_a_break_before_a_closing_mark_moves_a_character_earlier():
    from fivec_tui.cli.linebreak import keep_marks

    def every_4(text: str, width: int, fold: bool = True) -> list[int]:
        return list(range(4, len(text), 4))  # a fold at every 4th character

    def lines(text: str) -> list[str]:
        breaks = keep_marks(every_4)(text, 8)
        return [text[a:b] for a, b in zip([0, *breaks], [*breaks, None], strict=True)]

    assert lines("一二三四五六七八") == ["一二三四", "五六七八"]
    assert lines("一二三四。五六七八") == ["一二三", "四。五六", "七八"]
    assert lines("一二三（四五六七") == ["一二三", "（四五六", "七"]
