"""The two READMEs: the Chinese one starts with the same two set-up commands, has the
same sections, and each links to the other at its top."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
EN = ROOT / "README.md"
ZH = ROOT / "README.zh-CN.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def _text(path: Path) -> str:
    return path.read_text("utf-8")


def _outside_fences(text: str) -> str:
    return FENCE.sub("", text)


def _setup_commands(text: str) -> list[str]:
    """The first fenced shell block, which comes before the first section: the set-up."""
    head = text.split("\n## ", 1)[0]
    blocks = [body for lang, body in FENCE.findall(head) if lang in ("sh", "shell", "bash")]
    assert blocks, "no fenced shell block before the first section"
    return blocks[0].splitlines()


def _sections(text: str) -> list[str]:
    return re.findall(r"^## .*$", _outside_fences(text), re.M)


def test_the_chinese_readme_starts_with_the_same_two_setup_commands_byte_for_byte():
    english = _setup_commands(_text(EN))
    assert len(english) == 2, english
    assert _setup_commands(_text(ZH)) == english
    assert _text(ZH).startswith(_text(EN).split("\n", 1)[0] + "\n")  # the same title


def test_the_chinese_readme_has_as_many_sections_as_the_english_one():
    english, chinese = _sections(_text(EN)), _sections(_text(ZH))
    assert len(english) >= 8
    assert len(chinese) == len(english), (english, chinese)


@pytest.mark.parametrize(
    ("path", "link"),
    [(EN, "[中文说明](README.zh-CN.md)"), (ZH, "[English](README.md)")],
    ids=["en", "zh"],
)
def test_each_readme_links_to_the_other_under_its_title(path, link):
    lines = [line for line in _text(path).splitlines()[:4] if line.strip()]
    assert lines[0] == "# fivec-tui"
    assert lines[1] == link


def test_the_chinese_readmes_toml_examples_still_parse():
    """Comments are translated there, the keys and values are not: each example stays TOML."""
    examples = [body for lang, body in FENCE.findall(_text(ZH)) if lang == "toml"]
    assert examples
    for example in examples:
        tomllib.loads(example)
