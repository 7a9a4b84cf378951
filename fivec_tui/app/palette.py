"""The command palette, the Keys screen and Textual's other prompts, in the interface's
language (Textual's own English is listed in :mod:`.textual_strings`)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual import events
from textual.app import SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.theme import ThemeProvider

from ..i18n import N_, _

if TYPE_CHECKING:
    from textual.screen import Screen


#: The keys that are not a screen of their own but that the palette offers too, with what
#: each does (the screens' keys are offered from their ``switch_mode`` action).
PALETTE = {
    "nav.accounts": N_("Every account side by side"),
    "time.pick": N_("Show every screen at a moment in the past"),
    "time.live": N_("Back to the live numbers"),
}


class PaletteActions:
    """The app's palette commands (screens first, then accounts, then Textual's, translated),
    ``?``, and what Textual says in English itself; mixed into :class:`~.app.FivecApp`."""

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(
                CommandPalette(id="--command-palette", placeholder=_("Search for commands…"))
            )

    def search_themes(self) -> None:
        self.push_screen(
            CommandPalette(providers=[ThemeProvider], placeholder=_("Search for themes…"))
        )

    def action_help_quit(self) -> None:
        """ctrl+c (which copies in a text field) says how to quit, as Textual's does."""
        for active in self.active_bindings.values():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(
                    _("Press {key} to quit").format(key=self.get_key_display(active.binding)),
                    title=_("Quit?"),
                    markup=False,
                )
                return

    # The palette's Screenshot command: where it went, said instead of Textual's notices (a
    # handler here runs before App's, and prevent_default keeps those from running).
    def on_delivery_complete(self, event: events.DeliveryComplete) -> None:
        if event.name == "screenshot":
            event.prevent_default()
            where = str(event.path) if event.path else ""
            self.notify(_("Screenshot saved {path}").format(path=where).strip(), markup=False)

    def on_delivery_failed(self, event: events.DeliveryFailed) -> None:
        if event.name == "screenshot":
            event.prevent_default()
            self.notify(_("Screenshot not saved"), severity="error")

    def action_keys(self) -> None:
        """What every key of this screen does, grouped and translated (see :mod:`.keys`)."""
        self.push_screen(importlib.import_module(f"{__package__}.keys").KeysScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette's commands in the interface's language, the screens first."""
        seen = set()
        for binding in (*self.BINDINGS, *screen.BINDINGS):
            if not isinstance(binding, Binding) or binding.action in seen:
                continue
            seen.add(binding.action)
            if "switch_mode" in binding.action:
                mode = binding.action.split("'")[1]
                yield SystemCommand(
                    _(binding.description),
                    _("Go to the {screen} screen").format(screen=_(binding.description)),
                    partial(self.switch_mode, mode),
                )
            elif binding.id in PALETTE:
                yield SystemCommand(
                    _(binding.description),
                    _(PALETTE[binding.id]),
                    partial(self.run_action, binding.action.removeprefix("app.")),
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
