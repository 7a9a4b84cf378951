"""The READMEs and the topic pages as the doc tests read them: sections, fenced blocks,
tables, links and anchors, the commands of the shell blocks."""

from __future__ import annotations

import ast
import re
import shlex
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "fivec_tui/docs"
README = {"en": ROOT / "README.md", "zh": ROOT / "README.zh-CN.md"}
#: Where each language's topic pages are.
PAGES = {"en": DOCS, "zh": DOCS / "zh-CN"}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6}) (.*)$", re.M)
SHELL = ("sh", "shell", "bash")


def text(path: Path) -> str:
    return path.read_text("utf-8")


def topic_pages(language: str) -> list[Path]:
    return sorted(PAGES[language].glob("*.md"))


def every_page(language: str) -> list[Path]:
    return [README[language], *topic_pages(language)]


def outside_fences(markdown: str) -> str:
    return FENCE.sub("", markdown)


def blocks(markdown: str) -> list[tuple[str, str]]:
    """Each fenced block as ``(language, body)``."""
    return FENCE.findall(markdown)


def sections(markdown: str) -> list[tuple[str, str]]:
    """``(title, body)`` of each ``##`` section outside fences; what comes before the first
    one is titled ``""``."""
    fenced = [m.span() for m in FENCE.finditer(markdown)]
    parts, title, start = [], "", 0
    for m in re.finditer(r"^## (.*)$", markdown, re.M):
        if any(a <= m.start() < b for a, b in fenced):
            continue
        parts.append((title, markdown[start : m.start()]))
        title, start = m[1], m.end()
    parts.append((title, markdown[start:]))
    return parts


def table_rows(markdown: str) -> list[list[str]]:
    """The cells of every table row outside fences, the separator rows left out."""
    rows = []
    for line in outside_fences(markdown).splitlines():
        if line.startswith("|") and not re.fullmatch(r"[|\-: ]+", line):
            cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
            rows.append([cell.strip() for cell in cells])
    return rows


def links(markdown: str) -> list[str]:
    return LINK.findall(outside_fences(markdown))


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for _hashes, heading in HEADING.findall(outside_fences(markdown)):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def _command(line: str) -> str:
    """A shell line without its comment (``  # ...``)."""
    return re.split(r"\s{2,}#", line, maxsplit=1)[0].rstrip()


def _commands_of(body: str) -> list[str]:
    return [_command(line) for line in body.splitlines() if not line.startswith("#")]


def _first_words(body: str) -> list[list[str]]:
    return [line.split()[:1] for line in body.splitlines()]


def same_block(language: str, english: str, chinese: str) -> bool:
    """Whether a translated block is the English one with only its comments translated (in a
    ``text`` block, a tree, the notes beside the names)."""
    if language in SHELL:
        return _commands_of(english) == _commands_of(chinese)
    if language == "toml":
        return tomllib.loads(english) == tomllib.loads(chinese)
    if language == "text":
        return _first_words(english) == _first_words(chinese)
    return english == chinese


def commands(markdown: str) -> list[list[str]]:
    """The arguments of each ``fivec-tui`` line of the shell blocks, without the program's
    name, cut at a redirection or a pipe."""
    found = []
    for language, body in blocks(markdown):
        if language not in SHELL:
            continue
        for line in body.splitlines():
            words = shlex.split(_command(line), comments=True)
            if words[:1] != ["fivec-tui"]:
                continue
            cut = next((i for i, w in enumerate(words) if w in ("<", ">", "|")), len(words))
            found.append(words[1:cut])
    return found


#: Keys as the tables write them, by Textual's name.
SHOWN = {
    "question_mark": "?",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "minus": "-",
    "plus": "+",
    "equals_sign": "=",
    "escape": "esc",
    "left": "←",
    "right": "→",
    "shift+left": "shift+←",
    "shift+right": "shift+→",
}


def bindings() -> dict[str, set[str]]:
    """Every ``Binding(keys, ..., id=...)`` of the app, read from its source: id -> the keys
    as the tables show them."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "fivec_tui/app").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Binding"):
                continue
            ids = [k.value.value for k in node.keywords if k.arg == "id"]
            if ids and isinstance(node.args[0], ast.Constant):
                keys = node.args[0].value.split(",")
                found[ids[0]] = {SHOWN.get(k, k) for k in keys}
    return found


def keys_table(markdown: str) -> list[tuple[set[str], list[str]]]:
    """The rows of the tables whose last column holds binding ids: (keys, ids)."""
    rows = []
    for cells in table_rows(markdown):
        ids = [i.strip(" `") for i in cells[-1].split(",")]
        if len(cells) >= 3 and all("." in i for i in ids) and cells[0].startswith("`"):
            keys = {k.strip("`") for k in cells[0].split()}
            rows.append((keys, ids))
    return rows
