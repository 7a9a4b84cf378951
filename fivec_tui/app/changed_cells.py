"""Writing only the cells that changed: what keeps the TUI light over SSH.

Textual repaints a widget's whole region when it refreshes, even when the text it draws is
the same as before; a refreshed container repaints all it holds. Over a slow link those
identical bytes are what makes a dashboard lag. :class:`Frame` keeps what the terminal shows,
cell by cell (character and SGR style), and turns each frame that Textual writes into the runs
of cells that really differ: a number that changed is written as that number, an unchanged
repaint writes nothing.

It reads what the terminal driver is asked to write (see :mod:`.terminal`), not Textual's
internals: a frame is cursor moves (``CSI row;col H``), each followed by text and the SGR
sequences that style it, as Rich renders segments. Anything else (a mode switch, the bell, a
link, an erase) is written as it is; whatever may change cells that way makes the frame
forget the picture, so that what follows is written whole. The app makes it forget on a
resize, the driver on a resume. A frame that covers the whole terminal (another screen's
first, a full refresh) is stripped of the text already there, but cut into cells for a few
lines only: the rest of what changed is written as it is, as cutting every line would cost
more time (6-7 ms, far more under load, with a key press waiting) than its bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import groupby, repeat
from operator import itemgetter

from rich.cells import cell_len, get_character_cell_size

#: An unchanged stretch this short between two changes is rewritten rather than skipped: a
#: cursor move and the next run's style cost more than a few cells.
GAP = 6
#: Cells a frame covering the whole terminal is cut into, at most (a few lines): the rest of
#: what changed in it is written as it is.
SCREENFUL_CUT = 480
#: A cell: its character ("" for the right half of a wide one) and its SGR parameters.
Cell = tuple[str, str]

MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")
SGR = re.compile(r"\x1b\[([0-9;]*)m")
#: What a frame may not hold: a control character or escape sequence other than a cursor
#: move or SGR, or a newline other than the one between a full update's lines.
FOREIGN = re.compile(
    r"[\x00-\x09\x0b-\x1a\x1c-\x1f\x7f-\x9f]|\x1b(?!\[\d+;\d+H|\[[0-9;]*m)|\n(?!\x1b\[\d+;\d+H)"
)
#: Writes that leave every cell as it is: the bell, private modes (mouse, focus, paste,
#: synchronized output...) but the alternate screen's, the query of a mode, and operating
#: system commands (title, pointer shape, clipboard) but a link's.
HARMLESS = re.compile(
    r"(?:\x07|\x1b\[\?(?!(?:47|1047|1049)[hl])[0-9;]*(?:[hl]|\$p)"
    r"|\x1b\](?!8;)[^\x07\x1b]*(?:\x07|\x1b\\))+"
)


def move_to(x: int, y: int) -> str:
    return f"\x1b[{y + 1};{x + 1}H"


class Frame:
    """What the terminal shows, and the smallest writes that change it to the next frame."""

    def __init__(self) -> None:
        self.lines: dict[int, list[Cell | None]] = {}
        #: Text of a line written whole and not cut into cells yet: only a line that a later
        #: frame changes in part is (a screen switch costs no more than without the frame).
        self.uncut: dict[int, list[tuple[int, str]]] = {}
        #: Per line, what was written at each column and where it ends: text written again
        #: at the same place, unchanged, is skipped without looking at its cells.
        self.pieces: dict[int, dict[int, tuple[str, int]]] = {}
        self.cursor: tuple[int, int] | None = None
        #: The terminal's lines (0: not known yet), for what a screenful is.
        self.height = 0
        #: What waits for the next frame to be written (see :meth:`when_written`).
        self.waiting: list[Callable[[], object]] = []
        #: Whether a driver writes through this frame (nothing else tells what is written).
        self.attached = False

    def reset(self, height: int | None = None) -> None:
        """Forget the picture (the terminal shows something else): write all next time."""
        self.lines.clear()
        self.uncut.clear()
        self.pieces.clear()
        self.cursor = None
        if height is not None:
            self.height = height

    def when_written(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once the next frame that changes something is written."""
        self.waiting.append(callback)

    def filter(self, data: str) -> str:
        """What to write instead of ``data``: only what changes cells, when it is a frame."""
        if MOVE.match(data) is None:
            if not HARMLESS.fullmatch(data):
                self.reset()
            return data
        parts = MOVE.split(data)  # "", row, column, text, row, column, text, ...
        pieces = [
            (int(parts[i + 1]) - 1, int(parts[i]) - 1, parts[i + 2].removesuffix("\n"))
            for i in range(1, len(parts), 3)
        ]
        if FOREIGN.search(data) or not all(map(_ends_plain, (t for _x, _y, t in pieces))):
            self.reset()
            return data
        screenful = 0 < self.height <= len({y for _x, y, text in pieces if text})
        budget = SCREENFUL_CUT if screenful else None  # cells left to cut in this frame
        out: list[str] = []
        for x, y, text in pieces:
            if not text or self.pieces.get(y, {}).get(x, ("",))[0] == text:
                continue  # a cursor move, or already on the terminal
            if (budget is not None and budget <= 0) or (
                y not in self.lines and y not in self.uncut
            ):
                out += (move_to(x, y), text)  # written as it is, cut into cells if need be
                self.put(y, x, text, None)
                continue
            cells = cells_of(text)
            if budget is not None:
                budget -= len(cells)
            for a, b in self._changed(y, x, cells):
                out += (move_to(a, y), render(cells[a - x : b - x]))
            self.put(y, x, text, cells)
        x, y, text = pieces[-1]  # Textual ends with the cursor's place; else the cursor is
        cursor = (self.pieces[y][x][1] if text else x, y)  # after the last text
        if out or cursor != self.cursor:
            out.append(move_to(*cursor))
            self.cursor = cursor
        if out and self.waiting:
            waiting, self.waiting = self.waiting, []
            for callback in waiting:
                callback()
        return "".join(out)

    def line(self, y: int) -> list[Cell | None]:
        line = self.lines.setdefault(y, [])
        for x, text in self.uncut.pop(y, ()):
            self._cells(line, x, cells_of(text))
        return line

    @staticmethod
    def _cells(line: list[Cell | None], x: int, cells: list[Cell]) -> None:
        end = x + len(cells)
        if len(line) < end:
            line.extend([None] * (end - len(line)))
        line[x:end] = cells

    def put(self, y: int, x: int, text: str, cells: list[Cell] | None) -> None:
        """Record ``text`` written at ``x`` on line ``y`` (``cells``: it cut, None: not yet)."""
        if cells is None:
            self.uncut.setdefault(y, []).append((x, text))
            end = x + cell_len(SGR.sub("", text))
        else:
            self._cells(self.line(y), x, cells)
            end = x + len(cells)
        pieces = self.pieces.setdefault(y, {})
        for at in [at for at, (_t, e) in pieces.items() if at < end and x < e]:
            del pieces[at]
        pieces[x] = text, end

    def _changed(self, y: int, x: int, cells: list[Cell]) -> list[tuple[int, int]]:
        """Runs (screen columns, end excluded) where ``cells`` at ``x`` differ from the
        picture, joined across short gaps and widened to whole wide characters."""
        old = self.line(y)
        runs: list[list[int]] = []
        for i, cell in enumerate(cells):
            at = x + i
            if at < len(old) and old[at] == cell:
                continue
            if runs and i - runs[-1][1] <= GAP:
                runs[-1][1] = i + 1
            else:
                runs.append([i, i + 1])
        for run in runs:
            a, b = run
            # Writing over half of a wide character blanks the other half: take it too.
            while a > 0 and (cells[a][0] == "" or _half(old, x + a)):
                a -= 1
            while b < len(cells) and (cells[b][0] == "" or _half(old, x + b)):
                b += 1
            run[:] = a, b
        return [(x + a, x + b) for a, b in runs]


