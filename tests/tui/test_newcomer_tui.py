"""What a newcomer hit at 80x24: glyphs at the right edge, keys typed ahead of a load, lines
cut off, the Blacklist screen's focus, the Timeline's axis, empty results said."""

from __future__ import annotations

import time

from scenes import accounts_app, bulk_snapshot_app, fill_bulk_form, screens_app, settle
from textual import events
from textual.containers import VerticalScroll
from textual.scrollbar import ScrollBarRender
from textual.widgets import Button, Input, Static, TextArea

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


def type_ahead(app, *keys: str) -> None:
    """Keys read from the terminal at once, as a fast typist or ``tmux send-keys`` gives
    them (Pilot's ``press`` waits for each to be acted on)."""
    for key in keys:
        name = {"\t": "tab"}.get(key, key)
        app.post_message(events.Key(name, key if len(key) == 1 else None))


async def test_keys_typed_ahead_land_in_the_field_they_were_meant_for(tmp_path):
    """``s`` Tab number Tab text in one burst: the number in the recipients, the text in
    the content, as when typed slowly."""
    app = screens_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        type_ahead(app, "s", "\t", *"13800138000", "\t", *"hello")
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert app.screen.query_one("#to", TextArea).text == "13800138000"
        assert app.screen.query_one("#content", TextArea).text == "hello"
        type_ahead(app, "shift+tab", *"13900139000", "\t", *" world")  # the form loaded
        await settle(pilot)
        assert app.screen.query_one("#to", TextArea).text == "1380013800013900139000"
        assert app.screen.query_one("#content", TextArea).text == "hello world"


async def test_keys_typed_ahead_into_the_new_sub_account_dialog(tmp_path):
    """``u n`` then ``ab`` Tab ``x`` Tab ``99`` at once: three fields, not ``abx99``."""
    app = accounts_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        type_ahead(app, "u", "n", *"ab", "\t", "x", "\t", *"99")
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        values = {i.id.removeprefix("form-"): i.value for i in app.screen.query(Input)}
        assert (values["child"], values["password"], values["mobile"]) == ("ab", "x", "99")


async def test_the_send_form_fits_80x24_with_every_warning(tmp_path):
    """An invalid number and no 【signature】: the checks stay one line each, the Send
    button stays on screen."""
    app = screens_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        app.screen.query_one("#to", TextArea).text = "1380013800013900139000, 12345"
        app.screen.query_one("#content", TextArea).text = "hello " * 90  # no signature, long
        await settle(pilot)
        button = app.screen.query_one("#send", Button)
        assert button.region.bottom <= 23 and button.region.height == 3
        lines = screen_lines(app)
        assert "invalid: 1380013800013900139000" in "".join(lines)
        assert any("OVER 500!  no 【signature】" in line for line in lines)


async def test_enter_typed_right_after_m_waits_for_the_rows(tmp_path, monkeypatch):
    """``m`` Enter at once, the cache slow (a flood): the first load is shown, then Enter
    shows the message's story, at 80x24."""
    from fivec_tui.app.messages import MessagesScreen

    load = MessagesScreen.load

    def slow_load(screen):
        time.sleep(0.3)  # a query under a flood, not a wait for a condition
        return load(screen)

    monkeypatch.setattr(MessagesScreen, "load", slow_load)
    app = screens_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        type_ahead(app, "m", "enter")
        await settle(pilot)
        await pilot.pause(0.3)
        await settle(pilot)
        story = app.screen.query_one("#story", Static)
        assert "recipient" in story.render().plain
        assert story.region.height >= 3 and story.region.bottom <= 23


async def test_after_a_bulk_preview_end_reaches_the_campaigns(tmp_path, customers):
    """At 80x24, after ctrl+r and Esc: the preview in sight, ``end`` scrolls to the
    campaigns table."""
    app = bulk_snapshot_app(tmp_path, customers)
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_bulk_form(pilot)  # ends with Esc, out of the field
        form = app.screen.query_one(VerticalScroll)
        assert form.max_scroll_y > 0
        await pilot.press("end")
        await settle(pilot)
        assert form.scroll_y == form.max_scroll_y
        campaigns = app.screen.query_one("#bulk-campaigns")
        assert campaigns.region.height > 0 and campaigns.region.bottom <= 23
        assert app.screen.query_one("#bulk-preview").row_count > 2
