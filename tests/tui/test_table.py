"""The tables' kept lines: drawn as DataTable draws them, redrawn only when their row changed,
and a row that moved still answers a click as itself."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from fivec_tui.app.table import Table
from fivec_tui.app.widgets import Rows, table_of


def rows_of(n: int, start: int = 0) -> list:
    """Newest first, as the feeds are: row ``start + n - 1`` on top."""
    return [
        (f"r{i}", (f"12:00:{i % 60:02d}", f"1380000{i:04d}", Text("DELIVRD", "green")))
        for i in reversed(range(start, start + n))
    ]


class Pair(App):
    """Our table beside a plain DataTable showing the same rows."""

    CSS = "DataTable { height: 12; }"
    AUTO_FOCUS = None

    def compose(self) -> ComposeResult:
        yield table_of("time", "mobile", "status", id="ours")
        plain = DataTable(cursor_type="row", id="plain")
        plain.add_columns("time", "mobile", "status")
        yield plain

    def show(self, rows: list) -> None:
        for table in self.query(DataTable):
            if not hasattr(table, "rows_helper"):
                table.rows_helper = Rows(table)
            table.rows_helper.show(rows)


async def drawn_after(app: Pair, pilot, rows: list) -> list[list[tuple[str, object]]]:
    """Our table's lines once ``rows`` are shown."""
    app.show(rows)
    await pilot.pause()
    return lines(app.query_one("#ours", Table))


def lines(table: DataTable) -> list[list[tuple[str, object]]]:
    return [
        [(seg.text, seg.style) for seg in table.render_line(y)] for y in range(table.size.height)
    ]


async def test_lines_are_the_ones_datatable_draws_through_changes() -> None:
    app = Pair()
    async with app.run_test(size=(60, 30)) as pilot:
        ours, plain = app.query_one("#ours", Table), app.query_one("#plain", DataTable)
        steps = [
            lambda: app.show(rows_of(20)),
            lambda: app.show(rows_of(23)),  # three new rows on top: the rest moved down
            lambda: app.show(
                [(k, (*c[:2], Text("UNDELIV", "red")) if k == "r5" else c) for k, c in rows_of(23)]
            ),
            lambda: [t.move_cursor(row=4) for t in (ours, plain)],
            lambda: [t.scroll_to(y=6, animate=False) for t in (ours, plain)],
            lambda: app.show(rows_of(25)),
        ]
        for step in steps:
            step()
            for focused in (True, False):  # the cursor is drawn otherwise with the focus
                seen = {}
                for table in (ours, plain):
                    app.set_focus(table if focused else None)
                    await pilot.pause()
                    seen[table.id] = lines(table)
                assert seen["ours"] == seen["plain"]
            ours.refresh()  # unfocused again: drawn from the lines it kept, the same
            await pilot.pause()
            assert lines(ours) == seen["ours"]


async def test_a_row_moved_down_is_not_drawn_again(monkeypatch) -> None:
    app = Pair()
    async with app.run_test(size=(60, 30)) as pilot:
        ours = app.query_one("#ours", Table)
        await drawn_after(app, pilot, rows_of(20))
        drawn: list[int] = []
        draw = DataTable.render_line

        def counting(self, y: int):
            if self is ours:
                drawn.append(y)
            return draw(self, y)

        monkeypatch.setattr(DataTable, "render_line", counting)
        await drawn_after(app, pilot, rows_of(22))  # two new rows on top
        # the two new rows, and the one that left the first row's place, where DataTable
        # keeps its (unshown) hover; the header and the other sixteen lines were kept
        assert drawn == [1, 2, 3]


async def test_a_moved_row_is_labelled_with_its_new_place() -> None:
    """DataTable reads a click's and a hover's row from the line's style meta."""
    app = Pair()
    async with app.run_test(size=(60, 30)) as pilot:
        await drawn_after(app, pilot, rows_of(10))
        shown = await drawn_after(app, pilot, rows_of(13))  # r7: third before, now sixth
        assert app.query_one("#ours", Table).get_row_index("r7") == 5
        for y, line in enumerate(shown[1:]):
            rows = {style.meta["row"] for _text, style in line if style and "row" in style.meta}
            assert rows == {y}, (y, rows)


async def test_a_line_drawn_before_the_columns_widen_is_drawn_again_after() -> None:
    """DataTable widens its columns for new rows when it is next idle: a line drawn before
    that (the cursor's row, say) must not stay cut to the old widths."""
    app = Pair()
    async with app.run_test(size=(60, 30)) as pilot:
        ours = app.query_one("#ours", Table)
        ours.rows_helper = Rows(ours)
        ours.rows_helper.show([("r", ("China Mobile", "13800000000", "DELIVRD"))])
        early = "".join(seg.text for seg in ours.render_lines(ours.region.reset_offset)[1])
        assert "China Mobile" not in early  # drawn before the widths were measured
        await pilot.pause()
        line = "".join(seg.text for seg in ours.render_lines(ours.region.reset_offset)[1])
        assert "China Mobile" in line and "13800000000" in line, line
