"""TOML files read within bounds: the config (:mod:`fivec_tui.config.load`) and the
simulator's scenario files (:mod:`fivec_tui.sim.scenario`), which no layer rule keeps apart.

tomllib recurses once a level of nesting and reads whatever it is given: a FIFO would block
the read, a huge file fill the memory, a deeply nested one raise RecursionError (a
traceback).  Each is refused here in one line naming the file, before tomllib sees it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from .i18n import _
from .private_files import UnsafePath, read_regular

#: A file larger than this is refused unread (a real config or scenario is a few KiB).
MAX_BYTES = 1 << 20
#: Arrays and inline tables nested deeper than this are refused (a real config nests two).
MAX_DEPTH = 32


class Refused(ValueError):
    """A TOML file that cannot be read, said in one line that names it."""


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML at ``path``; FileNotFoundError when there is none, :class:`Refused`
    for what is not a regular file, over :data:`MAX_BYTES`, not UTF-8, nested more than
    :data:`MAX_DEPTH` deep or not TOML."""
    try:
        raw = read_regular(path, MAX_BYTES)
    except UnsafePath as exc:
        raise Refused(f"{path}: {exc.strerror}") from None
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise Refused(
            _("{path}: cannot read: {error}").format(path=path, error=exc.strerror)
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(_("{path}: not UTF-8 text").format(path=path)) from None
    deep = _("{path}: arrays or tables nested more than {depth} deep (line {line})")
    if (line := too_deep(text, MAX_DEPTH)) is not None:
        raise Refused(deep.format(path=path, depth=MAX_DEPTH, line=line))
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Refused(_("{path}: invalid TOML: {error}").format(path=path, error=exc)) from None
    except RecursionError:  # what the scan missed, should it miss anything
        raise Refused(deep.format(path=path, depth=MAX_DEPTH, line="?")) from None


#: Where a comment or a string starts, and each bracket or brace, for :func:`too_deep`.
_TOKEN = re.compile(r"""\"\"\"|'''|["'#\[\]{}]""")
#: From just after a string's opening quotes to just after its closing ones (a multi-line
#: string may end with one or two quotes of its own before them).
_STRING_END = {
    '"""': re.compile(r'(?:\\.|[^\\])*?"""("{0,2})', re.S),
    "'''": re.compile(r".*?'''('{0,2})", re.S),
    '"': re.compile(r'(?:\\.|[^"\\\n])*"'),
    "'": re.compile(r"[^'\n]*'"),
}


def too_deep(text: str, limit: int) -> int | None:
    """The line where ``text``'s arrays and inline tables nest more than ``limit`` deep, or
    None.  A scan without recursion that steps over comments and strings (basic, literal,
    multi-line, with escapes), so that brackets inside them do not count."""
    depth, pos = 0, 0
    while match := _TOKEN.search(text, pos):
        token, pos = match.group(), match.end()
        if token == "#":
            pos = text.find("\n", pos) + 1 or len(text)
        elif token in _STRING_END:
            end = _STRING_END[token].match(text, pos)
            if end is None:  # never closed: tomllib says where
                return None
            pos = end.end()
        elif token in "[{":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, pos) + 1
        else:
            depth = max(depth - 1, 0)
    return None
