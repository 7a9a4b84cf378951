"""Where the app goes beyond Textual's public API: each place named, switchable, and the ones
that depend on Textual's internals applied only to the version they were written against.

- ``first-frame``: when the first layout is done, the screen's pending repaint is run at once
  (its update tick, ``Screen._on_timer_update``; no public call runs it). Textual lays the
  first screen out inside its start-up batch, whose renders are never written, so only a
  partial update goes out after it and the whole frame waits ~20 ms for the update timer's
  first tick. Time to first frame, ``tests/bench/bench_ui.py``: 1.49x a bare Textual app
  with it, 1.58-1.61x without (three runs each, the same hour).
- ``first-theme``: the remembered theme is set as Textual sets its default one, without the
  theme watcher's CSS refresh, which before anything is parsed only parses every stylesheet
  again (~10 ms of start-up: 1.49x against 1.51-1.55x). The watcher's other effects (its
  classes) are made here; a theme that needs another ANSI colour filter than Textual's
  default goes through the watcher.
- ``driver``: the terminal driver of :mod:`.terminal` (only changed cells written, an output
  that outlives a hung-up terminal). Public API only: applied on any version. Bytes over
  30 s of the demo, ``tests/bench/bench_ssh.py``: 0.49-0.56x ``top -d 2`` with it,
  7.6-8.3x without.
- ``scrollbars``: every scroll bar drawn in whole cells (``ScrollBar.renderer``, Textual's
  documented way), see :class:`WholeCellScrollBar`. Public API: applied on any version.

``FIVEC_TEXTUAL_HOOKS=off`` runs stock Textual (none of them); a comma-separated list names
the ones to apply (``FIVEC_TEXTUAL_HOOKS=driver``); unset or ``on``: all. Textual is pinned
(``pyproject.toml``); on any other version ``first-frame`` and ``first-theme`` are not
applied, and ``tests/unit/test_public_textual.py`` keeps every other module on public API.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import textual
from textual.app import App
from textual.scrollbar import ScrollBar, ScrollBarRender

if TYPE_CHECKING:
    from textual.screen import Screen

#: The Textual the internal hooks were written against (and pinned in pyproject.toml).
WRITTEN_FOR = "8.2.8"
HOOKS = ("first-frame", "first-theme", "driver", "scrollbars")
#: The hooks that depend on Textual's internals.
INTERNAL = frozenset({"first-frame", "first-theme"})
ENV = "FIVEC_TEXTUAL_HOOKS"

log = logging.getLogger(__name__)


@cache
def written_for_this_textual() -> bool:
    """Whether the installed Textual is the one the internal hooks were written for: its
    metadata directory is looked for beside it (one stat; ``textual.__version__`` reads the
    metadata through importlib.metadata, ~10 ms of start-up)."""
    site = Path(textual.__file__).resolve().parents[1]
    return (site / f"textual-{WRITTEN_FOR}.dist-info").is_dir()


def applies(name: str) -> bool:
    """Whether hook ``name`` is on: switched on, and written for this Textual if internal."""
    setting = os.environ.get(ENV, "on").strip().lower()
    if setting in ("", "on", "all"):
        chosen = set(HOOKS)
    elif setting in ("off", "none"):
        chosen = set()
    else:
        chosen = {part.strip() for part in setting.split(",")}
        if unknown := chosen - set(HOOKS):
            log.warning("%s: unknown hooks %s ignored", ENV, ", ".join(sorted(unknown)))
    if name not in chosen:
        return False
    return name not in INTERNAL or written_for_this_textual()


def write_first_frame(screen: Screen) -> None:
    """Write ``screen`` whole now rather than at its update timer's first tick."""
    screen.refresh()
    if applies("first-frame"):
        screen._on_timer_update()


def set_first_theme(app: App, name: str) -> None:
    """Start ``app`` (not running yet) in theme ``name``."""
    theme, default = app.get_theme(name), app.current_theme
    if (
        theme is None
        or not applies("first-theme")
        or (theme.dark, theme.ansi) != (default.dark, default.ansi)  # another colour filter
    ):
        app.theme = name
        return
    app.set_reactive(App.theme, name)
    app.set_class(theme.dark, "-dark-mode", update=False)
    app.set_class(not theme.dark, "-light-mode", update=False)
    app.set_class(True, f"-theme-{name}", update=False)


class WholeCellScrollBar(ScrollBarRender):
    """Scroll bars drawn in whole cells, the thumb in reverse video.

    Textual ends a thumb with eighth-block glyphs (``▁``..``▇``, ``▏``..``▉``) for a smoother
    look; where its colours are lost (a 256-colour tmux turns the track into the background,
    ``tmux capture-pane``, a monochrome terminal) those ends are all that is left: two cells
    of a chart glyph at the right edge of a screen, a table, the ``?`` panel. Whole cells
    draw the thumb as a block wherever reverse video shows, and nothing else.
    """

    VERTICAL_BARS = [" "] * len(ScrollBarRender.VERTICAL_BARS)
    HORIZONTAL_BARS = [" "] * len(ScrollBarRender.HORIZONTAL_BARS)


def set_scroll_bars() -> None:
    """Draw every scroll bar in whole cells, or as Textual does when switched off."""
    ScrollBar.renderer = WholeCellScrollBar if applies("scrollbars") else ScrollBarRender
