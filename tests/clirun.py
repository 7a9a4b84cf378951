"""The CLI run in-process, on a simulator's account: what the CLI tests share."""

from __future__ import annotations

from click.testing import CliRunner

from fivec_tui.cli import main


def account_env(sim, tmp_path) -> dict[str, str]:
    """``sim``'s account through FIVEC_* variables, the config and cache in ``tmp_path``."""
    a = sim.account
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
