"""The demo's outage is China Mobile's alone: a phase for carriers covers their numbers only
(1349, China Telecom's satellite block inside Mobile's 134, is not Mobile's)."""

from __future__ import annotations

import pytest

from fivec_tui.api.carriers import carrier_of
from fivec_tui.sim.scenario import ScenarioError, load


def test_the_demo_outage_fails_china_mobile_numbers_only():
    demo = load("demo")
    (outage,) = demo.phases
    assert outage.carriers == ("mobile",)
    during = (outage.start_s + outage.end_s) / 2
    numbers = ["13412345678", "13491234567", "13800138000", "13012345678", "18912345678"]
    numbers += ["17001234567", "17031234567", "+85261234567"]
    for mobile in numbers:
        mix = demo.mix_at(during, mobile)
        assert (mix is outage.mix) == (carrier_of(mobile) == "mobile"), mobile
        assert demo.mix_at(outage.end_s + 1, mobile) is demo.mix


def test_a_phase_names_known_carriers(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "bad"\n[[phases]]\nstart_s = 0\nend_s = 1\ncarriers = ["orange"]\n'
        "[phases.mix]\nDELIVRD = 1\n"
    )
    with pytest.raises(ScenarioError, match="carriers"):
        load(str(bad))
