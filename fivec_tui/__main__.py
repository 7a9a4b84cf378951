"""``fivec-tui`` and ``python -m fivec_tui``."""

from __future__ import annotations

import sys

HELP = {"-h", "--help"}


def run() -> None:
    """The console entry point: rich-click's help pages, only when help is asked for.

    rich-click costs ~20 ms to import, which every start (the TUI's first frame, each
    scripted ``stats --json``) would otherwise pay for pages it does not show.
    """
    if HELP & set(sys.argv[1:]):
        from rich_click.patch import patch

        patch()  # before the commands are defined, so they are built rich
    from .cli import main

    main()


if __name__ == "__main__":
    run()
