"""The demo's outage is China Mobile's alone: its phase covers the numbers of China Mobile's
blocks (:mod:`fivec_tui.api.carriers`) and no other (1349, China Telecom's satellite block
inside Mobile's 134, is not Mobile's)."""

from __future__ import annotations

import random

from fivec_tui.api.carriers import BLOCKS, carrier_of
from fivec_tui.sim.scenario import load


def test_the_demo_outage_fails_china_mobile_numbers_only():
    demo = load("demo")
    (outage,) = demo.phases
    during = (outage.start_s + outage.end_s) / 2
    rng = random.Random(5)
    blocks = [b for blocks in BLOCKS.values() for b in blocks] + ["1349", "1700", "1704"]
    numbers = [f"{b}{rng.randrange(10**8):08d}"[:11] for b in blocks for _ in range(3)]
    numbers += ["13491234567", "+85261234567"]
    for mobile in numbers:
        mix = demo.mix_at(during, mobile)
        assert (mix is outage.mix) == (carrier_of(mobile) == "mobile"), mobile
        assert demo.mix_at(outage.end_s + 1, mobile) is demo.mix


def test_every_china_mobile_block_is_in_the_outage():
    (outage,) = load("demo").phases
    for block in BLOCKS["mobile"]:
        number = f"{block}{'0' * (11 - len(block))}"
        if carrier_of(number) == "mobile":
            assert number.startswith(outage.prefixes), block
