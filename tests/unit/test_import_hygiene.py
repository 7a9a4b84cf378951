"""Imports stay lazy where start-up depends on it, and no two modules import each other.

A cycle of imports, of any length and counting imports inside functions, makes a module's
meaning depend on who imported first; only ``if TYPE_CHECKING:`` imports are exempt.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import fivec_tui

ROOT = Path(fivec_tui.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for n in ast.walk(node)}
    return skipped


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (at the top or inside functions)."""
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text("utf-8"))
        skipped = _type_checking_nodes(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                # ``from pkg import mod`` needs the submodule; ``from pkg import name``, pkg
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                    for a in node.names
                ]
            else:
                continue
            found |= {t for t in targets if t in modules and t != name}
        graph[name] = found
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_sees_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_store_and_sync_load_without_textual():
    loaded = _loaded_after("import fivec_tui.store, fivec_tui.sync")
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.")}


def test_poll_help_loads_without_textual():
    code = (
        "import sys\nsys.argv = ['fivec-tui', 'poll', '--help']\n"
        "from fivec_tui.__main__ import run\ntry:\n    run()\nexcept SystemExit:\n    pass"
    )
    loaded = _loaded_after(code)
    assert "fivec_tui.cli" in loaded or any(m.startswith("fivec_tui.cli") for m in loaded)
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.")}


def test_the_accounts_overview_loads_without_the_sync_engine_or_httpx():
    """With several profiles the Accounts overview is the first screen: its module is
    imported before the first frame, so the engine, the scheduler and httpx (~150 ms) wait
    for the startup task."""
    loaded = _loaded_after("import fivec_tui.app.app, fivec_tui.app.accounts")
    assert not {"httpx", "apscheduler", "fivec_tui.sync.engine", "fivec_tui.sync.accounts"} & loaded


def _reached(graph: dict[str, set[str]], start: list[str]) -> set[str]:
    seen, todo = set(), list(start)
    while todo:
        if (module := todo.pop()) not in seen:
            seen.add(module)
            todo += graph.get(module, ())
    return seen


def _imports_apscheduler(module: str) -> bool:
    path = ROOT.parent / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = path.with_suffix("") / "__init__.py"
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        if any(n.split(".")[0] == "apscheduler" for n in names):
            return True
    return False


def test_the_tui_never_imports_the_sync_engine():
    """The TUI reads what its ``poll`` child (or a daemon) writes to the cache: no module of
    the app, whether loaded at start or later inside a function, reaches the engine, the
    daemons or APScheduler."""
    graph = import_graph()
    reached = _reached(graph, [m for m in graph if m.startswith("fivec_tui.app")])
    engines = {"fivec_tui.sync.engine", "fivec_tui.sync.daemon", "fivec_tui.sync.accounts"}
    assert not engines & reached
    assert not [m for m in reached if _imports_apscheduler(m)]
    # the check itself sees the engine from where it is imported
    assert "fivec_tui.sync.engine" in _reached(graph, ["fivec_tui.sync.daemon"])
    assert _imports_apscheduler("fivec_tui.sync.engine")


def test_commands_without_the_platform_load_without_asyncio():
    """Only a command that calls the platform (``call``) pays for asyncio (~30 ms)."""
    code = (
        "import sys\nsys.argv = ['fivec-tui', 'config', 'path']\n"
        "from fivec_tui.__main__ import run\ntry:\n    run()\nexcept SystemExit:\n    pass"
    )
    assert "asyncio" not in _loaded_after(code)


def test_the_tui_opens_an_up_to_date_cache_without_sqlite_utils(tmp_path):
    """sqlite-utils costs 35-160 ms to import: the TUI opens its cache before its first frame
    (and first reads it in a worker after), so neither the app's modules nor opening a cache
    with nothing to migrate load it."""
    from fivec_tui.store import Store

    Store(tmp_path / "c.db").close()
    code = (
        "import fivec_tui.app.app, fivec_tui.app.dashboard\n"
        "from fivec_tui.store import Store\n"
        f"Store({str(tmp_path / 'c.db')!r}).close()"
    )
    assert "sqlite_utils" not in _loaded_after(code)
    # a new cache (the demo's, a first run) is migrated after the first frame
    demo = f"from fivec_tui.app.demo import demo_app\ndemo_app('quiet', db_dir={str(tmp_path)!r})"
    assert "sqlite_utils" not in _loaded_after(demo)
    # the check itself sees sqlite-utils where a read loads it
    assert "sqlite_utils" in _loaded_after(
        f"{code}\nStore({str(tmp_path / 'c.db')!r}).query('SELECT 1')"
    )


def test_the_tui_starts_without_urllib_request_or_email():
    """What ``fivec-tui demo`` imports before its first frame (the app, the demo, the command
    line, config and the redactor it loads) brings neither urllib.request, http.client nor the
    email package (~10 ms): xml.sax.saxutils did, for the redactor's escape."""
    loaded = _loaded_after(
        "import fivec_tui.language, fivec_tui.cli.main, fivec_tui.cli.run\n"
        "import fivec_tui.app.app, fivec_tui.app.demo"
    )
    assert "fivec_tui.api.redact" in loaded  # the check itself sees the module that did
    assert not {"urllib.request", "http.client", "email", "xml.sax.saxutils"} & loaded
