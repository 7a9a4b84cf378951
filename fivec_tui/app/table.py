"""A DataTable that keeps each drawn line until what it shows changes.

Textual's DataTable keys its render caches on a counter that every change bumps (one new row
redraws every visible cell) and empties them whenever styles are re-applied, which Textual
does to every node of a screen each time it is shown again. Switching to a screen full of
tables drew every cell anew: the bulk of the time between a key press and the new screen
(``tests/bench/bench_keys.py``), and under a flood of reports each refresh redrew every line
of a feed that had merely moved down by a few new rows.

Here DataTable draws a line the first time, and the line is reused for as long as its own
inputs are the same: the row's cell objects (the screens replace a cell's object when its
value changes, see :class:`~.widgets.Rows`), the column widths, the cursor and hover on it,
the zebra stripe, the focus, the scroll offset and the styles. A row that only moved keeps
its line, relabelled with its new place (DataTable reads a click's or a hover's row from the
line's style meta). Rows are one line high, as every table here is.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable

#: Lines kept per table: a few screens' worth of the tallest one.
KEEP = 600
#: The component classes whose styles a line is drawn with.
PARTS = ("datatable--header", "datatable--cursor", "datatable--hover", "datatable--even-row")


class Table(DataTable):
    """A row-cursor DataTable whose drawn lines outlive unrelated changes (see the module)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        #: a line's inputs -> the cell objects it shows (kept alive, so their ids stay
        #: theirs), the row index it is labelled with, and the line
        self._lines: LRUCache[tuple, tuple[tuple, int, Strip]] = LRUCache(KEEP)
        self._look: tuple = ()
        self._widths: tuple[int, ...] = ()

    def render_lines(self, crop: Region) -> list[Strip]:
        widths = tuple(column.get_render_width(self) for column in self.ordered_columns)
        if widths != self._widths:
            # DataTable widens its columns for new cells when it is next idle, and does not
            # forget the lines it drew before: without this, a line drawn in between (the
            # cursor's row, say) stayed cut to the old widths.
            self._widths = widths
            self.notify_style_update()
        # what every line of this pass is drawn with, worked out once per pass
        self._look = (
            self.rich_style,
            self.has_focus,
            self.show_cursor,
            self.zebra_stripes,
            *(self.get_component_rich_style(part, partial=True) for part in PARTS),
        )
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        place = self._place(y, scroll_y)
        if place is None:
            return super().render_line(y)
        index, row_key, cells = place
        key = (
            row_key,
            tuple(map(id, cells)),
            self._widths,
            index == self.cursor_coordinate.row,
            index == self.hover_coordinate.row,
            index % 2 if self.zebra_stripes else 0,
            self.size.width,
            scroll_x,
            self._look,
        )
        kept = self._lines.get(key)
        if kept is not None and all(a is b for a, b in zip(kept[0], cells, strict=True)):
            if kept[1] == index:
                return kept[2]
            strip = relabel(kept[2], index)
        else:
            strip = super().render_line(y)
        self._lines[key] = (cells, index, strip)
        return strip

    def _place(self, y: int, scroll_y: int) -> tuple[int, object, tuple] | None:
        """The row index, row key and cell objects at line ``y`` (-1 and the column labels
        for the header); None where there is no row."""
        if self.show_header:
            if y < self.header_height:
                return -1, None, tuple(column.label for column in self.ordered_columns)
            y -= self.header_height
        index = y + scroll_y
        rows = self.ordered_rows
        if not 0 <= index < len(rows):
            return None
        row_key = rows[index].key
        return index, row_key, tuple(self.get_row(row_key))


def relabel(strip: Strip, row: int) -> Strip:
    """``strip`` with every segment's ``row`` meta set to ``row`` (its column kept)."""
    meta = Style.from_meta({"row": row})
    return Strip(Segment.apply_style(list(strip), post_style=meta), strip.cell_length)
