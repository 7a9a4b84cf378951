"""Where the shipped reference data and themes live, in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _first(*candidates: Path) -> Path:
    for path in candidates:
        if path.is_dir():
            return path
    return candidates[0]


def data_dir() -> Path:
    """``data/`` of the checkout, or ``fivec_tui/_data`` inside a built wheel."""
    return _first(_PACKAGE.parent / "data", _PACKAGE / "_data")


def themes_dir() -> Path:
    return _first(_PACKAGE.parent / "themes", _PACKAGE / "_themes")
