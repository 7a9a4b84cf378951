"""Themes: the shipped ones in ``themes/``, the user's in the config dir; the choice remembered."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import platformdirs
from textual.theme import Theme

from ..config import APP_NAME, config_dir
from ..files import write_private
from ..resources import themes_dir

THEME_FIELDS = {
    "name",
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "dark",
    "variables",
}


def theme_files() -> list[Path]:
    return sorted(themes_dir().glob("*.toml")) + sorted((config_dir() / "themes").glob("*.toml"))


def load_theme(path: Path) -> Theme:
    """One theme file, or ValueError saying what is wrong with it."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"theme {path}: {exc}") from None
    unknown = set(data) - THEME_FIELDS
    if unknown or "name" not in data or "primary" not in data:
        raise ValueError(f"theme {path}: needs name and primary; unknown keys {sorted(unknown)}")
    try:
        return Theme(**data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"theme {path}: {exc}") from None


def state_path() -> Path:
    return Path(platformdirs.user_state_dir(APP_NAME)) / "state.json"


def remembered_theme() -> str | None:
    try:
        return json.loads(state_path().read_text("utf-8")).get("theme")
    except (OSError, ValueError, AttributeError):
        return None


def remember_theme(name: str) -> None:
    write_private(state_path(), json.dumps({"theme": name}))
