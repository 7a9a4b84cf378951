"""Send form: recipients, content with live counts, a confirmation showing what goes out.

The same text to a number that got it within ``[app] duplicate_window_s`` asks a second,
different question naming the earlier send (:class:`~.widgets.ConfirmAgain`).  A read-only
console shows a notice instead of the form; the send is audited either way
(:mod:`fivec_tui.sync.acting`), and refused there too when read-only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.widgets import Button, Header, Input, Select, Static, TextArea

from ..api import ContentEncodingError, FivecError
from ..api.sms import (
    Recipients,
    check_content,
    has_signature,
    parse_recipients,
    parts,
    template_variables,
)
from ..i18n import N_, _
from ..store import queries
from ..store.auditor import ReadOnly
from ..store.duplicates import Duplicate, earlier_sends, text_key
from ..sync.acting import NotAudited
from ..when import parse_schedule, show_date, show_full
from .base import FivecScreen
from .events import SendDone
from .format import safe_text
from .keybar import KeyBar
from .widgets import Banner, Confirm, ConfirmAgain, ReadOnlyNotice

if TYPE_CHECKING:
    from datetime import datetime


class SendScreen(FivecScreen):
    """The form fits 80x24 whole: the fields' names are their borders' titles, and the result
    sits beside the Send button."""

    SHOWS_NOW = True  # a send goes out now, whatever moment the other screens show
    DEFAULT_CSS = """
    #to { height: 4; }
    #content { height: 5; }
    /* the checks under the fields in one line each, however many numbers are wrong */
    #to-check, #count { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    #to, #content { border-title-color: $foreground; }  /* the fields' names */
    #send-options { grid-size: 2; grid-rows: 3; height: auto; }
    #send-result { height: auto; padding: 0 1; width: 1fr; }
    #send-row { height: auto; }
    """
    #: A form opens in its first field: typed digits are recipients, never navigation keys
    #: (esc leaves the field for those).
    AUTO_FOCUS = "#to"

    BINDINGS = [Binding("ctrl+s", "send", N_("Send"), id="send.send")]
    ACTING = frozenset({"send"})
    #: The outbox's states, shown translated (listed so they are extracted).
    STATES = (N_("sending"), N_("accepted"), N_("unknown"), N_("failed"))

    def compose(self) -> ComposeResult:
        yield Header()
        yield Banner(id="banner")
        if self.fivec.read_only:
            yield ReadOnlyNotice(self.fivec.read_only)
            yield KeyBar()
            return
        with VerticalScroll():
            to = TextArea(id="to", soft_wrap=True)
            to.border_title = Text(_("Recipients (typed or pasted; commas, spaces or lines)"))
            yield to
            yield Static(id="to-check")
            content = TextArea(id="content", soft_wrap=True)
            content.border_title = Text(_("Content (signature 【…】 counts; ≤500 characters)"))
            yield content
            yield Static(id="count")
            with Grid(id="send-options"):
                yield Select(
                    [("UTF-8", "UTF-8"), ("GBK", "GBK")],
                    value="UTF-8",
                    allow_blank=False,
                    id="encode",
                )
                yield Input(placeholder=_("schedule: ISO time or +10m (blank: now)"), id="at")
                yield Input(placeholder=_("template code (optional)"), id="template")
                yield Input(placeholder=_("template vars: name=value; name=value"), id="vars")
            with Horizontal(id="send-row"):
                yield Button(_("Send (ctrl+s)"), variant="primary", id="send")
                yield Static(id="send-result")
        yield KeyBar()

    def on_mount(self) -> None:
        if not self.fivec.read_only:
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
        sig = (
            ""
            if not content or has_signature(content)
            else _("  no 【signature】 at start or end!")
        )
        over = _("  OVER 500!") if len(content) > 500 else ""
        self.query_one("#count", Static).update(
            Text.assemble(
                _("{chars} characters, {n} part(s) each, {cost} part(s) in all").format(
                    chars=len(content), n=n, cost=cost
                ),
                (over, "bold red"),  # before the signature: one line, cut at its end
                (sig, "yellow"),
            )
        )

    def _show_recipients(self, recipients: Recipients, black: set[str]) -> None:
        bits = [Text(_("{n} valid").format(n=len(recipients.valid)), "green")]
        if recipients.invalid:
            bits.append(Text(_("  invalid: "), "red"))
            bits.append(safe_text(", ".join(recipients.invalid[:10]), "red", 80))
            first = recipients.reasons[recipients.invalid[0]]  # and how to write one abroad
            bits.append(safe_text(f" ({first})", "red", 160))
        if recipients.duplicates:
            bits.append(
                Text(_("  {n} duplicate(s) dropped").format(n=len(recipients.duplicates)), "yellow")
            )
        if black:
            listed = ", ".join(sorted(black)[:5])
            bits.append(
                Text(_("  blacklisted (cached): {numbers}").format(numbers=listed), "bold red")
            )
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
            problems = recipients.problems() if recipients.invalid else _("no recipients")
            self.notify(
                problems, title=_("fix the recipients first"), severity="error", markup=False
            )
            return
        try:
            if not template:
                check_content(content, encode)
            variables = self._vars() if template else {}
            text = self.query_one("#at", Input).value
            at = parse_schedule(text) if text.strip() else None
        except (ContentEncodingError, ValueError) as exc:  # said now, not silently dropped
            self.notify(str(exc), severity="error", markup=False)
            return
        if self.fivec.client is None:
            self.notify(_("no account configured: cannot send"), severity="error")
            return
        body = Text.assemble(
            _("to {n}: ").format(n=len(recipients.valid)),
            safe_text(", ".join(recipients.valid[:8]), limit=120),
            "\n\n",
            safe_text(
                content
                if not template
                else _("template {code}: {variables}").format(code=template, variables=variables)
            ),
            "\n\n"
            + _("{n} part(s) each, {total} in all; encode {encode}; account {account}").format(
                n=parts(content),
                total=parts(content) * len(recipients.valid),
                encode=encode,
                account=self.fivec.profile.username,
            ),
            ("\n" + _("scheduled for {time}").format(time=show_full(at.timestamp()))) if at else "",
        )
        mobiles = recipients.valid
        key = text_key(content, template, variables)
        store, window = self.fivec.store, self.fivec.profile.acting.duplicate_window_s
        now = self.fivec.clock()
        self.off_ui(
            lambda: earlier_sends(store, [(m, key) for m in mobiles], window, now),
            lambda found: self._confirm(
                body, found, mobiles, content, encode, template, variables, at
            ),
            "duplicates",
        )

    def _confirm(self, body: Text, found: dict, *message) -> None:
        """The confirmation; then, when a number got the same text within the window, the
        second question that names the earlier send."""

        def again(ok: bool | None) -> None:
            if ok:
                self._go(*message, again=True)

        def confirmed(ok: bool | None) -> None:
            if ok and found:
                self.app.push_screen(self._again(found), again)
            elif ok:
                self._go(*message)

        self.app.push_screen(Confirm(_("Send this message?"), body), confirmed)

    @staticmethod
    def _earlier(found: dict, before: str = "") -> Text:
        """The latest earlier send of the same text (after ``before``), and how many more
        numbers got it on a second line."""
        last = max(found.values(), key=lambda e: e.at)
        msgid = _("msgid {msgid}").format(msgid=last.msgid) if last.msgid else _("no msgid")
        lines = [
            before
            + _("{mobile} got the same text at {time} ({msgid}, {source}).").format(
                mobile=last.mobile, time=show_date(last.at), msgid=msgid, source=last.told()
            )
        ]
        if len(found) > 1:
            lines.append(_("{n} more number(s) got it too.").format(n=len(found) - 1))
        return Text("\n").join(safe_text(line) for line in lines)

    @classmethod
    def _again(cls, found: dict) -> ConfirmAgain:
        body = Text.assemble(
            cls._earlier(found), "\n\n", _("a sends it again anyway; n or Esc does not.")
        )
        return ConfirmAgain(_("Sent already: send the same text again?"), body)

    def _vars(self) -> dict[str, str]:
        """``name=value; name=value``, read as the CLI reads ``--var``: ValueError on an item
        that is not ``NAME=VALUE``."""
        items = [i.strip() for i in self.query_one("#vars", Input).value.split(";") if i.strip()]
        return {name: value.strip() for name, value in template_variables(items).items()}

    @work(exclusive=True, exit_on_error=False, group="send")
    async def _go(
        self,
        mobiles: list[str],
        content: str,
        encode: str,
        template: str,
        variables: dict,
        at: datetime | None,
        again: bool = False,
    ) -> None:
        """Send; unless ``again`` (the person said so), refused when a number got the same
        text meanwhile (checked as the audit entry is written)."""
        from ..sync import outbox

        result_box = self.query_one("#send-result", Static)
        window = 0.0 if again else self.fivec.profile.acting.duplicate_window_s
        try:
            result = await outbox.send(
                self.fivec.store,
                self.fivec.client,
                mobiles,
                content,
                audit=self.fivec.auditor(),
                encode=encode,
                start_time=at,
                templet_code=template,
                variables=variables or None,
                duplicate_window_s=window,
            )
        except Duplicate as exc:
            text = self._earlier(exc.found, _("not sent: "))
            text.stylize("bold red")
            result_box.update(text)
            self.notify(text.plain, title=_("send failed"), severity="error", markup=False)
            return
        except (FivecError, ValueError, ReadOnly, NotAudited) as exc:
            result_box.update(safe_text(_("not sent: {error}").format(error=exc), "bold red"))
            self.notify(str(exc), title=_("send failed"), severity="error", markup=False)
            return
        if result.outcome == "unknown":
            result_box.update(
                safe_text(
                    _(
                        "OUTCOME UNKNOWN ({detail}): it may have been sent and was NOT retried. "
                        "Check Messages / send records before sending again."
                    ).format(detail=result.detail),
                    "bold yellow",
                )
            )
            return
        result_box.update(
            Text.assemble((_("accepted: msgid "), "green"), (result.msgid, "bold green"))
        )
        self.notify(_("accepted: msgid ") + result.msgid, markup=False)
        self.post_message(SendDone())