def _ends_plain(text: str) -> bool:
    """Whether ``text`` leaves the terminal unstyled: its last SGR, if any, is a reset (as
    Rich ends every styled segment), so that a run of its cells can be written alone."""
    last = text.rfind("\x1b[")
    return last < 0 or text.startswith(("\x1b[0m", "\x1b[m"), last)


def _half(line: list[Cell | None], at: int) -> bool:
    """Whether the terminal shows the right half of a wide character at ``at``."""
    return at < len(line) and line[at] is not None and line[at][0] == ""  # type: ignore[index]


def cells_of(text: str) -> list[Cell]:
    """The cells that ``text`` (characters and SGR sequences) fills, from the left."""
    out: list[Cell] = []
    style = ""
    for i, part in enumerate(SGR.split(text)):
        if i % 2:  # an SGR's parameters: they add to the style until a reset
            if part in ("", "0"):
                style = ""
            elif part.startswith("0;"):
                style = part[2:]
            else:
                style = f"{style};{part}" if style else part
        elif part.isascii():
            out.extend(zip(part, repeat(style), strict=False))
        else:
            for ch in part:
                width = get_character_cell_size(ch)
                if width == 0 and out:  # a combining mark rides on the cell before it
                    out[-1] = (out[-1][0] + ch, style)
                elif width:
                    out.append((ch, style))
                    if width == 2:
                        out.append(("", style))
    return out


def render(cells: list[Cell]) -> str:
    """``cells`` as text and SGR sequences, each styled run ending in a reset."""
    out = []
    for style, run in groupby(cells, key=itemgetter(1)):
        text = "".join(ch for ch, _style in run)
        out.append(f"\x1b[{style}m{text}\x1b[0m" if style else text)
    return "".join(out)
