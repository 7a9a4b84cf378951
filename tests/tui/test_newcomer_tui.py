"""What a newcomer hit at 80x24: glyphs at the right edge, keys typed ahead of a load, lines
cut off, the Blacklist screen's focus, the Timeline's axis, empty results said."""

from __future__ import annotations

import re
import time
from itertools import pairwise

from scenes import (
    accounts_app,
    bulk_snapshot_app,
    day_app,
    day_cache,
    day_scene,
    fill_bulk_form,
    screens_app,
    settle,
)
from textual import events
from textual.containers import VerticalScroll
from textual.scrollbar import ScrollBarRender
from textual.widgets import Button, DataTable, Input, Static, TextArea

from fivec_tui.api import FivecError
from fivec_tui.app.timeline import Bucket, Timeline, TimelineScreen, whole_ticks

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
        name = {"\t": "tab", "/": "slash", " ": "space"}.get(key, key)
        app.post_message(events.Key(name, key if len(key) == 1 else None))


async def test_keys_typed_ahead_land_in_the_field_they_were_meant_for(tmp_path):
    """``s`` number Tab text in one burst: the number in the recipients (the form opens in
    them), the text in the content, as when typed slowly; letters typed there are text,
    never navigation keys."""
    app = screens_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        type_ahead(app, "s", *"13800138000", "\t", *"hello m")
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert app.screen.query_one("#to", TextArea).text == "13800138000"
        assert app.screen.query_one("#content", TextArea).text == "hello m"
        type_ahead(app, "shift+tab", *"13900139000", "\t", *" world")  # the form loaded
        await settle(pilot)
        assert app.screen.query_one("#to", TextArea).text == "1380013800013900139000"
        assert app.screen.query_one("#content", TextArea).text == "hello m world"


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


async def test_the_timeline_cursor_line_keeps_its_rate_in_chinese(tmp_path, chinese, monkeypatch):
    """At 80x24 in Chinese, with counts of a busy account: the rate is on the line."""
    from fivec_tui.store import asof
    from fivec_tui.store.queries import Summary

    busy = Summary(1440, 123_456, 120_000, 2_345, 1_111, 0.981)
    monkeypatch.setattr(asof, "summary_at", lambda *args: busy)
    app = day_app(day_cache(tmp_path / "c.db"))
    async with app.run_test(size=(80, 24)) as pilot:
        await day_scene(pilot, "timeline")
        (line,) = [line for line in screen_lines(app) if line.startswith("▶")]
        assert "到达率 98.1%" in line and "123k" in line, line


def test_timeline_y_ticks_are_whole_and_evenly_spaced():
    for top in (0, 1, 7, 126, 2177.7, 99_999, 10**7):
        for rows in range(2, 20):
            ticks = whole_ticks(top, rows)
            steps = {b - a for a, b in pairwise(ticks)}
            assert ticks[0] == 0 and ticks[-1] >= top and len(steps) == 1, (top, rows)
            assert all(isinstance(t, int) for t in ticks)
            if any((rows - 1) % c == 0 for c in range(2, 8)):
                assert (rows - 1) % (len(ticks) - 1) == 0, (top, rows, ticks)


async def test_the_timeline_axes_show_whole_counts(tmp_path):
    app = day_app(day_cache(tmp_path / "c.db"))
    async with app.run_test(size=(80, 24)) as pilot:
        await day_scene(pilot, "timeline")
        labels = [
            found.group(1)
            for line in screen_lines(app)
            if (found := re.match(r"\s*(\S+?)[┤├]", line))
        ]
        assert labels and all(label.isdigit() for label in labels), labels


