"""Textual and textual-serve through their public API only: no private module or name
imported, no private attribute of theirs read, written or called, and nothing of theirs
replaced (a monkeypatch) but where their documentation says to, in any module under fivec_tui/.

What counts as private is read from the installed packages when the test runs: every ``_name``
they define or use as an attribute. An attribute of ours that bears one of those names on a
subclass of theirs would shadow theirs, and is refused too.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import textwrap
from functools import cache
from pathlib import Path

import fivec_tui

PACKAGE = Path(fivec_tui.__file__).parent
HOOKS = PACKAGE / "app" / "textual_hooks.py"
#: What their documentation says to replace: ScrollBar's docstring sets ``ScrollBar.renderer``.
DOCUMENTED = {"ScrollBar.renderer"}
THEIRS = ("textual", "textual_serve")
#: A NamedTuple's methods: public API behind an underscore, by convention.
NAMEDTUPLE = {"_replace", "_asdict", "_fields", "_make"}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__")


def _private_in(path: str) -> frozenset[str]:
    names = set()
    for node in ast.walk(ast.parse(Path(path).read_text("utf-8"))):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
    return frozenset(n for n in names if _private(n)) - NAMEDTUPLE


@cache
def their_private_names(path: str | None = None) -> frozenset[str]:
    """Every ``_name`` defined or used as an attribute in ``path``, or in all their files."""
    if path is not None:
        return _private_in(path)
    names: set[str] = set()
    for package in THEIRS:
        root = Path(importlib.util.find_spec(package).origin).parent
        for file in root.rglob("*.py"):
            names |= their_private_names(str(file))
    return frozenset(names)


def _theirs(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in THEIRS


@cache
def private_of(base: type) -> frozenset[str]:
    """The private names of class ``base`` of theirs: its methods and class attributes, and
    what its own code sets or reads as ``self._x``."""
    names = {n for n in vars(base) if _private(n)}
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(base)))
    except (OSError, TypeError):
        return frozenset(names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", "") == "self":
            names.add(node.attr)
    return frozenset(n for n in names if _private(n)) - NAMEDTUPLE


def names_under(node: ast.ClassDef, module: str | None, bound: set[str]) -> frozenset[str]:
    """The private names of the classes of theirs that class ``node`` derives from; all of
    theirs when the class cannot be looked up but names one of theirs as a base; none when
    it derives from nothing of theirs."""
    cls = getattr(importlib.import_module(module), node.name, None) if module else None
    if isinstance(cls, type):
        bases = [base for base in cls.__mro__ if _theirs(base.__module__)]
        return frozenset().union(*map(private_of, bases))
    named = {ast.unparse(base).split(".")[0] for base in node.bases}
    return their_private_names() if named & bound else frozenset()


def problems_in(source: str, name: str, module: str | None = None) -> list[str]:
    """What ``source`` (file ``name``, importable as ``module``) does with Textual or
    textual-serve beyond their public API."""
    tree = ast.parse(source)
    found: list[str] = []
    bound: set[str] = set()  # names that hold a module, class or function of theirs
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _theirs(alias.name):
                    bound.add(alias.asname or alias.name.split(".")[0])
                    if any(map(_private, alias.name.split("."))):
                        found.append(f"{name}:{node.lineno}: imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and _theirs(node.module):
            for alias in node.names:
                bound.add(alias.asname or alias.name)
                if any(map(_private, node.module.split("."))) or _private(alias.name):
                    found.append(f"{name}:{node.lineno}: imports {alias.name} from {node.module}")
    if not bound:
        return found  # nothing of theirs in hand here
    private = their_private_names()
    for node in ast.walk(tree):
        on_self = isinstance(node, ast.Attribute) and getattr(node.value, "id", "") == "self"
        if isinstance(node, ast.Attribute) and node.attr in private and not on_self:
            found.append(f"{name}:{node.lineno}: uses their private .{node.attr}")
        elif isinstance(node, ast.ClassDef):
            found += _overrides(node, name, names_under(node, module, bound))
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign | ast.Delete):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) in ("setattr", "delattr")
            and node.args
        ):
            targets = [ast.Attribute(value=node.args[0], attr="?")]
        for target in targets:
            root = target
            while isinstance(root, ast.Attribute | ast.Subscript):
                root = root.value
            replaced = target is not root and isinstance(root, ast.Name) and root.id in bound
            if replaced and ast.unparse(target) not in DOCUMENTED:
                found.append(f"{name}:{node.lineno}: replaces {ast.unparse(target)}")
    return found


def _overrides(node: ast.ClassDef, name: str, theirs: frozenset[str]) -> list[str]:
    """The methods, class attributes and ``self._x`` of class ``node`` named as theirs."""
    found = []
    for item in node.body:
        defined = [getattr(item, "name", None)]
        if isinstance(item, ast.Assign | ast.AnnAssign):
            targets = item.targets if isinstance(item, ast.Assign) else [item.target]
            defined = [t.id for t in targets if isinstance(t, ast.Name)]
        found += [
            f"{name}:{item.lineno}: defines their private {d}" for d in defined if d in theirs
        ]
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Attribute)
            and getattr(sub.value, "id", "") == "self"
            and sub.attr in theirs
        ):
            found.append(f"{name}:{sub.lineno}: uses their private .{sub.attr}")
    return found


def test_no_module_goes_beyond_the_public_api():
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(("fivec_tui", *path.relative_to(PACKAGE).with_suffix("").parts))
        source, name = path.read_text("utf-8"), str(path.relative_to(PACKAGE))
        problems += problems_in(source, name, module.removesuffix(".__init__"))
    assert problems == []


def test_the_hooks_module_replaces_only_what_textual_documents():
    """The scroll bars' renderer, set as Textual's docstring of ScrollBar shows; any other
    class attribute of theirs set there would be found."""
    source = HOOKS.read_text("utf-8")
    assert "ScrollBar.renderer = " in source and problems_in(source, "textual_hooks.py") == []
    changed = source.replace("ScrollBar.renderer = ", "ScrollBar.DEFAULT_CSS = ")
    assert any("replaces ScrollBar.DEFAULT_CSS" in p for p in problems_in(changed, "h.py"))
    from textual.scrollbar import ScrollBar

    assert "ScrollBar.renderer = MyScrollBarRender" in inspect.getsource(ScrollBar)  # (its doc)


def test_the_check_sees_each_way_past_the_public_api():
    source = """
from textual._compositor import CompositorUpdate
from textual.drivers import linux_driver
from textual.app import App
import textual.drivers._writer_thread as writer
from textual_serve.server import Server

linux_driver.WriterThread = object
setattr(App, "_display", None)
App.CSS += "x"

class Mine(App):
    def _display(self, screen, renderable):
        super()._display(screen, renderable)

    async def _make_app(self):
        return await Server._make_app(self)

    def fine(self, command):
        self.theme = "nord"
        return command._replace(title="x")
"""
    found = problems_in(source, "m.py")
    assert sorted(found) == [
        "m.py:10: replaces App.CSS",
        "m.py:13: defines their private _display",
        "m.py:14: uses their private ._display",
        "m.py:16: defines their private _make_app",
        "m.py:17: uses their private ._make_app",
        "m.py:2: imports CompositorUpdate from textual._compositor",
        "m.py:5: imports textual.drivers._writer_thread",
        "m.py:8: replaces linux_driver.WriterThread",
        "m.py:9: replaces App.?",
    ]


def test_modules_that_do_not_touch_textual_are_left_alone():
    assert problems_in("class Store:\n    def go(self):\n        self._display = 1\n", "s.py") == []
