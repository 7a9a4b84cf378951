"""Where the app changes how Textual itself draws, each place named and switchable, all of it
through Textual's public API.

- ``driver``: the terminal driver of :mod:`.terminal` (only changed cells written, an output
  that outlives a hung-up terminal). Bytes over 30 s of the demo,
  ``tests/bench/bench_ssh.py``: 0.49-0.56x ``top -d 2`` with it, 7.6-8.3x without.
- ``scrollbars``: every scroll bar drawn in whole cells (``ScrollBar.renderer``, Textual's
  documented way), see :class:`WholeCellScrollBar`.

``FIVEC_TEXTUAL_HOOKS=off`` runs stock Textual (neither); a comma-separated list names the
ones to apply (``FIVEC_TEXTUAL_HOOKS=driver``); unset or ``on``: both.
``tests/unit/test_public_textual.py`` keeps every module on Textual's public API.

Two hooks on Textual's internals are gone: writing the whole first frame at once
(``Screen._on_timer_update``) and starting in the remembered theme without the theme
watcher. Both made up for the first screen being a mode's, which has Textual refresh all its
CSS before the screen is styled; the dashboard is the default screen instead
(``FivecApp.get_default_screen``), and stock Textual then writes the whole first frame as soon
as it is laid out.
"""

from __future__ import annotations

import logging
import os

from textual.scrollbar import ScrollBar, ScrollBarRender

from ..text import visible

HOOKS = ("driver", "scrollbars")
ENV = "FIVEC_TEXTUAL_HOOKS"

log = logging.getLogger(__name__)


def applies(name: str) -> bool:
    """Whether hook ``name`` is switched on."""
    setting = os.environ.get(ENV, "on").strip().lower()
    if setting in ("", "on", "all"):
        return True
    if setting in ("off", "none"):
        return False
    chosen = {part.strip() for part in setting.split(",")}
    if unknown := chosen - set(HOOKS):
        said = visible(", ".join(sorted(unknown)))  # (its control characters not run)
        log.warning("%s: unknown hooks %s ignored", ENV, said)
    return name in chosen


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
