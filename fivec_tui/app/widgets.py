"""Widgets the screens share: the banner, the confirmation dialogs, the read-only notice, and
keyed tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from ..i18n import N_, _
from .format import safe_text

if TYPE_CHECKING:
    from textual.widgets import DataTable

    from .app import FivecApp


class Banner(Static):
    """The sync state or the past moment shown and its view, the display zone, the account
    and the app's note, redrawn when one of them changes.  Every screen has one, so that a
    time is never read without its zone, nor the past taken for the present.

    It watches the app's reactives (``paused``, ``sync_state``, ``note``, ``loading``,
    time-travel's ``at`` and ``known_now``) instead of being
    written from outside, so every screen that shows one shows the same thing.
    """

    def on_mount(self) -> None:
        app: FivecApp = self.app  # type: ignore[assignment]
        for name in ("paused", "sync_state", "note", "loading", "at", "known_now"):
            self.watch(app, name, self._changed, init=False)
        self._changed()

    def _changed(self, *_value: object) -> None:
        self.update(self.app.banner(self.screen))  # type: ignore[attr-defined]


class Confirm(ModalScreen[bool]):
    """Shows exactly what will happen; Enter/y confirms, Esc/n cancels."""

    BINDINGS = [
        Binding("y", "answer(True)", N_("Yes"), id="confirm.yes"),
        Binding("n,escape", "answer(False)", N_("No"), id="confirm.no"),
    ]

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Label(safe_text(self.title_text, "bold"))  # may name a mobile, a sub-account
            yield Static(self.body)
            with Horizontal():
                yield Button(_("Yes (y)"), variant="warning", id="yes")
                yield Button(_("No (n)"), id="no")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ConfirmAgain(ModalScreen[bool]):
    """The second, different question before doing again what was just done (the same text
    to the same number): ``a`` goes on; Enter, Esc and ``n`` do not, so that a double Enter
    or a double ``y`` on the first question never sends twice."""

    AUTO_FOCUS = "#no"
    DEFAULT_CSS = (
        "ConfirmAgain { align: center middle; } ConfirmAgain #confirm { border: thick $error; }"
    )
    BINDINGS = [
        Binding("a", "answer(True)", N_("Send again"), id="again.yes"),
        Binding("n,escape", "answer(False)", N_("No"), id="again.no"),
    ]

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm", classes="again"):
            yield Label(safe_text(self.title_text, "bold red"))
            yield Static(self.body)
            with Horizontal():
                yield Button(_("No (n)"), variant="primary", id="no")
                yield Button(_("Send again (a)"), variant="error", id="again")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "again")


class ReadOnlyNotice(Static):
    """What a form that acts on the platform shows instead of itself when it may not."""

    DEFAULT_CSS = "ReadOnlyNotice { height: auto; padding: 1 2; }"

    def __init__(self, reason: str) -> None:
        text = _(
            "READ-ONLY ({reason}): this console watches the account and changes nothing on "
            "the platform: no send, bulk send, blacklist removal, IP binding or sub-account action."
        ).format(reason=reason)
        super().__init__(Text(text, "bold yellow"))


def table_of(*columns: str, **options: Any) -> DataTable:
    """A row-cursor DataTable with its columns, made in ``compose``.

    Columns added in a screen's ``on_mount`` were once still missing when its first load was
    shown (the Messages screen, under CPU load): made with the table, they cannot be.
    """
    from .table import Table  # loaded with the first table, after the first frame

    made = Table(cursor_type="row", **options)
    made.add_columns(*columns)
    return made


Row = tuple[str, tuple]  # a row's key and its cells


class Rows:
    """What a DataTable shows, kept by row key, so that a new load changes only what changed.

    Rows gone are removed, changed cells updated, new rows added, and the order then put
    right, all in one batch (as dolphie's process list does); the cursor stays on its row.
    A load equal to the last one does nothing at all.
    """

    def __init__(self, table: DataTable) -> None:
        self.table = table
        self.shown: dict[str, tuple] = {}

    def show(self, rows: list[Row]) -> None:
        wanted = dict(rows)
        if list(wanted.items()) == list(self.shown.items()):
            return
        table = self.table
        try:
            with table.app.batch_update():
                self._apply(wanted)
        except Exception:
            self.shown = {}  # not all of it drawn: the next load starts afresh
            raise
        self.shown = wanted

    def _apply(self, wanted: dict[str, tuple]) -> None:
        table, shown = self.table, self.shown
        keep = self._cursor_key()
        if table.row_count != len(shown):  # rows added elsewhere: start from what is there
            table.clear()
            shown = {}
        columns = list(table.columns)
        for key in shown.keys() - wanted.keys():
            table.remove_row(key)
        for key, cells in wanted.items():
            old = shown.get(key)
            if old is None:
                table.add_row(*cells, key=key)
            elif old != cells:
                for column, before, after in zip(columns, old, cells, strict=True):
                    if before != after:
                        table.update_cell(key, column, after, update_width=True)
        self._order(list(wanted))
        if keep in wanted:
            table.move_cursor(row=table.get_row_index(keep), animate=False)

    def _order(self, keys: list[str]) -> None:
        """Put the rows in ``keys`` order (new rows were added at the end)."""
        table = self.table
        if [row.key.value for row in table.ordered_rows] == keys:
            return
        # DataTable sorts by cell values only: each row's cells, by identity, say its place.
        place = {tuple(map(id, table.get_row(key))): i for i, key in enumerate(keys)}
        if len(place) == len(keys):
            table.sort(key=lambda cells: place[tuple(map(id, cells))])
        else:  # two rows share every cell object (interned strings): rebuild in order
            rows = [(key, table.get_row(key)) for key in keys]
            table.clear()
            for key, cells in rows:
                table.add_row(*cells, key=key)

    def _cursor_key(self) -> str | None:
        table = self.table
        if not table.row_count or table.cursor_row < 0:
            return None
        from textual.widgets.data_table import CellDoesNotExist

        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except CellDoesNotExist:
            return None
