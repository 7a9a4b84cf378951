"""Messages: search sent messages, and one message's full story."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Static

from ..i18n import N_, _
from ..store import messages
from ..when import show_date, show_time
from .base import StoreScreen
from .format import duration, safe_text
from .keybar import KeyBar
from .widgets import Banner, Rows, table_of


@dataclass(frozen=True)
class Messages:
    """One load: the sent messages matching the filters, newest first, one row a recipient."""

    rows: list[dict]


class MessagesScreen(StoreScreen[Messages]):
    AUTO_FOCUS = "#messages"
    DEFAULT_CSS = """
    #messages { height: 1fr; }
    #story { height: auto; max-height: 12; padding: 0 1; background: $panel; }
    #message-filters { height: auto; }
    #message-filters Input { width: 1fr; }
    """
    BINDINGS = [
        Binding("/", "search", N_("Search"), id="messages.search"),
        Binding("c", "copy('msgid')", N_("Copy msgid"), id="messages.copy"),
        Binding("y", "copy('mobile')", N_("Copy mobile"), id="messages.copy_mobile"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Banner(id="banner")
        with Horizontal(id="message-filters"):
            yield Input(placeholder=_("mobile or msgid"), id="msg-term")
            yield Input(placeholder=_("status (DELIVRD, PENDING, MK:0001…)"), id="msg-status")
        table = table_of(
            _("sent"),
            "msgid",
            _("mobile"),
            _("status"),
            _("latency"),
            _("content"),
            id="messages",
            zebra_stripes=True,
        )
        self.rows = Rows(table)
        yield table
        yield Static(id="story")
        yield KeyBar()

    def fields(self) -> dict[str, str]:
        return {
            "term": self.query_one("#msg-term", Input).value.strip(),
            "status": self.query_one("#msg-status", Input).value.strip().upper(),
        }

    def load(self) -> Messages:
        term, status = self.field_values["term"], self.field_values["status"] or None
        msgid = term if len(term) >= 12 and term.isdigit() else None
        mobile = term if term and not msgid else None
        return Messages(
            messages.search_messages(
                self.fivec.store,
                mobile=mobile,
                msgid=msgid,
                status=status,
                limit=200,
                until=self.fivec.at,  # time-travel: sent by then, reports known then
                reported_by=None if self.fivec.known_now else self.fivec.at,
            )
        )

    def show(self, data: Messages) -> None:
        self.rows.show(
            [
                (
                    f"{r['msgid']}/{r['mobile']}",
                    (
                        show_date(r["sent_at"]),
                        safe_text(r["msgid"]),
                        safe_text(r["mobile"]),
                        safe_text(
                            r["status"] or _("pending"),
                            "" if r["status"] in (None, "DELIVRD") else "red",
                        ),
                        duration(r["latency"]),
                        safe_text(r["content"], limit=60),
                    ),
                )
                for r in data.rows
            ]
        )
        story = self.query_one("#story", Static)
        if not data.rows:  # said, so that an empty table is not taken for a table loading
            story.update(safe_text(self._nothing(), "yellow"))
            self.said_nothing = True
        elif self.said_nothing:
            story.update("")
            self.said_nothing = False

    said_nothing = False  # the story's place says that nothing matched

    def _nothing(self) -> str:
        wanted = " ".join(v for v in self.field_values.values() if v)
        if wanted:
            return _("no message matches {filters}").format(filters=wanted)
        return _("no message sent yet")

    def action_search(self) -> None:
        self.query_one("#msg-term", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.refresh_data()

    def action_copy(self, what: str) -> None:
        """Copy the selected row's msgid or mobile (the row key is ``msgid/mobile``)."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        msgid, _sep, mobile = key.partition("/")
        value = msgid if what == "msgid" else mobile
        self.app.copy_to_clipboard(value)  # OSC 52: works over SSH
        self.notify(_("copied {value}").format(value=value), markup=False)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        msgid = (event.row_key.value or "").split("/")[0]
        if msgid:
            app = self.fivec  # time-travel: replies by then, reports known then (or now)
            at, known = app.at, None if app.known_now else app.at
            self.off_ui(lambda: messages.story(app.store, msgid, at, known), self._story, "story")

    def _story(self, s: dict) -> None:
        msgid = s["msgid"]
        # Every value here came from the platform or a push: inert text, newlines our own.
        newline = Text("\n")
        lines = [
            safe_text(
                _("msgid {msgid}  sent {time}  {n} recipient(s)").format(
                    msgid=msgid, time=show_date(s["sent_at"]), n=len(s["recipients"])
                ),
                "bold",
            ),
            newline,
        ]
        if s["recipients"]:
            lines += [safe_text(s["recipients"][0]["content"], limit=300), newline]
        for r in s["recipients"][:20]:
            status = r["status"] or _("pending")
            lines += [safe_text(f"  {r['mobile']}  {status}  {duration(r['latency'])}"), newline]
        for r in s["replies"][:10]:
            lines += [
                safe_text(
                    "  "
                    + _("reply {time} {mobile}: ").format(
                        time=show_time(r["received_at"]), mobile=r["mobile"]
                    )
                ),
                safe_text(r["content"], limit=80),
                newline,
            ]
        for o in s["outbox"]:
            said = _("sent from this tool: {state} {detail}").format(
                state=_(o["state"]), detail=o["detail"] or ""
            )
            lines += [safe_text("  " + said, "cyan"), newline]
        self.query_one("#story", Static).update(Text.assemble(*lines))
