"""Send form: recipients, content with live counts, a confirmation showing what goes out."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Header, Input, Label, Select, Static, TextArea

from ..api import ContentEncodingError, FivecError
from ..api.sms import Recipients, check_content, has_signature, parse_recipients, parts
from ..store import queries
from ..when import parse_when
from .base import StoreScreen
from .keybar import KeyBar
from .safe import safe_text


class Confirm(ModalScreen[bool]):
    """Shows exactly what will happen; Enter/y confirms, Esc/n cancels."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Label(Text(self.title_text, "bold"))
            yield Static(self.body)
            with Horizontal():
                yield Button("Yes (y)", variant="warning", id="yes")
                yield Button("No (n)", id="no")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class SendScreen(StoreScreen):
    BINDINGS = [Binding("ctrl+s", "send", "Send", id="send.send")]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Label("Recipients (typed or pasted; commas, spaces or lines)")
            yield TextArea(id="to", soft_wrap=True)
            yield Static(id="to-check")
            yield Label("Content (signature 【…】 counts; ≤500 characters)")
            yield TextArea(id="content", soft_wrap=True)
            yield Static(id="count")
            with Grid(id="send-options"):
                yield Select(
                    [("UTF-8", "UTF-8"), ("GBK", "GBK")],
                    value="UTF-8",
                    allow_blank=False,
                    id="encode",
                )
                yield Input(placeholder="schedule: ISO time or +10m (blank: now)", id="at")
                yield Input(placeholder="template code (optional)", id="template")
                yield Input(placeholder="template vars: name=value; name=value", id="vars")
            yield Button("Send (ctrl+s)", variant="primary", id="send")
            yield Static(id="send-result")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#encode", Select).value = self.fivec.profile.encode
        self._update_counts()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._update_counts()

    def _update_counts(self) -> None:
        recipients = parse_recipients(self.query_one("#to", TextArea).text)
        valid = recipients.valid[:500]
        self.off_ui(
            lambda: queries.cached_black(self.fivec.store, valid),
            lambda black: self._show_recipients(recipients, black),
            "blackcheck",
        )
        content = self.query_one("#content", TextArea).text
        n = parts(content)
        cost = n * len(recipients.valid)
        sig = "" if not content or has_signature(content) else "  no 【signature】 at start or end!"
        over = "  OVER 500!" if len(content) > 500 else ""
        self.query_one("#count", Static).update(
            Text.assemble(
                f"{len(content)} characters, {n} part(s) each, {cost} part(s) in all",
                (sig, "yellow"),
                (over, "bold red"),
            )
        )

    def _show_recipients(self, recipients: Recipients, black: set[str]) -> None:
        bits = [Text(f"{len(recipients.valid)} valid", "green")]
        if recipients.invalid:
            bits.append(Text("  invalid: ", "red"))
            bits.append(safe_text(", ".join(recipients.invalid[:10]), "red", 80))
        if recipients.duplicates:
            bits.append(Text(f"  {len(recipients.duplicates)} duplicate(s) dropped", "yellow"))
        if black:
            bits.append(Text(f"  blacklisted (cached): {', '.join(sorted(black)[:5])}", "bold red"))
        self.query_one("#to-check", Static).update(Text.assemble(*bits))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send":
            self.action_send()

    def action_send(self) -> None:
        recipients = parse_recipients(self.query_one("#to", TextArea).text)
        content = self.query_one("#content", TextArea).text
        encode = str(self.query_one("#encode", Select).value)
        template = self.query_one("#template", Input).value.strip()
        if recipients.invalid or not recipients.valid:
            self.notify("fix the recipients first", severity="error")
            return
        if not template:
            try:
                check_content(content, encode)
            except ContentEncodingError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
        if self.fivec.client is None:
            self.notify("no account configured: cannot send", severity="error")
            return
        body = Text.assemble(
            f"to {len(recipients.valid)}: ",
            safe_text(", ".join(recipients.valid[:8]), limit=120),
            "\n\n",
            safe_text(content if not template else f"template {template}: {self._vars()}"),
            f"\n\n{parts(content)} part(s) each, {parts(content) * len(recipients.valid)} in all; "
            f"encode {encode}; account {self.fivec.profile.username}",
        )
        self.app.push_screen(
            Confirm("Send this message?", body),
            lambda ok: self._go(recipients.valid, content, encode, template) if ok else None,
        )

    def _vars(self) -> dict[str, str]:
        out = {}
        for item in self.query_one("#vars", Input).value.split(";"):
            name, sep, value = item.partition("=")
            if sep and name.strip():
                key = name.strip()
                out[key if key.startswith("{") else f"{{{key}}}"] = value.strip()
        return out

    @work(exclusive=True, exit_on_error=False, group="send")
    async def _go(self, mobiles: list[str], content: str, encode: str, template: str) -> None:
        from ..sync import outbox

        result_box = self.query_one("#send-result", Static)
        try:
            text = self.query_one("#at", Input).value
            at = parse_when(text) if text.strip() else None
            result = await outbox.send(
                self.fivec.store,
                self.fivec.client,
                mobiles,
                content,
                encode=encode,
                start_time=at,
                templet_code=template,
                variables=self._vars() or None,
            )
        except (FivecError, ValueError) as exc:
            result_box.update(safe_text(f"not sent: {exc}", "bold red"))
            self.notify(str(exc), title="send failed", severity="error", markup=False)
            return
        if result.outcome == "unknown":
            result_box.update(
                safe_text(
                    f"OUTCOME UNKNOWN ({result.detail}): it may have been sent and was NOT retried. "
                    "Check Messages / send records before sending again.",
                    "bold yellow",
                )
            )
            return
        result_box.update(
            Text.assemble(("accepted: msgid ", "green"), (result.msgid, "bold green"))
        )
        self.notify(f"accepted: msgid {result.msgid}", markup=False)
        self.fivec.pull_soon()
