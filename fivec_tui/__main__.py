"""``fivec-tui`` and ``python -m fivec_tui``."""

from __future__ import annotations

import gc
import sys

HELP = {"-h", "--help"}


def run() -> None:
    """The console entry point: rich-click's help pages, only when help is asked for.

    rich-click costs ~20 ms to import, which every start (the TUI's first frame, each
    scripted ``stats --json``) would otherwise pay for pages it does not show.

    The collector is off from here: start-up makes ~50k objects that live as long as the
    process (modules, classes, the first screen's widgets), and collecting while they are
    made (some 120 collections before the TUI's first frame) frees nothing and took 15-25%
    of the time to that frame. A command turns it back on as it starts
    (:data:`fivec_tui.cli.main.OPENS_THE_TUI`), the TUI once its first frame is written.
    """
    gc.disable()
    from .language import choose_from_argv

    choose_from_argv(sys.argv[1:])  # help texts are translated as the commands are defined
    if HELP & set(sys.argv[1:]):
        _rich_help()
    from .cli import main

    main()


def _rich_help() -> None:
    """rich-click's pages, their headings in the interface's language."""
    from rich_click import rich_click as settings
    from rich_click.patch import patch
    from rich_click.rich_help_formatter import RichHelpFormatter

    from .i18n import _

    patch()  # before the commands are defined, so they are built rich (cli defines them)
    from .cli.linebreak import use_in_rich

    use_in_rich()  # no closing mark (。）、) alone at a line's start
    write_usage = RichHelpFormatter.write_usage  # its prefix is "Usage:" unless one is given

    def translated_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, prefix or _("Usage:"))

    RichHelpFormatter.write_usage = translated_usage  # tests/unit/test_i18n.py pins it
    settings.OPTIONS_PANEL_TITLE = _("Options")
    settings.COMMANDS_PANEL_TITLE = _("Commands")
    settings.ARGUMENTS_PANEL_TITLE = _("Arguments")
    settings.ERRORS_PANEL_TITLE = _("Error")
    # Rich markup: the opening bracket is escaped, as in rich-click's own defaults.
    settings.REQUIRED_LONG_STRING = "\\[" + _("required") + "]"
    settings.DEFAULT_STRING = "\\[" + _("default: {}") + "]"
    settings.ENVVAR_STRING = "\\[" + _("env var: {}") + "]"


if __name__ == "__main__":
    run()
