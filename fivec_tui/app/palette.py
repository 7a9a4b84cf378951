"""The command palette and the Keys screen, in the interface's language."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.binding import Binding

from ..i18n import N_, _

if TYPE_CHECKING:
    from textual.screen import Screen

#: Textual's own palette commands, translated when shown (listed so they are extracted).
TEXTUAL_COMMANDS = (
    *(N_("Theme"), N_("Change the current theme"), N_("Quit")),
    *(N_("Quit the application as soon as possible"), N_("Minimize"), N_("Maximize")),
    *(N_("Minimize the widget and restore to normal size"), N_("Maximize the focused widget")),
    *(N_("Screenshot"), N_("Save an SVG 'screenshot' of the current screen")),
)


class PaletteActions:
    """The app's palette commands (screens first, then accounts, then Textual's, translated)
    and ``?``; mixed into :class:`~.app.FivecApp`."""

    def action_keys(self) -> None:
        """What every key of this screen does, grouped and translated (see :mod:`.keys`)."""
        self.push_screen(importlib.import_module(f"{__package__}.keys").KeysScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette's commands in the interface's language, the screens first."""
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.action.startswith("switch_mode"):
                mode = binding.action.split("'")[1]
                yield SystemCommand(
                    _(binding.description),
                    _("Go to the {screen} screen").format(screen=_(binding.description)),
                    partial(self.switch_mode, mode),
                )
        for name in self.accounts if len(self.accounts) > 1 else ():
            yield SystemCommand(
                _("Account: {name}").format(name=name),
                _("Show this account on every screen"),
                partial(self.run_worker, partial(self.focus_account, name), group="focus"),
            )
        for command in super().get_system_commands(screen):
            if command.title == "Keys":  # ours, translated, instead of Textual's help panel
                yield SystemCommand(
                    _("Keys"), _("What every key of this screen does"), self.action_keys
                )
            else:
                yield command._replace(title=_(command.title), help=_(command.help))
