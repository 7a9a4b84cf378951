"""The house rule, as a test: a layer imports only layers below it."""

from __future__ import annotations

import ast
from pathlib import Path

import fivec_tui

ROOT = Path(fivec_tui.__file__).parent
# What each layer may not import (by top-level package or fivec_tui sub-package).
FORBIDDEN = {
    "api": {
        "textual",
        "sqlite_utils",
        "sqlite3",
        "aiohttp",
        "fivec_tui.store",
        "fivec_tui.sync",
        "fivec_tui.app",
        "fivec_tui.sim",
        "fivec_tui.config",
    },
    "sim": {
        "textual",
        "sqlite_utils",
        "fivec_tui.api",
        "fivec_tui.config",
        "fivec_tui.store",
        "fivec_tui.sync",
        "fivec_tui.app",
    },
    "store": {"textual", "httpx", "aiohttp", "fivec_tui.sync", "fivec_tui.app", "fivec_tui.sim"},
    "sync": {"textual", "fivec_tui.app", "fivec_tui.sim"},
    "app": {"fivec_tui.cli"},
    "report": {"textual", "httpx", "fivec_tui.sync", "fivec_tui.app", "fivec_tui.cli"},
}


def imports(path: Path, package: str) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                found.add(node.module)
    return found


def test_layers_import_only_downwards():
    problems = []
    for layer, banned in FORBIDDEN.items():
        for path in (ROOT / layer).rglob("*.py"):
            package = f"fivec_tui.{layer}"
            for name in imports(path, package):
                if name == "fivec_tui" or any(
                    name == b or name.startswith(b + ".") for b in banned
                ):
                    problems.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not problems, problems