def test_a_24_hour_axis_names_the_day_where_it_crosses_midnight():
    """From 12:00 to 12:00 the next day (UTC shown): the first tick and the first after
    midnight have their date, the others their time only."""
    from datetime import UTC, datetime

    from fivec_tui.when import use_zone, zone_name

    start = datetime(2026, 12, 7, 12, 0, tzinfo=UTC).timestamp()
    data = Timeline(start, 1440, [Bucket()] * 60, [Bucket()] * 60, [])
    screen, shown = TimelineScreen.__new__(TimelineScreen), zone_name()
    use_zone("UTC")
    try:
        _ticks, labels = screen._x_ticks(data)
    finally:
        use_zone(shown)
    assert labels == ["12-07 12:00", "16:48", "21:36", "12-08 02:24", "07:12"]


async def test_the_blacklist_opens_on_its_history_not_in_the_field(tmp_path):
    """``b`` then ``u``: the Sub-accounts screen, not a ``u`` in the number's field; ``/``
    goes to the field."""
    app = screens_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert app.focused is app.screen.query_one("#black-history")
        await pilot.press("slash")
        assert app.focused is app.screen.query_one("#black-mobile", Input)
        await pilot.press("escape", "u")
        await settle(pilot)
        assert app.current_mode == "subaccounts"


class Refusing:
    """The platform: refuses every removal (a complaint blacklist)."""

    async def blacklist_remove(self, mobile):
        raise FivecError("error:complaint blacklists cannot be removed")


async def test_a_refused_removal_is_in_the_lookup_history(tmp_path):
    app = screens_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.client = Refusing()
        await pilot.press("b")
        await settle(pilot)
        app.screen.query_one("#black-mobile", Input).value = "13800000001"
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await pilot.pause(0.1)
        await settle(pilot)
        table = app.screen.query_one("#black-history", DataTable)
        newest = [str(cell) for cell in table.get_row_at(0)]
        assert newest[1] == "13800000001" and newest[2] == "BLACK", newest
        assert newest[3].startswith("error:complaint blacklists")
        assert newest[5] == "removal refused"


async def test_a_messages_search_with_no_match_says_so(tmp_path):
    app = screens_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("slash", *"19900000000", "enter")
        await settle(pilot)
        story = app.screen.query_one("#story", Static)
        assert app.screen.query_one("#messages", DataTable).row_count == 0
        assert story.render().plain == "no message matches 19900000000"
        app.screen.query_one("#msg-term", Input).value = ""
        await pilot.press("enter")  # every message again: nothing said
        await settle(pilot)
        assert story.render().plain == ""


async def test_accounts_key_in_the_one_account_demo_points_at_the_demo(tmp_path, monkeypatch):
    app = screens_app(tmp_path)
    said: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **options: said.append(message))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.simulator = object()  # as the demo sets it once its simulator runs
        await pilot.press("A")
        await settle(pilot)
    assert said == ["one account: fivec-tui demo --accounts 3 shows several"]


def test_an_axis_crossing_midnight_after_its_last_tick_dates_its_first():
    from datetime import UTC, datetime

    from fivec_tui.when import use_zone, zone_name

    start = datetime(2026, 12, 7, 2, 40, tzinfo=UTC).timestamp()
    data = Timeline(start, 1440, [Bucket()] * 60, [Bucket()] * 60, [])
    screen, shown = TimelineScreen.__new__(TimelineScreen), zone_name()
    use_zone("UTC")
    try:
        _ticks, labels = screen._x_ticks(data)
    finally:
        use_zone(shown)
    assert labels == ["12-07 02:40", "07:28", "12:16", "17:04", "21:52"]


async def test_bulk_opens_in_its_file_field_so_a_typed_path_is_no_navigation(tmp_path):
    """A path typed after ``f`` went through Audit, Replies, Timeline and Alerts letter by
    letter and ended in the Blacklist's field, where ctrl+r asked for a removal."""
    from textual.widgets import Input

    app = screens_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        type_ahead(app, "f", *"/work/trial/b.csv")
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert app.current_mode == "bulk"
        assert app.screen.query_one("#bulk-path", Input).value == "/work/trial/b.csv"
