"""Untrusted text (replies, server errors, pushed data) made safe to show.

Strings handed to Textual widgets are parsed as markup: ``[/]`` raises and ``[@click=...]``
becomes an action.  Rich also passes ESC, C1 controls and bidi overrides to the terminal.
Everything from outside goes through :func:`safe_text`, which returns a :class:`Text` (never
parsed as markup) with every control and bidi character replaced by a visible escape.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from rich.cells import cell_len
from rich.text import Text

from ..i18n import _
from ..text import visible


def safe_text(value: object, style: str = "", limit: int | None = None) -> Text:
    """Any outside value as inert :class:`Text`, optionally cut to ``limit`` characters."""
    text = visible("" if value is None else str(value))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return Text(text, style=style, no_wrap=limit is not None)


def count(n: int, digits: int = 3, exact_below: int = 10_000) -> str:
    """A count in at most five characters: exact below 10,000, then 12.3k, 123k, 1.23M...
    (``digits`` significant digits, at least the whole part, from ``exact_below`` on)."""
    if n < exact_below:
        return str(n)
    value, unit = n / 1000, "k"
    for bigger in ("M", "G", "T"):
        if value < 999.5:
            break
        value, unit = value / 1000, bigger
    decimals = max(0, digits - len(f"{value:.0f}"))
    return f"{value:.{decimals}f}{unit}"


#: How counts are written, shorter and shorter, until a line of them fits (see fitting).
COUNT_FORMS: tuple[Callable[[int], str], ...] = (
    count,
    partial(count, exact_below=1000),
    partial(count, digits=2, exact_below=1000),
)


def fitting(line: Callable[[Callable[[int], str]], str], width: int) -> str:
    """``line(form)``, its counts written by ``form``: the first of :data:`COUNT_FORMS`
    whose line fits in ``width`` cells (``width`` 0: not laid out yet, the first), so that
    a box shows every count whole, abbreviated as much as it takes, never cut."""
    for form in COUNT_FORMS:
        text = line(form)
        if not width or cell_len(text) <= width:
            break
    return text


def ago(ts: float | None, now: float) -> str:
    if ts is None:
        return _("never")
    return _("{duration} ago").format(duration=duration(now - ts))


def duration(seconds: float | None) -> str:
    """``42s``, ``5m``, ``2.5h``, ``3.0d``; a negative one (a report the platform dates
    before its send: a clock wrong somewhere) keeps its sign."""
    if seconds is None:
        return "—"
    s, sign = abs(seconds), "-" if seconds <= -0.5 else ""
    if s < 90:
        return f"{sign}{s:.0f}s"
    if s < 5400:
        return f"{sign}{s / 60:.0f}m"
    if s < 172800:
        return f"{sign}{s / 3600:.1f}h"
    return f"{sign}{s / 86400:.1f}d"


def rate_class(rate: float | None) -> str:
    """Colour meaning of a delivery rate: healthy, degraded, failing."""
    if rate is None:
        return "idle"
    return "healthy" if rate >= 0.95 else "degraded" if rate >= 0.85 else "failing"


RATE_STYLE = {"healthy": "green", "degraded": "yellow", "failing": "bold red", "idle": ""}


def rate_text(rate: float | None) -> Text:
    """A delivery rate as a percentage in its health's colour; ``—`` when there is none."""
    if rate is None:
        return Text("—")
    return Text(f"{rate:.1%}", RATE_STYLE[rate_class(rate)])
