"""Per-carrier alerts: an outage of one carrier that the others average away pages, named,
through every sink; a whole-account outage pages once, as the account's."""

from __future__ import annotations

import json
import logging
import time

import httpx
import pytest
from click.testing import CliRunner
from traffic import NO_BURN, T0, carrier_minute, utc

from fivec_tui.api import Record, Report
from fivec_tui.cli import main
from fivec_tui.store import Store, ingest_items
from fivec_tui.sync import robots
from fivec_tui.sync.alerts import Alerter, config
from fivec_tui.sync.sinks import command_env, deliver

#: Messages a minute to each carrier's numbers (about the demo's mix and volume).
MIX = {"138": 4, "130": 8, "133": 8}  # mobile, unicom, telecom
START = T0 + 60 * 60  # the outage's first minute


def minute_of_traffic(store: Store, at: float, failing: dict[str, float]) -> None:
    carrier_minute(store, at, MIX, failing)


def run(store: Store, outage: dict[str, float], minutes: range) -> list:
    """Evaluate every minute (30 s in) of traffic from 20 min before START, the outage
    during ``minutes`` (offsets from START); the events with their minute."""
    clock = [0.0]
    alerter = Alerter("ops", store, config({"baseline_days": 0}) | NO_BURN, clock=lambda: clock[0])
    seen = []
    for m in range(-20, 40):
        at = START + 60 * m
        minute_of_traffic(store, at, outage if m in minutes else {})
        clock[0] = at + 30
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(time, "time", lambda: clock[0])
            seen += [(m, e) for e in alerter.evaluate()]
    return seen


def test_one_carrier_outage_pages_within_five_minutes_and_resolves(tmp_path):
    store = Store(tmp_path / "c.db")
    seen = run(store, {"138": 0.5}, range(0, 6))
    ids = [(m, e.state, e.condition.id) for m, e in seen]
    fired = [(m, e) for m, e in seen if e.state == "firing"]
    assert [e.condition.id for _, e in fired] == ["delivery_rate:mobile"], ids
    m, event = fired[0]
    assert 0 <= m <= 5  # within five minutes of the start, at 30 s past each minute
    c = event.condition
    assert c.carrier == "mobile" and c.fields["overall_rate"] >= 0.9  # averaged away
    assert c.fields["rate"] < 0.9 and c.fields["top_codes"].startswith("MK:0001 ×")
    assert "China Mobile" in c.english and "overall" in c.english and "MK:0001" in c.english
    resolved = [m for m, e in seen if e.state == "resolved"]
    assert resolved and 15 <= resolved[0] <= 25  # once the bad minutes leave the window
    assert [e.condition.id for _, e in seen if e.state == "resolved"] == ["delivery_rate:mobile"]


def test_every_carrier_down_is_the_accounts_alert_alone(tmp_path):
    store = Store(tmp_path / "c.db")
    seen = run(store, {"138": 1.0, "130": 1.0, "133": 1.0}, range(0, 6))
    fired = {e.condition.id for _, e in seen if e.state == "firing"}
    assert "delivery_rate:all" in fired
    assert not {i for i in fired if i.startswith("delivery_rate:") and i != "delivery_rate:all"}


def test_a_carrier_spike_of_one_family(tmp_path):
    store = Store(tmp_path / "c.db")
    clock = [START + 30]
    for m in range(-10, 1):
        minute_of_traffic(store, START + 60 * m, {})
    records, reports = [], []
    for i in range(30):  # 30 blacklist failures on Unicom numbers alone
        msgid, mobile = f"9{i:013d}", f"130{90000000 + i}"
        records.append(Record("demo", msgid, (mobile,), "x", utc(START)))
        reports.append(Report(msgid, mobile, "DB:0141", utc(START + 5)))
    ingest_items(store, "records", records)
    ingest_items(store, "reports", reports)
    a = Alerter("ops", store, config({"baseline_days": 0}) | NO_BURN, clock=lambda: clock[0])
    fired = {e.condition.id: e for e in a.evaluate() if e.state == "firing"}
    assert "failure_spike:blacklist:unicom" in fired
    assert fired["failure_spike:blacklist:unicom"].condition.carrier == "unicom"


async def test_the_carrier_reaches_every_sink(tmp_path, caplog):
    store = Store(tmp_path / "c.db")
    event = next(e for _, e in run(store, {"138": 0.5}, range(0, 6)) if e.state)
    payload = event.payload("ops")
    assert payload["carrier"] == "mobile" and payload["value_overall_rate"] >= 0.9
    env = command_env(payload)
    assert env["FIVEC_ALERT_CARRIER"] == "mobile" and "China Mobile" in env["FIVEC_ALERT_MESSAGE"]
    assert env["FIVEC_ALERT_VALUE_TOP_CODES"].startswith("MK:0001")
    zh = robots.compose(event, "ops", "zh")
    assert any("运营商" in line and "中国移动" in line for line in zh.lines)
    assert any("MK:0001" in line for line in zh.lines)
    with caplog.at_level(logging.WARNING):
        async with httpx.AsyncClient() as http:
            await deliver(event, "ops", config({}), http)
    assert "delivery_rate:mobile" in caplog.text and "China Mobile" in caplog.text
    env = {"FIVEC_DB": str(tmp_path / "c.db"), "FIVEC_CONFIG": str(tmp_path / "none.toml")}
    (tmp_path / "none.toml").write_text("")
    result = CliRunner().invoke(main, ["alerts", "--json"], env=env, catch_exceptions=False)
    events = json.loads(result.stdout)
    assert {e["carrier"] for e in events} == {"mobile"}
    assert all(e["payload"]["carrier"] == "mobile" for e in events)
