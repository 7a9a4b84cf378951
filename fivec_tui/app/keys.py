"""The keys of the screen underneath, with what each does, in the interface's language.

Textual's own help panel shows binding descriptions as they were defined, in English; ours
are marked ``N_()``, Textual's listed in :mod:`.textual_strings`, and all are translated here,
as the key bar translates them.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ..i18n import N_, _


class KeysScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", N_("Close"), id="keys.close")]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys  # (key as shown, description still in English)

    def compose(self) -> ComposeResult:
        width = max((Text(k).cell_len for k, _d in self.keys), default=0) + 2
        lines = Text()
        for key, description in self.keys:
            shown = Text(key, "bold")
            shown.align("left", width)
            lines.append_text(shown)
            lines.append(_(description) + "\n")
        with Vertical(id="keys"):
            yield Label(Text(_("Keys"), "bold"))
            yield Static(lines)
            yield Static(Text(_("esc closes"), "dim"))

    def action_dismiss(self) -> None:
        self.dismiss(None)
