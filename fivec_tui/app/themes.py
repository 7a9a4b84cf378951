"""Themes: the shipped ones in ``themes/``, the user's in the config dir; the choice remembered."""

from __future__ import annotations

import json
import logging
from dataclasses import fields
from pathlib import Path

import platformdirs
from textual.theme import Theme

from ..config import APP_NAME, config_dir, read_theme
from ..private_files import read_regular, write_private
from ..resources import themes_dir

log = logging.getLogger("fivec_tui.app")
#: The state file holds a theme's name: anything larger is not ours.
STATE_MAX_BYTES = 64 * 1024
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
    """The theme chosen last; None when there is none (or no state file that is a regular
    file of sane size: a FIFO there must not stall the start)."""
    try:
        return json.loads(read_regular(state_path(), STATE_MAX_BYTES)).get("theme")
    except (OSError, ValueError, AttributeError):
        return None


def remember_theme(name: str) -> None:
    """Remember ``name`` (the file replaced whole, 0600, never written through a link); when
    it cannot be written the choice is only not remembered."""
    try:
        write_private(state_path(), json.dumps({"theme": name}))
    except OSError as exc:
        log.warning("theme %s not remembered: %s", name, exc)
