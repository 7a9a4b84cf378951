"""Writing only the cells that changed: what keeps the TUI light over SSH.

Textual repaints a widget's whole region when it refreshes, even when the text it draws is
the same as before; a refreshed container repaints all it holds. Over a slow link those
identical bytes are what makes a dashboard lag. :class:`Frame` keeps what the terminal shows,
cell by cell (character and rendered style), and turns each partial update the compositor
makes into the runs of cells that really differ: a number that changed is written as that
number, an unchanged repaint writes nothing.

Full updates (a new screen, a resize, a resume from suspend) are written as Textual writes
them and become the new picture. The hook is ``FivecApp._display`` and the compositor's
update classes (``textual._compositor``): textual is pinned, and ``tests/tui/test_screens.py`` replays
updates through a terminal model to pin that the result is what Textual alone would show.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from rich.cells import get_character_cell_size
from rich.control import Control
from rich.segment import Segment
from textual._compositor import ChopsUpdate, CompositorUpdate, LayoutUpdate
from textual.strip import Strip

if TYPE_CHECKING:
    from rich.console import Console
    from rich.style import Style

#: An unchanged stretch this short between two changes is rewritten rather than skipped: a
#: cursor move and the next run's style cost more than a few cells.
GAP = 6
#: A cell: its character ("" for the right half of a wide one) and its rendered style.
Cell = tuple[str, str]
#: Cells written at a line and column (None: not cut yet), the strip they came from, and the
#: console that renders it.
Put = tuple[int, int, "list[Cell] | None", Strip, "Console"]


class Written(CompositorUpdate):
    """The bytes for one update; the frame learns them only when they are really written
    (Textual drops an update in some states, e.g. inside a batch)."""

    def __init__(self, text: str, then: Iterable[Put], frame: Frame):
        self.text, self.then, self.frame = text, list(then), frame

    def render_segments(self, console: Console) -> str:
        for put in self.then:
            self.frame.put(*put)
        return self.text


class Frame:
    """What the terminal shows, and the smallest writes that change it to the next update."""

    def __init__(self) -> None:
        self.lines: dict[int, list[Cell | None]] = {}
        #: Strips of a full update not yet cut into cells: only a line that a later partial
        #: update touches with other strips is (a screen switch costs no more than before).
        self.uncut: dict[int, list[tuple[int, Strip, Console]]] = {}
        #: Per line, the strips the picture holds by column: a chop equal to the one already
        #: there is skipped without looking at its cells (most of a refresh).
        self.strips: dict[int, dict[int, Strip]] = {}
        #: Set when the app shows another screen: its first update is written without cell
        #: diffs (6-7 ms a switch for nothing saved), as Textual writes it.
        self.switched = False

    def reset(self) -> None:
        """Forget the picture (the terminal was used by something else): write all next time."""
        self.lines.clear()
        self.strips.clear()
        self.uncut.clear()

    def switch(self) -> None:
        self.switched = True

    def line(self, y: int) -> list[Cell | None]:
        line = self.lines.setdefault(y, [])
        for x, strip, console in self.uncut.pop(y, ()):
            self._cells(line, x, cells_of(strip, console))
        return line

    @staticmethod
    def _cells(line: list[Cell | None], x: int, cells: list[Cell]) -> None:
        end = x + len(cells)
        if len(line) < end:
            line.extend([None] * (end - len(line)))
        line[x:end] = cells

    def put(self, y: int, x: int, cells: list[Cell] | None, strip: Strip, console: Console) -> None:
        end = x + strip.cell_length
        if cells is None:
            self.uncut.setdefault(y, []).append((x, strip, console))
        else:
            self._cells(self.line(y), x, cells)
        strips = self.strips.setdefault(y, {})
        for at in [at for at, s in strips.items() if at < end and x < at + s.cell_length]:
            del strips[at]
        strips[x] = strip

    def update(self, update: CompositorUpdate, console: Console) -> CompositorUpdate | None:
        """What to hand Textual instead of ``update``: ``None`` when nothing changed."""
        if isinstance(update, LayoutUpdate):
            return self._full(update, console)
        if isinstance(update, ChopsUpdate):
            return self._partial(update, console)
        self.reset()  # an update of a kind not modelled here: written as is, picture unknown
        return update

    def _full(self, update: LayoutUpdate, console: Console) -> Written:
        self.reset()
        then: list[Put] = []
        for y, line in enumerate(update.strips, update.region.y):
            x = update.region.x
            for strip in line:
                then.append((y, x, None, strip, console))
                x += strip.cell_length
        return Written(update.render_segments(console), then, self)

    def _partial(self, update: ChopsUpdate, console: Console) -> Written | None:
        chops: list[tuple[int, int, Strip]] = []  # the chops not already on the terminal
        for y, x1, x2 in update.spans:
            shown = self.strips.get(y, {})
            for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items(), strict=False):
                if strip is None or x > x2 or end <= x1:
                    continue
                if not (x2 > x >= x1 and end <= x2):  # as Textual writes a chop over the edge
                    strip = strip.crop(0, min(end, x2) - x)
                if shown.get(x) != strip:
                    chops.append((y, x, strip))
        out: list[str] = []
        then: list[Put] = []
        if self.switched and len(chops) >= console.height:  # another screen's first frame:
            self.switched = False  # nearly all of it differs, written whole (uncut)
            for y, x, strip in chops:
                out += (Control.move_to(x, y).segment.text, strip.render(console))
                then.append((y, x, None, strip, console))
            return Written("".join(out), then, self)
        for y, x, strip in chops:
            cells = cells_of(strip, console)
            for a, b in self._changed(y, x, cells):
                out.append(Control.move_to(a, y).segment.text)
                out.append(strip.crop(a - x, b - x).render(console))
            then.append((y, x, cells, strip, console))
        if not out:
            for put in then:  # the same picture; keep it (nothing to write)
                self.put(*put)
            return None
        return Written("".join(out), then, self)

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


def _half(line: list[Cell | None], at: int) -> bool:
    """Whether the terminal shows the right half of a wide character at ``at``."""
    return at < len(line) and line[at] is not None and line[at][0] == ""  # type: ignore[index]


def cells_of(strip: Strip, console: Console) -> list[Cell]:
    out: list[Cell] = []
    for text, style, _control in strip:
        key = _style_key(style, console) if style is not None else ""
        if text.isascii():
            out.extend((ch, key) for ch in text)
            continue
        for ch in text:
            width = get_character_cell_size(ch)
            if width == 0 and out:  # a combining mark rides on the cell before it
                out[-1] = (out[-1][0] + ch, key)
            elif width:
                out.append((ch, key))
                if width == 2:
                    out.append(("", key))
    return out


@lru_cache(maxsize=8192)
def _rendered(style: Style, console: Console) -> str:
    return Strip([Segment(" ", style)]).render(console)


def _style_key(style: Style, console: Console) -> str:
    return _rendered(style, console)
