"""Where the config and the cache live (platformdirs; ``FIVEC_CONFIG`` names another file)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "fivec-tui"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_config_path(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env["FIVEC_CONFIG"]) if env.get("FIVEC_CONFIG") else config_dir() / "config.toml"
