"""The garbage collector is off while the process starts, for the TUI until its first frame
(``fivec_tui.__main__.run``): every other command turns it back on as it starts."""

from __future__ import annotations

import subprocess
import sys


def _collector_when(argv: list[str], at: str) -> str:
    """Whether the collector is on (``True``/``False``) when ``at`` (code run in place of the
    app's ``run`` or a command's body) runs, in ``fivec-tui argv``."""
    code = (
        "import gc, sys\n"
        f"{at}\n"
        f"sys.argv = ['fivec-tui', *{argv!r}]\n"
        "from fivec_tui.__main__ import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.split("collector ")[-1].split()[0]


def test_the_collector_is_off_while_the_tui_starts(tmp_path):
    at_run = (
        "from fivec_tui.app.app import FivecApp\n"
        "def run(self, *args, **kwargs):\n"
        "    print('collector', gc.isenabled())\n"
        "FivecApp.run = run"
    )
    config = tmp_path / "none.toml"
    config.touch(mode=0o600)
    argv = ["--config", str(config), "demo"]
    assert _collector_when(argv, at_run) == "False"


def test_any_other_command_turns_the_collector_back_on(tmp_path):
    at_command = (
        "import fivec_tui.cli.config as c\n"
        "c.config_group.commands['path'].callback = lambda **_: print('collector', gc.isenabled())"
    )
    assert _collector_when(["config", "path"], at_command) == "True"
