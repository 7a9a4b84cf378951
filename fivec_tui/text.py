"""Text from outside (replies, server answers, file cells, names in a config), made safe for
where it goes: a terminal (:func:`visible`) or a spreadsheet (:func:`csv_cell`).

Anyone can text the account, so a reply can carry terminal control sequences, right-to-left
overrides that reorder what a line seems to say, or a spreadsheet formula that Excel or WPS
runs when the export is opened.  The TUI, the CLI's messages and every CSV this tool writes
go through here; JSON keeps the text exact.

Importable from every layer: the standard library only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

_BIDI = {0x200E, 0x200F, 0x061C} | set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


def visible(text: str, *, lines: bool = False) -> str:
    """Replace control, format and bidi characters by ``\\xNN``/``\\uNNNN`` escapes (a tab by
    a space); ``lines``: keep line breaks, for a message of several lines."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\t":
            out.append(" ")
        elif ch == "\n" and lines:
            out.append(ch)
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        elif code in _BIDI or unicodedata.category(ch) in ("Cf", "Cs", "Co", "Zl", "Zp"):
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


#: What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell as a spreadsheet shows it and never runs it: text starting like a formula gets
    a leading ``'`` (which Excel and WPS hide); numbers and everything else as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(cells: Iterable[object]) -> list[object]:
    """:func:`csv_cell` of each cell: what every CSV writer of this tool writes."""
    return [csv_cell(cell) for cell in cells]
