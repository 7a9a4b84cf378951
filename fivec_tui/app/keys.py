"""``?``: every key of the screen underneath, grouped, in the interface's language.

Textual's own help panel shows binding descriptions as they were defined, in English; ours
are marked ``N_()``, Textual's listed in :mod:`.textual_strings`, and all are translated here,
as the key bar translates them.  The keys are grouped (this screen's actions, going to a
screen, time travel, the app's own) and the list scrolls, so that all of them can be read at
80x24: the keys that move around inside a screen (Textual's, no id) are said in a line or two
instead of one line each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ..i18n import N_, _

if TYPE_CHECKING:
    from textual.screen import Screen

#: The groups, in the order shown, each by the prefix of its bindings' ids.
GROUPS = (
    ("", N_("On this screen")),
    ("nav.", N_("Go to a screen")),
    ("time.", N_("Time travel: the account at a past moment")),
    ("app.", N_("Everywhere")),
)
#: Textual's keys for moving around inside a screen, said once (they have no id).
MOVING = (
    ("↑ ↓ ← →", N_("move in a table or a list, scroll")),
    ("pgup pgdn home end", N_("a page up or down, the top, the end")),
    ("tab shift+tab", N_("the next or the previous part (a table, a field)")),
)


def grouped(screen: Screen) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """The keys of ``screen`` as ``(group title, [(keys, description, enabled)])``: an action
    bound to several keys is one line (``n esc``), Textual's own keys are left out."""
    app = screen.app
    lines: dict[str, dict[tuple[str, str], list]] = {prefix: {} for prefix, _t in GROUPS}
    for _key, binding, enabled, _tip in screen.active_bindings.values():
        if not binding.id or not binding.description:
            continue
        prefix = next((p for p, _t in GROUPS[1:] if binding.id.startswith(p)), "")
        line = lines[prefix].setdefault((binding.id, binding.description), [[], enabled])
        line[0].append(app.get_key_display(binding))
    if app.ENABLE_COMMAND_PALETTE:  # Textual's binding, ours to tell
        palette = Binding(app.COMMAND_PALETTE_BINDING, "command_palette", N_("Command palette"))
        lines["app."][("palette", palette.description)] = [[app.get_key_display(palette)], True]
    return [
        (_(title), [(" ".join(keys), _(desc), on) for (_id, desc), (keys, on) in found.items()])
        for (prefix, title), found in zip(GROUPS, lines.values(), strict=True)
        if found
    ]


class KeysScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    KeysScreen { align: center middle; }
    #keys {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    #keys-list { height: auto; max-height: 80vh; }  /* the title, foot and border: the rest */
    #keys-list:focus { background-tint: $foreground 0%; }
    #keys-foot { color: $text-muted; }
    """
    AUTO_FOCUS = "#keys-list"
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", N_("Close"), id="keys.close")]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.groups = grouped(screen)

    def compose(self) -> ComposeResult:
        groups = [*self.groups, (_("Moving around"), [(k, _(d), True) for k, d in MOVING])]
        width = max(Text(k).cell_len for _t, keys in groups for k, _d, _on in keys) + 2
        lines = Text()
        for i, (title, keys) in enumerate(groups):
            lines.append(("\n" if i else "") + title + "\n", "bold underline")
            for key, description, enabled in keys:
                shown = Text(key, "bold")
                shown.align("left", width)
                lines.append_text(shown)
                lines.append(description + "\n", "" if enabled else "dim")
        with Vertical(id="keys"):
            yield Label(Text(_("Keys"), "bold"))
            lines.rstrip()
            with VerticalScroll(id="keys-list"):
                yield Static(lines)
            yield Static(_("↑ ↓ pgup pgdn home end scroll · esc ? q close"), id="keys-foot")

    def action_dismiss(self) -> None:
        self.dismiss(None)
