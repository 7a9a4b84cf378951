"""The command line: one module per command group, shared options in :mod:`.common`.

Every headless command works without a TTY and has ``--json`` where it prints data.  Exit
codes: 0 success, 1 the platform refused or could not be reached, 2 bad usage or input.
Help texts are translated when the commands are defined, so the language is chosen before
this package is imported (``fivec_tui.__main__``).
"""

from .common import Ctx
from .main import main

__all__ = ["Ctx", "main"]
