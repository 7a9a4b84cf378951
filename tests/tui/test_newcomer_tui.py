"""What a newcomer hit at 80x24: glyphs at the right edge, keys typed ahead of a load, lines
cut off, the Blacklist screen's focus, the Timeline's axis, empty results said."""

from __future__ import annotations

from scenes import screens_app, settle
from textual.scrollbar import ScrollBarRender

#: The eighth-block glyphs Textual ends a scroll bar's thumb with.
BAR_GLYPHS = set(ScrollBarRender.VERTICAL_BARS + ScrollBarRender.HORIZONTAL_BARS) - {" "}


def screen_lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_scroll_bars_leave_no_glyph_at_the_right_edge(tmp_path):
    """The dashboard scrolls at 80x24: its scroll bar is whole cells, no ``▇▇`` beside the
    balance box when the colours are lost."""
    app = screens_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.query_one("#dashboard").max_scroll_y > 0  # a scroll bar is drawn
        edge = "".join(line[-2:] for line in screen_lines(app))
        assert not BAR_GLYPHS & set(edge), edge
