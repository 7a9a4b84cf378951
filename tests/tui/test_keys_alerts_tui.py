"""What a newcomer met at 80x24: ``?`` lists every key, grouped, and scrolls; the Alerts screen
shows the highlighted alert whole, by its rule's name, and says what enter does."""

from __future__ import annotations

import re

import pytest
from scenes import NOW, screens_app, settle
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from fivec_tui import i18n
from fivec_tui.app.keybar import KeyBar
from fivec_tui.app.keys import KeysScreen

#: The keys a newcomer could not find at 80x24 (time travel, the Timeline, the palette...).
HIDDEN_BEFORE = ["A", "p", "?", "@", "[", "]", "L", "K", "t", "^p"]


def shown(widget) -> str:
    return str(widget.render())


async def open_keys(pilot, screen_key: str = "d") -> KeysScreen:
    await settle(pilot)
    await pilot.press(screen_key)
    await settle(pilot)
    await pilot.press("question_mark")
    await pilot.pause()
    assert isinstance(pilot.app.screen, KeysScreen)
    return pilot.app.screen


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_every_key_is_listed_and_the_list_scrolls(tmp_path, lang):
    i18n.use(lang)
    try:
        app = screens_app(tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            keys = await open_keys(pilot)
            listing = keys.query_one("#keys-list", VerticalScroll)
            text = shown(listing.query_one(Static))
            firsts = [line.split()[0] for line in text.splitlines() if line.strip()]
            assert [k for k in HIDDEN_BEFORE if k not in firsts] == []
            assert listing.max_scroll_y > 0  # more than 24 lines: it scrolls
            foot = keys.query_one("#keys-foot", Static)
            assert foot.region.bottom <= 23 and "esc" in shown(foot)  # always in sight
            await pilot.press("end")
            await pilot.pause()
            assert listing.scroll_y == listing.max_scroll_y
            await pilot.press("home")
            await pilot.pause()
            assert listing.scroll_y == 0
            if lang == "zh":  # Textual's own descriptions (Scroll Up, Focus Next) are gone
                words = set(re.findall(r"\b[A-Za-z]{3,}\b", text))
                assert words <= {"pgup", "pgdn", "home", "end", "shift", "tab", "esc"}
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, KeysScreen)
    finally:
        i18n.use("en")


async def test_the_keys_are_grouped_with_this_screens_first(tmp_path):
    app = screens_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot, "r")
        titles = [title for title, _lines in keys.groups]
        assert titles == ["On this screen", "Go to a screen", "Time travel: the account at a past moment", "Everywhere"]  # fmt: skip
        this_screen = dict((k, d) for k, d, _on in keys.groups[0][1])
        assert this_screen == {"f": "Follow", "/": "Search", "c": "Copy mobile"}
        # f follows on Replies: Bulk's f is not offered where it does not work
        assert "Bulk" not in [d for _k, d, _on in keys.groups[1][1]]


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_alert_highlighted_is_shown_whole(tmp_path, lang):
    i18n.use(lang)
    try:
        app = screens_app(tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("a")
            await settle(pilot)
            table = app.screen.query_one("#alerts", DataTable)
            assert table.row_count == 2
            await pilot.press("down")  # the firing delivery-rate alert
            await pilot.pause()
            pane = shown(app.screen.query_one("#alert-detail", Static))
            rule = "到达率" if lang == "zh" else "delivery rate"
            assert pane.splitlines()[0].startswith(rule)
            assert "57.1%" in pane and "< 90%" in pane
            assert "delivery rate 57.1% over the last 15 min (21 finished), below 90%" in pane
            assert str(table.get_row_at(1)[2]) == rule  # not delivery_rate
            assert table.virtual_size.width <= table.size.width  # nothing to scroll sideways
            bar = str(app.screen.query_one(KeyBar).render())
            assert bar.lstrip().startswith("enter " + ("确认" if lang == "zh" else "Acknowledge"))
            await pilot.press("enter")
            await settle(pilot)
            assert app.store.scalar("SELECT acked FROM alerts WHERE rule = 'delivery_rate'") == 1
            await settle(pilot)
            pane = shown(app.screen.query_one("#alert-detail", Static))
            assert ("已确认" if lang == "zh" else "acknowledged") in pane.splitlines()[0]
    finally:
        i18n.use("en")


async def test_a_search_leaving_one_reply_shows_that_reply(tmp_path):
    """At 80x24 the detail pane kept the reply highlighted before the search."""
    app = screens_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        pane = app.screen.query_one("#reply-detail", Static)
        assert shown(pane).startswith("reply: 收到，谢谢")  # the newest
        search = app.screen.query_one("#reply-search")
        for term, first in (("退订", "reply: 退订"), ("no such reply", "")):
            search.value = term
            search.focus()
            await pilot.press("enter")
            await settle(pilot)
            await settle(pilot)
            assert shown(pane).startswith(first) and (first or shown(pane) == "")


async def test_enter_is_offered_only_when_there_is_an_alert(tmp_path):
    app = screens_app(tmp_path)
    alerts = app.store.query("SELECT * FROM alerts")
    app.store.conn.execute("DELETE FROM alerts")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert "Acknowledge" not in shown(app.screen.query_one(KeyBar))
        for row in alerts:
            app.store.insert("alerts", row)
        app.screen.refresh_data()
        await settle(pilot)
        await pilot.pause()
        assert "enter Acknowledge" in shown(app.screen.query_one(KeyBar))


async def test_a_bad_number_in_the_blacklist_lookup_says_why(tmp_path):
    app = screens_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        field = app.screen.query_one("#black-mobile")
        field.value = "12345678901"
        field.focus()
        await pilot.press("enter")
        await pilot.pause()
        (said,) = [n.message for n in app._notifications]
        assert said.startswith("12345678901: not a mainland mobile") and "+447874321404" in said


@pytest.mark.parametrize("size, firing_s", [((80, 24), 10), ((160, 48), 30)])
async def test_alert_toasts_leave_a_narrow_terminal_soon(tmp_path, size, firing_s):
    """At 80x24 five stacked alert toasts hid half of every screen for a minute (a
    newcomer's finding): there they go after 10 s; the Alerts screen keeps them."""
    from fivec_tui.sync.alerts import Event
    from fivec_tui.sync.condition import Condition

    app = screens_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        condition = Condition("balance", "low", True, "balance 100, runs out in 1 h")
        app.alert(Event("firing", condition, NOW))
        app.alert(Event("resolved", condition, NOW + 60))
        await pilot.pause()
        firing, resolved = list(app._notifications)[-2:]
        assert (firing.timeout, resolved.timeout) == (firing_s, 4 if firing_s == 10 else 8)
