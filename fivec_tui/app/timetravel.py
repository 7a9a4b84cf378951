"""Time-travel: every screen shows the account as it was at a past moment (``FivecApp.at``).

``@`` asks for a moment (the CLI's WHEN forms: ISO, ``-2h``, ``yesterday 03:00``, in the
display zone without an offset), ``[`` and ``]`` step back and forward by one window
(:data:`STEP_S`), ``L`` returns to live, ``K`` toggles "as known now" (count every report
cached since, not only those reported by then).  Every screen's banner names the moment, its
zone and the view.  The numbers come from :mod:`fivec_tui.store.asof`, by the platform's
times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from ..i18n import N_, _
from ..when import EARLIEST, later_than_now, parse_when, show_full, zone_label

if TYPE_CHECKING:
    from .app import FivecApp

#: ``[`` and ``]`` move by the dashboard's shortest window.
STEP_S = 300

BINDINGS = [
    Binding("@", "pick_moment", N_("Go to a moment"), id="time.pick", show=False),
    Binding("left_square_bracket", "step(-1)", N_("Back one window"), id="time.back", show=False),
    Binding(
        "right_square_bracket", "step(1)", N_("Forward one window"), id="time.forward", show=False
    ),
    Binding("L", "live", N_("Back to live"), id="time.live", show=False),
    Binding("K", "toggle_known_now", N_("As known now"), id="time.known", show=False),
    Binding("t", "switch_mode('timeline')", N_("Timeline"), id="nav.timeline", show=False),
]


def view_name(known_now: bool) -> str:
    """Which numbers a past moment shows, as every screen names them."""
    return _("as known now") if known_now else _("as it was then")


def banner_state(at: float, known_now: bool, shows_now: bool = False) -> Text:
    """The banner's state at a past moment, its zone and view: reversed magenta, never LIVE's
    green.  ``shows_now``: the screen acts on the present (a send), and says so."""
    label = _("AT {time} · {view}").format(time=show_full(at), view=view_name(known_now))
    return Text.assemble(
        (f" {label} ", "bold reverse magenta"),
        (" " + _("this screen: now") + " ", "bold yellow") if shows_now else "",
        (" " + _("[ ] step, K view, L live") + " ", "magenta"),
    )


class MomentDialog(ModalScreen[float | None]):
    """Asks for a moment; Enter goes there, Esc cancels.  A bad time is said, not taken."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="time.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="moment"):
            yield Label(Text(_("Go to a moment"), "bold"))
            yield Static(_("ISO (2026-11-25T03:00), -2h, yesterday 03:00, today 03:00 or now"))
            yield Static(_("without an offset: {zone}").format(zone=zone_label()))
            yield Input(placeholder=_("yesterday 03:00"), id="moment-input")
            yield Static("", id="moment-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        app: FivecApp = self.app  # type: ignore[assignment]
        try:
            when = parse_when(event.value).timestamp()
        except ValueError as exc:
            self.query_one("#moment-error", Static).update(Text(str(exc), "red"))
            return
        if said := later_than_now(when, app.clock()):
            app.notify(said)
        self.dismiss(None if when >= app.clock() else when)

    def action_cancel(self) -> None:
        self.dismiss(False)  # type: ignore[arg-type]  # not a moment: nothing changes


class TimeTravelActions:
    """The app's time-travel actions (mixed into :class:`FivecApp`, which holds the
    reactives ``at`` and ``known_now`` and the bindings above)."""

    def action_pick_moment(self: FivecApp) -> None:
        def chosen(when: float | bool | None) -> None:
            if when is not False:
                self.at = when  # None: now or later, live

        self.push_screen(MomentDialog(), chosen)

    def action_step(self: FivecApp, direction: int) -> None:
        now = self.clock()
        base = self.at if self.at is not None else now
        when = max(base + direction * STEP_S, EARLIEST)  # no further back than a WHEN goes
        self.at = None if when >= now else when

    def action_live(self: FivecApp) -> None:
        self.at = None

    def action_toggle_known_now(self: FivecApp) -> None:
        self.known_now = not self.known_now
        if self.at is None:
            self.notify(_("'as known now' applies to a past moment (@ to pick one)"))

    def watch_at(self: FivecApp, _old: float | None, _new: float | None) -> None:
        self.refresh_screen()

    def watch_known_now(self: FivecApp, _value: bool) -> None:
        self.refresh_screen()
