"""Chinese line breaking for the help pages: a full-width closing mark never starts a line.

Rich wraps at spaces, and a run of Chinese (which has none) too long for the line is folded
at whatever character the width falls on: ``。`` or ``）`` or ``、`` could start the next
line, alone (seen in ``campaign resume --help`` at 80 columns).  :func:`divide_line` takes
Rich's breaks and moves one that falls before such a mark (or after an opening one) a
character earlier, so the mark stays with the character before it, as Chinese typesetting
does (禁则); the rest of the text is then broken again from there.
"""

from __future__ import annotations

from collections.abc import Callable

#: Marks that may not start a line, and marks that may not end one.
CLOSING = frozenset("。，、；：？！）」』】》〉…·％")
OPENING = frozenset("（「『【《〈")

Divide = Callable[..., list[int]]


def keep_marks(divide: Divide) -> Divide:
    """``divide`` (Rich's ``divide_line``: text, width -> the offsets new lines start at)
    with every break moved off a closing mark's left (an opening mark's right)."""

    def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
        breaks: list[int] = []
        start = 0
        while offsets := divide(text[start:], width, fold):
            at = start + offsets[0]
            while (
                at - 1 > start
                and not text[at - 1].isspace()
                and (text[at] in CLOSING or text[at - 1] in OPENING)
            ):
                at -= 1  # the character before goes down with the mark
            breaks.append(at)
            start = at
        return breaks

    return divide_line


def use_in_rich() -> None:
    """Rich's texts wrap so from now on (help pages only: other output is never wrapped)."""
    import rich.text

    rich.text.divide_line = keep_marks(rich.text.divide_line)
