"""The Breakdown screen: ``c`` from the dashboard, ``o`` sorts, ``g`` goes through the
breakdowns; what it shows is the store's breakdown."""

from __future__ import annotations

from scenes import NOW, breakdown_app, settle

from fivec_tui.store import breakdown


async def test_keys_sort_and_breakdowns(tmp_path):
    app = breakdown_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen

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
