"""Replies inbox: newest first, follow mode, opt-outs marked, search, what a reply answers."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Input, Static

from ..i18n import N_, _
from ..store import queries
from ..when import show_date
from .base import StoreScreen
from .format import safe_text
from .keybar import KeyBar
from .widgets import Banner, Rows, table_of


@dataclass(frozen=True)
class Replies:
    """One load: the newest replies matching the search, newest first."""

    rows: list[dict]


class RepliesScreen(StoreScreen[Replies]):
    AUTO_FOCUS = "#replies"
    DEFAULT_CSS = """
    #replies { height: 1fr; }
    #reply-detail { height: auto; max-height: 12; padding: 0 1; background: $panel; }
    #reply-status { height: 1; padding: 0 1; }
    """
    BINDINGS = [
        Binding("f", "follow", N_("Follow"), id="replies.follow"),
        Binding("/", "search", N_("Search"), id="replies.search"),
        Binding("c", "copy", N_("Copy mobile"), id="replies.copy"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.following = True
        self.newest_seen = 0
        self.waiting = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Banner(id="banner")
        yield Input(placeholder=_("search: mobile or text (enter)"), id="reply-search")
        yield Static(id="reply-status")
        table = table_of(_("time"), _("mobile"), "", _("content"), id="replies", zebra_stripes=True)
        self.rows = Rows(table)
        yield table
        yield Static(id="reply-detail")
        yield KeyBar()

    def on_screen_resume(self) -> None:
        self._status()  # the follow mode is known before the rows are: shown with the screen
        super().on_screen_resume()

    def fields(self) -> dict[str, str]:
        return {"term": self.query_one("#reply-search", Input).value.strip()}

    def load(self) -> Replies:
        term = self.field_values["term"]
        mobile = term if term.isdigit() else None
        text = None if mobile else term or None
        return Replies(
            queries.recent_replies(
                self.fivec.store, mobile=mobile, text=text, limit=200, until=self.fivec.at
            )
        )

    def show(self, data: Replies) -> None:
        rows = data.rows
        table = self.query_one(DataTable)
        top = rows[0]["id"] if rows else 0
        if not self.following and self.newest_seen and self.fivec.at is None:
            self.waiting = sum(r["id"] > self.newest_seen for r in rows)
            self._status()
            return
        self.newest_seen, self.waiting = top, 0
        self.rows.show(
            [
                (
                    str(r["id"]),
                    (
                        show_date(r["received_at"]),
                        safe_text(r["mobile"]),
                        Text(_("OPT-OUT"), "bold yellow") if r["opt_out"] else Text(""),
                        safe_text(r["content"], limit=200),
                    ),
                )
                for r in rows
            ]
        )
        table.move_cursor(row=0, animate=False)  # following: the newest stays in view
        self._status()
        self._follow_cursor()

    _detail_key: str | None = None  # the reply the detail pane shows

    def _follow_cursor(self) -> None:
        """The pane shows the highlighted reply: a search that leaves the cursor on row 0
        highlights nothing new (no event), yet row 0 may be another reply, or none."""
        table = self.query_one(DataTable)
        key = (
            table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if table.row_count
            else None
        )
        if key == self._detail_key:
            return
        self._detail_key = key
        if key is None:
            self.query_one("#reply-detail", Static).update("")
        else:
            self._load_detail(int(key))

    def _status(self) -> None:
        at = self.fivec.at
        if at is not None:  # nothing new comes in the past: the list ends at the moment
            status = Text(
                _("replies received by {time}, newest first (L: live)").format(time=show_date(at)),
                "magenta",
            )
        elif self.following:
            status = Text(_("following new replies"), "dim")
        else:
            status = Text(_("paused — {n} new (f to follow)").format(n=self.waiting), "yellow")
        self.query_one("#reply-status", Static).update(status)

    def action_follow(self) -> None:
        self.following = True
        self.query_one(DataTable).move_cursor(row=0)
        self.refresh_data()

    def action_copy(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            mobile = str(table.get_row_at(table.cursor_row)[1])
            self.app.copy_to_clipboard(mobile)  # OSC 52: works over SSH
            self.notify(_("copied {value}").format(value=mobile), markup=False)

    def action_search(self) -> None:
        self.query_one("#reply-search", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.following = True
        self.refresh_data()

    def on_key(self, event: events.Key) -> None:
        """Moving down the list is reading: stop pulling rows away until `f`."""
        if event.key in ("down", "pagedown", "end") and self.focused is self.query_one(DataTable):
            self.following = False
            self._status()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value:
            self._detail_key = event.row_key.value
            self._load_detail(int(event.row_key.value))

    def _load_detail(self, reply_id: int) -> None:
        self.off_ui(lambda: queries.reply(self.fivec.store, reply_id), self._detail, "detail")

    def _detail(self, found: tuple[dict, dict | None] | None) -> None:
        if found is None:
            return
        r, sent = found
        parts = [Text(_("reply: "), "bold"), safe_text(r["content"]), Text("\n")]
        if not r["clean"]:
            parts += [
                Text(_("(content could not be decoded cleanly; raw: "), "yellow"),
                safe_text(r["raw"]),
                Text(")\n"),
            ]
        if sent:
            parts += [
                Text(_("answers: "), "bold"),
                safe_text(sent["msgid"]),
                Text(" " + _("at {time}").format(time=show_date(sent["sent_at"])) + ": "),
                safe_text(sent["content"], limit=120),
            ]
        else:
            parts.append(Text(_("answers: no message to this number in the cache"), "dim"))
        self.query_one("#reply-detail", Static).update(Text.assemble(*parts))
