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
        assert keys() == [f"carrier:{c}" for c in by_sent]
        mobile = screen.rows.shown["carrier:mobile"]
        assert str(mobile[1]) == str(want["mobile"]["sent"]) and "!" in str(mobile[5])
        await pilot.press("o")  # failed first: China Mobile's
        await settle(pilot)
        assert keys()[0] == "carrier:mobile"
        await pilot.press("o")  # rate, lowest first
        await settle(pilot)
        assert keys()[0] == "carrier:mobile"
        await pilot.press("g")
        await settle(pilot)
        assert sorted(keys()) == ["signature:快递通", "signature:美联软通"]
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

        assert await wait_for(lambda: "sent 0 " not in (s := str(day.render())) and "sent" in s)
        history = [c for c in app.link.children if c.name == "history"]
        assert history and await wait_for(lambda: history[0].proc.returncode is not None)
        assert history[0].proc.returncode == 0
        head = breakdown.headline(app.store, 3600, at, at)
        assert head["baseline"] is not None and head["baseline"]["sent"] > 0
        assert head["carriers"]["mobile"]["sent"] > 0
