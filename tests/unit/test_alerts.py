"""Alert rules at their edges, the fire/repeat/resolve cycle, sinks, and the metrics endpoint."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry
from traffic import NO_BURN, NOW, traffic, utc

from fivec_tui.api import Balance, Record, Reply
from fivec_tui.config import Profile
from fivec_tui.sim import Simulator
from fivec_tui.sim.scenario import load
from fivec_tui.store import Store, ingest_items
from fivec_tui.store.balance import add_balance
from fivec_tui.sync import Engine
from fivec_tui.sync.alerts import Alerter, Condition, Event, config
from fivec_tui.sync.engine import JobState
from fivec_tui.sync.metrics import CacheCollector
from fivec_tui.sync.sinks import deliver
from fivec_tui.when import iso


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "a.db")


def alerter(store: Store, clock: list[float], **settings) -> Alerter:
    """Resolving at once when a condition clears (the delay is tested on its own)."""
    settings = config({"baseline_days": 0, "resolve_after_s": 0, **settings}) | NO_BURN
    return Alerter("test", store, settings, clock=lambda: clock[0])


def test_delivery_rate_needs_minimum_volume(store):
    clock = [NOW]
    traffic(store, NOW - 120, delivered=10, failed=10)
    assert alerter(store, clock, rate_min_volume=21).evaluate() == []
    events = alerter(store, clock, rate_min_volume=20).evaluate()
    assert [(e.state, e.condition.rule) for e in events] == [("firing", "delivery_rate")]
    assert "50.0%" in events[0].condition.message


def test_delivery_rate_drop_against_the_same_hour_of_previous_days(store):
    clock = [NOW]
    for day in (1, 2, 3):
        traffic(store, NOW - day * 86400 - 120, delivered=99, failed=1)
    traffic(store, NOW - 120, delivered=94, failed=6)  # 94%: above the 90% floor
    assert alerter(store, clock, baseline_days=0).evaluate() == []
    assert alerter(store, clock, baseline_days=3, baseline_drop=0.10).evaluate() == []
    events = alerter(store, clock, baseline_days=3, baseline_drop=0.04).evaluate()
    assert [e.condition.rule for e in events] == ["delivery_rate"]
    assert events[0].condition.fields["baseline"] == pytest.approx(0.99)


def test_fire_once_repeat_on_interval_resolve_and_survive_restart(store):
    clock = [NOW]
    traffic(store, NOW - 120, delivered=0, failed=60)
    a = alerter(store, clock, repeat_s=600)
    assert [e.state for e in a.evaluate()] == ["firing"]
    clock[0] += 599
    assert a.evaluate() == []
    clock[0] += 1
    assert [e.state for e in a.evaluate()] == ["repeat"]
    clock[0] += 60
    assert alerter(store, clock, repeat_s=600).evaluate() == []  # restarted: still active, quiet
    clock[0] = NOW + 3600  # the bad minutes left the window; new traffic is healthy
    traffic(store, clock[0] - 60, delivered=60, failed=0)
    assert [e.state for e in a.evaluate()] == ["resolved"]
    assert [r["state"] for r in store.query("SELECT state FROM alerts ORDER BY id")] == [
        "firing",
        "repeat",
        "resolved",
    ]


def test_failure_spike_pending_balance_opt_outs(store):
    clock = [NOW]
    traffic(store, NOW - 120, delivered=70, failed=30, status="DB:0144")
    ingest_items(
        store,
        "records",
        [
            Record("demo", "99999999999999", (f"139{i:08d}",), "x", utc(NOW - 3600))
            for i in range(51)
        ],
    )
    add_balance(store, Balance(500, 10000))
    ingest_items(
        store,
        "replies",
        [Reply(f"137{i:08d}", "TD", utc(NOW - 60), "0", str(i)) for i in range(21)],
    )
    rules = {e.condition.id for e in alerter(store, clock, rate_below=0.5).evaluate()}
    assert rules == {
        "failure_spike:blacklist",
        "pending:reports",
        "balance:account",
        "opt_outs:replies",
    }
    store.set_setting("alerts.active", "{}")  # as if nothing had fired: each edge, one past it
    quieter = alerter(
        store,
        clock,
        rate_below=0.5,
        spike_min=31,
        pending_above=51,
        balance_below=400,
        opt_out_above=21,
        repeat_s=10**9,
    )
    assert quieter.evaluate() == []


def test_job_rule_auth_at_once_others_after_a_while(store):
    clock = [NOW]
    auth = JobState(
        "reports", "pull", 5, failures=1, failing_since=NOW, last_error="APIKEY", needs_person=True
    )
    flaky = JobState(
        "records", "pull", 5, failures=3, failing_since=NOW - 599, last_error="HTTP 502"
    )
    a = alerter(store, clock, job_failing_s=600)
    assert [e.condition.id for e in a.evaluate({"reports": auth, "records": flaky})] == [
        "job:reports"
    ]
    clock[0] += 1
    assert [e.condition.id for e in a.evaluate({"reports": auth, "records": flaky})] == [
        "job:records"
    ]


async def test_outage_alert_reaches_command_and_webhook_once(tmp_path, sink):
    hook_url, hooks = sink.url, sink.json
    out = tmp_path / "alerts.log"

    scenario = load("quiet")
    scenario.traffic_rate, scenario.delay_median = 40.0, 0.05
    scenario.mix = {"MA:0054": 0.8, "DELIVRD": 0.2}  # the carrier is down
    async with Simulator(scenario, seed=3) as sim:
        a = sim.account
        profile = Profile("ops", a.username, a.password_md5, a.apikey, base_url=sim.base_url)
        profile.alerts = {
            "rate_min_volume": 20,
            "baseline_days": 0,
            "repeat_s": 1.0,
            "command": f'echo "$FIVEC_ALERT_STATE $FIVEC_ALERT_RULE" >> {out}',
            "webhook": hook_url,
        }
        store = Store(tmp_path / "c.db")
        from fivec_tui.api.client import FivecClient
        from fivec_tui.sync.alerts import for_profile

        async with FivecClient(profile.credentials, sim.base_url) as client:
            engine = Engine(
                profile, store, client, consent=True, alerter=for_profile(profile, store)
            )
            await asyncio.sleep(1.5)
            await engine.run_once()
            assert await engine.run_job("alerts") >= 1
            assert await engine.run_job("alerts") == 0  # holding, not yet due again
            await asyncio.sleep(1.1)
            await engine.run_job("alerts")  # repeat
            await engine.stop()
    lines = out.read_text().splitlines()
    assert lines.count("firing delivery_rate") == 1 and lines.count("repeat delivery_rate") == 1
    rate_hooks = [h for h in hooks if h["rule"] == "delivery_rate"]
    assert [h["state"] for h in rate_hooks] == ["firing", "repeat"]
    assert rate_hooks[0]["profile"] == "ops" and rate_hooks[0]["value_rate"] < 0.5
    dumped = json.dumps(hooks) + out.read_text()
    assert a.apikey not in dumped and a.password_md5 not in dumped


def test_metrics_match_stats_json(tmp_path):
    from click.testing import CliRunner

    from fivec_tui.cli import main

    store = Store(tmp_path / "m.db")
    now = time.time()
    traffic(store, now - 600, delivered=40, failed=5, status="MK:0001")
    add_balance(store, Balance(1234.5, 5000))
    registry = CollectorRegistry()
    registry.register(CacheCollector(tmp_path / "m.db"))
    families = {
        f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())
    }
    stats = json.loads(
        CliRunner()
        .invoke(main, ["--db", str(tmp_path / "m.db"), "stats", "--window", "1h", "--json"])
        .stdout
    )

    def value(name: str, **labels) -> float:  # one account: its samples say profile "default"
        labels = {"profile": "default", **labels}
        return next(s.value for s in families[name].samples if s.labels == labels)

    for key in ("sent", "delivered", "failed", "pending"):
        assert value(f"fivec_{key}", window="1h") == stats[key]
    assert value("fivec_delivery_rate", window="1h") == pytest.approx(stats["delivery_rate"])
    assert value("fivec_failures", window="1h", family="handset") == stats["failures"]["MK:0001"]
    assert value("fivec_balance_remaining") == 1234.5
    latency = {s.name: s.value for s in families["fivec_report_latency_seconds"].samples}
    assert latency["fivec_report_latency_seconds_count"] == 45
    assert latency["fivec_report_latency_seconds_sum"] == pytest.approx(45 * 3)
    mobile = stats["carriers"]["mobile"]  # one histogram per carrier: all of it 138xxxx
    samples = families["fivec_report_latency_seconds"].samples
    assert {s.labels["carrier"] for s in samples} == {"mobile"}
    assert latency["fivec_report_latency_seconds_count"] == mobile["delivered"] + mobile["failed"]
    le = {s.labels["le"]: s.value for s in samples if s.name.endswith("_bucket")}
    assert le["2.0"] == 0 and le["3.0"] == 45  # each 3 s: in the (2, 3] bucket...
    assert 2 < mobile["latency_p50_s"] <= mobile["latency_p99_s"] <= 3  # ...as stats says


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_poll_serves_metrics_over_http(sim_thread, poll_env, tmp_path):
    port = _free_port()
    a = sim_thread.account
    env = poll_env(sim_thread)
    proc = subprocess.Popen(
        [sys.executable, "-m", "fivec_tui", "poll", "--yes", "--metrics", f"127.0.0.1:{port}"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
                if "fivec_balance_remaining" in body:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        names = {f.name for f in text_string_to_metric_families(body)}
        assert {
            "fivec_sent",
            "fivec_delivery_rate",
            "fivec_report_latency_seconds",
            "fivec_job_runs",
            "fivec_balance_remaining",
        } <= names
        assert a.apikey not in body
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
    assert Path(tmp_path / "c.db").exists()


def test_shipped_dashboard_and_rules_use_metrics_that_exist(tmp_path):
    import re

    from fivec_tui.resources import data_dir

    store = Store(tmp_path / "m.db")
    traffic(store, time.time() - 600, delivered=5, failed=1)
    add_balance(store, Balance(150, 200))
    add_balance(store, Balance(100, 200))
    store.conn.execute("UPDATE balance SET at = at - 600 WHERE id = 1")  # a burn rate to show
    from fivec_tui.store.poll_runs import add_poll_run

    add_poll_run(store, "reports", time.time(), "ok")
    ingest_items(store, "replies", [Reply("13800000000", "TD", utc(time.time()), "0", "1")])
    registry = CollectorRegistry()
    registry.register(CacheCollector(tmp_path / "m.db"))
    exposed = {
        s.name
        for f in text_string_to_metric_families(generate_latest(registry).decode())
        for s in f.samples
    }
    monitoring = data_dir() / "monitoring"
    dashboard = json.loads((monitoring / "grafana-dashboard.json").read_text())
    used = set()
    for text in [t["expr"] for p in dashboard["panels"] for t in p["targets"]] + [
        (monitoring / "prometheus-rules.yml").read_text()
    ]:
        used |= set(re.findall(r"\bfivec_[a-z_]+", text))
    assert used and used <= exposed, used - exposed


async def test_alert_command_sees_only_its_own_environment(tmp_path, monkeypatch):
    """The daemon's credentials (FIVEC_PASSWORD, FIVEC_APIKEY) never reach the command."""
    monkeypatch.setenv("FIVEC_PASSWORD", "Pw-in-the-daemon-env")
    monkeypatch.setenv("FIVEC_APIKEY", "apikey-in-the-daemon-env")
    monkeypatch.setenv("HTTPS_PROXY", "http://u:proxy-secret@proxy:3128")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    dump = tmp_path / "env.txt"
    settings = config({"command": f"env > {dump}"})
    event = Event("firing", Condition("balance", "account", True, "余额不足", {"left": 9}), NOW)
    async with httpx.AsyncClient() as http:
        await deliver(event, "ops", settings, http)
    env = dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)
    assert env["FIVEC_ALERT_MESSAGE"] == "余额不足" and env["FIVEC_ALERT_VALUE_LEFT"] == "9"
    assert env["FIVEC_ALERT_TIME"] == iso(NOW) and env["FIVEC_ALERT_TIME"].endswith("+08:00")
    assert env["LANG"] == "zh_CN.UTF-8" and env["PATH"]
    extra = {k for k in env if not k.startswith(("FIVEC_ALERT_", "LC_"))}
    assert extra <= {"PATH", "HOME", "LANG", "TZ", "PWD", "SHLVL", "_"}  # the last 3: sh's own
    assert "proxy-secret" not in dump.read_text() and "daemon-env" not in dump.read_text()
