"""The config's ``[keys]`` checked before Textual takes them.

Textual's keymap ignores an id no binding has and binds whatever string it is given, so a typo
(``"nav.sned"``) did nothing without a word, and a key that is no key (``"notakey!!"``) took
``s`` away from Send for good.  Both are said (file, table, entry) and the default kept.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from textual.keys import Keys, key_to_character

from ..i18n import _

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
NAMES = frozenset(k.value for k in Keys)


def is_key(keys: str) -> bool:
    """Whether ``keys`` names keys as Textual writes them: ``f5``, ``ctrl+s``, ``question_mark``,
    ``x``, several separated by commas."""
    for key in keys.split(","):
        *mods, name = key.strip().split("+")
        if not name or not MODIFIERS.issuperset(mods):
            return False
        if len(name) != 1 and name not in NAMES and key_to_character(name) is None:
            return False
    return True


def checked(keymap: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The entries of ``keymap`` whose key is one, and what is wrong with the others."""
    good, problems = {}, []
    for binding, keys in keymap.items():
        if is_key(keys):
            good[binding] = keys
        else:
            problems.append(
                _("[keys] {binding}: {keys!r} is not a key (e.g. f5, ctrl+s, x)").format(
                    binding=binding, keys=keys
                )
            )
    return good, problems


def unknown_ids(keymap: Iterable[str], app: type, modules: Iterable[str]) -> list[str]:
    """The ids of ``keymap`` that no binding has, of ``app``'s class or of a class in the
    screens' ``modules`` (imported here: call it off the UI)."""
    known = {b.id for cls in app.__mro__ for b in vars(cls).get("BINDINGS", ()) if _id(b)}
    for module in modules:
        mod = importlib.import_module(module)
        for value in vars(mod).values():
            known.update(b.id for b in getattr(value, "BINDINGS", None) or () if _id(b))
    return sorted(set(keymap) - known)


def _id(binding) -> str | None:
    return getattr(binding, "id", None)  # a binding may be a tuple, which has none
