"""Options that took nonsense: ``demo``/``sim --speed`` out of range (and a scenario's
``speed``), ``stats --known-now`` without ``--at`` (which it needs to mean anything)."""

from __future__ import annotations

import pytest
from clirun import empty_config, run

from fivec_tui.sim.scenario import ScenarioError, from_dict
from fivec_tui.store import Store


@pytest.fixture
def nothing_runs(monkeypatch):
    """Were a speed let through, the demo and the simulator return at once (exit 0)."""
    import fivec_tui.app.demo
    import fivec_tui.cli.run

    monkeypatch.setattr(fivec_tui.app.demo, "run_demo", lambda *args: 0)
    monkeypatch.setattr(fivec_tui.cli.run.asyncio, "run", lambda coroutine: coroutine.close())


@pytest.mark.parametrize("command", ["demo", "sim"])
@pytest.mark.parametrize("speed", ["-1", "0", "nan", "inf", "-inf", "1e9", "0.001", "fast"])
def test_a_speed_out_of_range_is_refused_before_anything_starts(
    tmp_path, nothing_runs, command, speed
):
    env = {"FIVEC_CONFIG": empty_config(tmp_path / "c.toml")}
    code, out, err = run(env, command, f"--speed={speed}")
    assert code == 2 and out == "" and "Invalid value for '--speed'" in err
    assert "0.01<=x<=1000" in err or "is not a number" in err or "not a valid number" in err


@pytest.mark.parametrize("speed", [-1, 0, float("nan"), float("inf"), 1e9])
def test_a_scenario_file_with_a_speed_out_of_range_is_refused(speed):
    with pytest.raises(ScenarioError, match=r"speed: a multiplier from 0\.01 to 1000"):
        from_dict({"speed": speed})
    assert from_dict({"speed": 1000}).speed == 1000.0


def test_known_now_without_at_is_a_usage_error(tmp_path):
    Store(tmp_path / "c.db").close()
    env = {"FIVEC_CONFIG": empty_config(tmp_path / "c.toml"), "FIVEC_DB": str(tmp_path / "c.db")}
    code, _out, err = run(env, "stats", "--known-now")
    assert code == 2 and "--known-now is for --at" in err
    code, out, err = run(env, "stats", "--at", "-1h", "--known-now")
    assert code == 0 and "as known now" in out, err
