"""The CLI on a simulator's account, run in-process or as a child: what the CLI tests share."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from click.testing import CliRunner

from fivec_tui.cli import main


def empty_config(path: Path) -> str:
    """An empty config file at ``path`` (0600), made if missing: a file FIVEC_CONFIG or
    ``--config`` names must exist."""
    path.touch(mode=0o600)
    return str(path)


def account_env(sim, tmp_path) -> dict[str, str]:
    """``sim``'s account through FIVEC_* variables, the config (empty) and cache in
    ``tmp_path``."""
    a = sim.account
    empty_config(tmp_path / "config.toml")
    return {
        "FIVEC_CONFIG": str(tmp_path / "config.toml"),
        "FIVEC_DB": str(tmp_path / "c.db"),
        "FIVEC_BASE_URL": sim.base_url,
        "FIVEC_USERNAME": a.username,
        "FIVEC_PASSWORD": a.password,
        "FIVEC_APIKEY": a.apikey,
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """``fivec-tui ARGS`` with ``env``: exit code, stdout, stderr."""
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


async def start(
    env: dict[str, str], *args: str, stderr: int = asyncio.subprocess.PIPE
) -> asyncio.subprocess.Process:
    """``fivec-tui ARGS`` started as a child process with ``env``: no stdin, stdout piped,
    stderr as asked (``PIPE``, ``STDOUT`` to read it with stdout, ``DEVNULL``)."""
    return await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "fivec_tui", *args),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )
