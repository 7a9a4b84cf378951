"""Themes: the shipped ones in ``themes/``, the user's in the config dir; the choice remembered."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import platformdirs
from textual.theme import Theme

from ..config import APP_NAME, config_dir, read_theme
from ..private_files import write_private
from ..resources import themes_dir

#: Every field of Textual's Theme (its dataclass), so a theme file may set any of them.
THEME_FIELDS = fields(Theme)


def theme_files() -> list[Path]:
    return sorted(themes_dir().glob("*.toml")) + sorted((config_dir() / "themes").glob("*.toml"))


def load_theme(path: Path) -> Theme:
    """One theme file, or ValueError naming the file, the key and what is wrong with it."""
    settings = read_theme(path, THEME_FIELDS)
    try:
        return Theme(**settings)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from None


def state_path() -> Path:
    return Path(platformdirs.user_state_dir(APP_NAME)) / "state.json"


def remembered_theme() -> str | None:
    try:
        return json.loads(state_path().read_text("utf-8")).get("theme")
    except (OSError, ValueError, AttributeError):
        return None


def remember_theme(name: str) -> None:
    write_private(state_path(), json.dumps({"theme": name}))
