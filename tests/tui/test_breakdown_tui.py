"""The Breakdown screen: ``c`` from the dashboard, ``o`` sorts, ``g`` goes through the
breakdowns; what it shows is the store's breakdown."""

from __future__ import annotations

from scenes import NOW, breakdown_app, settle

from fivec_tui.app import history as history_module
from fivec_tui.store import breakdown


async def test_keys_sort_and_breakdowns(tmp_path):
    app = breakdown_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        # the banner every screen has: the state, the display zone, the account
        assert "times +08:00" in str(screen.query_one("#banner").render())

        def keys() -> list[str]:
            return list(screen.rows.shown)

        want = breakdown.carriers(app.store, 3600, NOW, None, app.profile.slo.delivery)
        by_sent = sorted(want, key=lambda c: -want[c]["sent"])
        assert keys() == [*(f"carrier:{c}" for c in by_sent), "total"]
        mobile = screen.rows.shown["carrier:mobile"]
        # the rate marked unusual against a week earlier, on its own cell; not the sent
        assert str(mobile[1]) == str(want["mobile"]["sent"]) and str(mobile[4]).endswith(" !")
        assert "!" not in str(mobile[5])
        await pilot.press("o")  # failed first: China Mobile's
        await settle(pilot)
        assert keys()[0] == "carrier:mobile"
        await pilot.press("o")  # rate, lowest first
        await settle(pilot)
        assert keys()[0] == "carrier:mobile"
        await pilot.press("g")
        await settle(pilot)
        assert sorted(keys()) == ["signature:快递通", "signature:美联软通", "total"]
        for _ in range(3):
            await pilot.press("g")
            await settle(pilot)
        assert keys()[0].startswith("carrier:")


async def test_demo_at_opens_in_the_past_its_history_filled_in(tmp_path, monkeypatch):
    """``demo --at``: the app opens at that moment, and the week before the demo, filled in
    by its child after the first frame, shows there, with a baseline a week earlier."""
    import time

    from fivec_tui.app.dashboard import RateBox
    from fivec_tui.app.demo import demo_app
    from fivec_tui.app.link import SyncLink

    start = SyncLink.start

    async def thin_history(self, name, argv, env, **kwargs):
        """The child's week at a tenth of its rate, without the pauses left for a poll's writes
        (the last option wins): still dozens of messages an hour, in a fraction of the time
        (the claim is where they show, not how many, nor how the poll shares the cache)."""
        if name == "history":
            argv = [*argv, "--rate", str(history_module.RATE / 10), "--pause", "0"]
        return await start(self, name, argv, env, **kwargs)

    monkeypatch.setattr(SyncLink, "start", thin_history)

    at = time.time() - 86400 - 1800
    app = demo_app("quiet", seed=1, db_dir=str(tmp_path), at=at)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.at == at
        day = app.screen.query_one("#rate2", RateBox)

        async def wait_for(predicate, timeout: float = 60.0) -> bool:
            for _ in range(int(timeout / 0.2)):
                if predicate():
                    return True
                await pilot.pause(0.2)
            return False

        def banner() -> str:
            return str(app.screen.query_one("#banner").render())

        # while the past comes in, every screen's banner says so; then it goes
        assert await wait_for(lambda: "loading history…" in banner())
        history = [c for c in app.link.children if c.name == "history"]
        assert history[0].proc.returncode is None  # (a week of the past takes a while)
        assert await wait_for(lambda: "sent 0 " not in (s := str(day.render())) and "sent" in s)
        assert await wait_for(lambda: history[0].proc.returncode is not None)
        assert history[0].proc.returncode == 0
        assert await wait_for(lambda: "loading history" not in banner(), 5)
        head = breakdown.headline(app.store, 3600, at, at)
        assert head["baseline"] is not None and head["baseline"]["sent"] > 0
        assert head["carriers"]["mobile"]["sent"] > 0


async def test_dashboard_beside_a_week_earlier(tmp_path):
    """The dashboard's week-ago table: each window's numbers a week earlier, as the store
    has them, the ones far from now marked (China Mobile failing a third now, not then)."""
    from fivec_tui.app.dashboard import WINDOWS

    app = breakdown_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = app.screen.tables["week"].shown
        for label, seconds in WINDOWS:
            then = breakdown.week_earlier(app.store, seconds, NOW)
            cells = [str(c) for c in shown[label]]
            if then is None:
                assert set(cells[1:]) == {"—"}
                continue
            was = then[0]
            assert cells[1].startswith(f"{was.delivery_rate:.1%}")
            assert [c.split()[0] for c in cells[2:5]] == [
                str(was.sent),
                str(was.delivered),
                str(was.failed),
            ]
        hour = [str(c) for c in shown["1 hour"]]
        assert hour[1].endswith(" !") and not hour[2].endswith("!")  # the rate, not the sent
        cost = str(app.screen.query_one("#cost").render())
        assert "a delivered message" in cost and "runs out in" in cost


async def test_breakdown_narrow_keeps_burn_and_budget(tmp_path):
    """At 80 columns the carriers keep the burn and budget columns (the ones cut before),
    and the opt-outs; at 160 every column is there."""
    app = breakdown_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert {"burn_5m", "budget", "opt_outs"} <= set(screen.shown_columns)
        table = screen.rows.table
        assert sum(c.get_render_width(table) for c in table.ordered_columns) <= 80
        mobile = dict(zip(screen.shown_columns, screen.rows.shown["carrier:mobile"], strict=True))
        assert str(mobile["opt_outs"]) == "2"  # a TD, and a 退订 that was blacklisted too
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        assert len(screen.shown_columns) == 13


async def test_breakdown_total_is_the_dashboards_hour(tmp_path):
    """The newcomer saw the Breakdown's rows add up to another hour than the dashboard's:
    each loaded at its own moment.  Both now count the hour to the last refresh's moment,
    say where it ends, and the Breakdown's total row is the dashboard's hour."""
    from fivec_tui.app.dashboard import RateBox
    from fivec_tui.when import show_time

    app = breakdown_app(tmp_path)
    ticks = iter(range(10**6))
    app.clock = lambda: NOW - 1800 + 7 * next(ticks)  # every look at the clock moves it on
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        hour = app.screen.query_one("#rate1", RateBox).summary[1]
        dashboard_end = show_time(app.moment)
        assert dashboard_end in str(app.screen.query_one("#cost").render())
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        total = dict(zip(screen.shown_columns, screen.rows.shown["total"], strict=True))
        assert [str(total[k]) for k in ("sent", "failed", "pending")] == [
            str(hour.sent),
            str(hour.failed),
            str(hour.pending),
        ]
        assert f"last hour to {dashboard_end}" in str(
            screen.query_one("#breakdown-caption").render()
        )
        rows = screen.data.rows
        assert sum(r["sent"] for r in rows.values()) == hour.sent


def test_a_chinese_template_is_cut_in_cells():
    """A template of Chinese text was cut at 20 characters, 40 cells, and pushed the last
    columns off 80: names are cut to NAME_CELLS terminal cells."""
    from rich.cells import cell_len

    from fivec_tui.app.breakdown import NAME_CELLS, _name_cell

    long = _name_cell("您的验证码是{#}，5分钟内有效。【美联软通】")
    assert cell_len(long.plain) == NAME_CELLS and long.plain.endswith("…")
    assert _name_cell("快递通").plain == "快递通"
