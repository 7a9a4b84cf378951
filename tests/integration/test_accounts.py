"""Several accounts in one console: ``poll --all``, push routing by profile, metrics and
``stats``/``alerts --all`` per profile, sub-accounts, and the simulated fleet."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from fivec_tui.api import Balance
from fivec_tui.app.demo import DEMO_INTERVALS, simulated_profiles
from fivec_tui.cli import main
from fivec_tui.cli.run import simulated_accounts
from fivec_tui.config import Profile
from fivec_tui.sim.fleet import Fleet, account_name
from fivec_tui.store import Store
from fivec_tui.store.alerts import add_alert
from fivec_tui.store.balance import add_balance
from fivec_tui.store.poll_runs import add_poll_run
from fivec_tui.store.poller import JobHealth
from fivec_tui.store.subaccounts import subaccounts
from fivec_tui.sync.client import client_for
from fivec_tui.sync.diagnosis import AUTH_ERROR, UNREACHABLE, cached_problem, why
from fivec_tui.sync.engine import Engine
from fivec_tui.sync.metrics import CacheCollector
from fivec_tui.sync.push import PushConfig, PushReceiver, Route

TOKEN = "t0ken-of-sixteen-chars"


def fleet_profiles(fleet: Fleet, intervals: dict[str, float] | None = None) -> list[Profile]:
    """The profiles the demo makes of a fleet, from what ``sim --json`` says of it."""
    return simulated_profiles(simulated_accounts(fleet.simulators), intervals)


@pytest.fixture
def fleet_thread():
    """Three simulated accounts (quiet: every report delivered), in a thread of their own."""
    loop = asyncio.new_event_loop()
    fleet = Fleet(3, scenario="quiet", traffic=False)
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(fleet.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    fleet.loop = loop
    yield fleet
    asyncio.run_coroutine_threadsafe(fleet.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def _config(fleet: Fleet, extra: str = "") -> str:
    lines = []
    for sim in fleet.simulators:
        a = sim.account
        lines += [
            f"[profiles.{a.username}]",
            f'username = "{a.username}"',
            f'password_md5 = "{a.password_md5}"',
            f'apikey = "{a.apikey}"',
            f'base_url = "{sim.base_url}"',
            "",
        ]
    return "\n".join(lines) + extra


def _traffic(fleet: Fleet) -> None:
    """Sends on every account (its sub-accounts too) and a reply naming the account; then
    wait for every report to be due."""

    async def go() -> None:
        for sim in fleet.simulators:
            for _ in range(20):
                sim.traffic.step(1.0)  # quiet has no rate of its own: send by hand below
            p = sim.platform
            for i, sender in enumerate(p.senders[:2]):
                p.submit(sender, [f"1390000{i}{n:03d}" for n in range(5)], "验证码1234【测试】")
            p.add_reply("13900000001", f"reply to {p.main.username}")

    asyncio.run_coroutine_threadsafe(go(), fleet.loop).result(10)
    time.sleep(1.5)  # quiet: reports within a second


def _env(tmp_path: Path, fleet: Fleet) -> dict[str, str]:
    """FIVEC_* credentials and FIVEC_DB that, if --all applied them, would break every account."""
    return {
        **os.environ,
        "FIVEC_CONFIG": str(tmp_path / "config.toml"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "FIVEC_DB": str(tmp_path / "env.db"),
        "FIVEC_USERNAME": "nobody",
        "FIVEC_APIKEY": "0" * 32,
        "FIVEC_PASSWORD_MD5": "0" * 32,
        "FIVEC_BASE_URL": fleet.simulators[0].base_url,
    }


def test_poll_all_once_keeps_each_account_apart(fleet_thread, tmp_path):
    fleet = fleet_thread
    _traffic(fleet)
    first = fleet.simulators[0].account
    wrong = (
        f'[profiles.wrong]\nusername = "{first.username}"\npassword_md5 = "{first.password_md5}"\n'
        f'apikey = "{"f" * 32}"\nbase_url = "{fleet.simulators[0].base_url}"\n'
    )
    down = wrong.replace("[profiles.wrong]", "[profiles.down]").replace(
        fleet.simulators[0].base_url,
        "http://127.0.0.1:1",  # nothing listens there
    )
    (tmp_path / "config.toml").write_text(_config(fleet, wrong + down))
    env = _env(tmp_path, fleet)
    proc = subprocess.run(
        [sys.executable, "-m", "fivec_tui", "poll", "--all", "--once", "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr  # the wrong account failed, the others did not
    assert "wrong: auth error" in proc.stdout and "down: unreachable" in proc.stdout
    assert not (tmp_path / "env.db").exists()  # FIVEC_DB is for one profile
    data = tmp_path / "data" / "fivec-tui"
    for sim in fleet.simulators:
        p, name = sim.platform, sim.account.username
        assert f"{name}: auth error" not in proc.stdout
        store = Store(data / f"{name}.db", readonly=True)
        sent = {
            (m.msgid, mobile)
            for m in p.messages.values()
            if m.username == name
            for mobile in m.mobiles
        }
        records = {
            (r["msgid"], r["mobile"]) for r in store.query("SELECT msgid, mobile FROM records")
        }
        assert records == sent and sent  # its own sends, not its sub-accounts' nor others'
        served = {(s.msgid, s.mobile) for s in p.served}
        reports = {
            (r["msgid"], r["mobile"]) for r in store.query("SELECT msgid, mobile FROM reports")
        }
        assert reports == served and served <= sent
        replies = [r["content"] for r in store.query("SELECT content FROM replies")]
        assert replies == [f"reply to {name}"]
        assert cached_problem(store) is None
    bad = Store(data / "wrong.db", readonly=True)
    assert bad.scalar("SELECT count(*) FROM records") == 0
    assert cached_problem(bad)[0] == AUTH_ERROR

    # stats --all and alerts --all read the caches: the failing account is listed with why
    runner = CliRunner()
    env_cli = {k: v for k, v in env.items() if k.startswith(("FIVEC_", "XDG_"))}
    out = runner.invoke(main, ["stats", "--all", "--json"], env=env_cli)
    assert out.exit_code == 0, out.output
    stats = json.loads(out.stdout)["profiles"]
    assert set(stats) == {account_name(i) for i in range(3)} | {"wrong", "down"}
    assert stats["down"]["error"] == UNREACHABLE
    one = json.loads(
        runner.invoke(
            main,
            ["--profile", first.username, "stats", "--json"],
            env={**env_cli, "FIVEC_DB": str(data / f"{first.username}.db")},
        ).stdout
    )
    assert json.loads(out.stdout)["at"] and one.pop("at")  # each form says when (once)
    assert stats[first.username] == one | {"error": None, "error_detail": None}
    assert stats["wrong"]["error"] == AUTH_ERROR and stats["wrong"]["sent"] == 0
    assert ": error:APIKEY or password error" in stats["wrong"]["error_detail"]


def test_env_credentials_apply_to_the_chosen_profile_only(tmp_path):
    (tmp_path / "config.toml").write_text(
        '[profiles.a]\nusername = "alpha"\npassword_md5 = "' + "a" * 32 + '"\napikey = "k"\n'
        '[profiles.b]\nusername = "beta"\npassword_md5 = "' + "b" * 32 + '"\napikey = "k"\n'
    )
    from fivec_tui.cli.common import Ctx

    ctx = Ctx(str(tmp_path / "config.toml"), "a", None, None)
    os.environ["FIVEC_USERNAME"] = "from-env"
    try:
        assert ctx.profile().username == "from-env"  # the chosen profile takes it
        assert [p.username for p in ctx.all_profiles()] == ["alpha", "beta"]
    finally:
        del os.environ["FIVEC_USERNAME"]


def test_why_names_the_trouble():
    assert why("error:APIKEY or password error — wrong") == AUTH_ERROR
    assert why("error:Unauthorized IP address — x") == AUTH_ERROR
    assert why("/api/query/index.php: ConnectError: refused") == UNREACHABLE
    assert why("/api/recv/index.php: HTTP 502") == UNREACHABLE
    assert why("error:Account balance is insufficient — x") == "no balance"
    assert why("ValueError: boom") == "failing"


async def test_push_routes_by_profile(tmp_path):
    stores = {n: Store(tmp_path / f"{n}.db") for n in ("a", "b")}
    routes = {n: Route(s) for n, s in stores.items()}
    receiver = PushReceiver(None, PushConfig(TOKEN), routes)
    await receiver.start()
    base = f"http://127.0.0.1:{receiver.port}/push"
    try:
        async with httpx.AsyncClient() as http:
            body = {"data": "73508727178536,13800138000,DELIVRD,2026-11-26 10:00:00"}
            r = await http.post(f"{base}/{TOKEN}/b/reports", data=body)
            assert r.text == "success"
            assert stores["b"].scalar("SELECT count(*) FROM reports") == 1
            assert stores["a"].scalar("SELECT count(*) FROM reports") == 0
            refused = [
                await http.post(f"{base}/wrong-token-of-16chars/b/reports", data=body),
                await http.post(f"{base}/{TOKEN}/reports", data=body),  # one-account path
            ]
            assert {(r.status_code, r.text) for r in refused} == {(403, "forbidden\n")}
            r = await http.post(f"{base}/{TOKEN}/nobody/reports", data=body)
            assert r.status_code == 404
    finally:
        await receiver.stop()


def test_metrics_carry_the_profile_and_agree_with_stats_all(tmp_path):
    data = tmp_path / "data" / "fivec-tui"
    paths = {"a": data / "a.db", "b": data / "b.db"}
    for i, (name, path) in enumerate(paths.items()):
        store = Store(path)
        add_balance(store, Balance(100.0 * (i + 1), 1000))
        error = "/api/query/index.php: ConnectError: x" if i else ""
        health = JobHealth("balance", "pull", "ok", time.time(), failures=i, last_error=error)
        add_poll_run(store, "balance", time.time(), "error" if i else "ok", error, 0, health)
        add_alert(store, f"rule{name}", "firing", f"alert of {name}", {})
        store.close()
    registry = CollectorRegistry()
    registry.register(CacheCollector(paths))
    samples = [
        s
        for f in text_string_to_metric_families(generate_latest(registry).decode())
        for s in f.samples
    ]
    assert samples and all("profile" in s.labels for s in samples)
    balances = {
        s.labels["profile"]: s.value for s in samples if s.name == "fivec_balance_remaining"
    }
    assert balances == {"a": 100.0, "b": 200.0}
    (tmp_path / "config.toml").write_text(
        '[profiles.a]\nusername = "a"\n[profiles.b]\nusername = "b"\n'
    )
    env = {"FIVEC_CONFIG": str(tmp_path / "config.toml"), "XDG_DATA_HOME": str(tmp_path / "data")}
    stats = json.loads(CliRunner().invoke(main, ["stats", "--all", "--json"], env=env).stdout)
    assert stats["profiles"]["a"]["error"] is None
    assert stats["profiles"]["b"]["error"] == UNREACHABLE
    for name in paths:
        sent = next(
            s.value
            for s in samples
            if s.name == "fivec_sent" and s.labels == {"profile": name, "window": "1h"}
        )
        assert sent == stats["profiles"][name]["sent"]
    events = json.loads(CliRunner().invoke(main, ["alerts", "--all", "--json"], env=env).stdout)
    assert isinstance(events, list) and {(e["profile"], e["rule"]) for e in events} == {
        ("a", "rulea"),
        ("b", "ruleb"),
    }


async def test_subaccounts_job_caches_billing_and_status(tmp_path):
    async with Fleet(1, scenario="quiet", traffic=False) as fleet:
        sim = fleet.simulators[0]
        p = sim.platform
        for sender in p.senders[:2]:
            p.submit(sender, ["13900000001", "13900000002"], "x" * 80)  # 2 parts each
        (profile,) = fleet_profiles(fleet)
        store = Store(tmp_path / "c.db")
        async with client_for(profile) as client:
            engine = Engine(profile, store, client)
            assert await engine.run_job("subaccounts") == 3
        rows = {r.username: r for r in subaccounts(store)}
        main_name = p.main.username
        assert next(iter(rows)) == main_name and rows[main_name].main
        assert rows[main_name].sent_today == 4 and rows[main_name].sent_month == 4
        assert rows[f"{main_name}sub1"].locked is False
        assert rows[f"{main_name}sub2"].locked is True
        assert rows[f"{main_name}sub1"].sent_today == 4  # its own sends, charged to it
        assert rows[f"{main_name}sub1"].remaining == 5000.0 - 4
        # a sub-account deleted on the platform leaves the cache at the next run
        del p.accounts[f"{main_name}sub2"]
        async with client_for(profile) as client:
            await Engine(profile, store, client).run_job("subaccounts")
        assert [r.username for r in subaccounts(store)] == [main_name, f"{main_name}sub1"]


def test_fleet_accounts_differ(tmp_path):
    fleet = Fleet(3)
    names = [s.account.username for s in fleet.simulators]
    assert names == ["verify", "notify", "market"]
    scenarios = [s.scenario for s in fleet.simulators]
    assert not scenarios[0].phases and scenarios[1].phases
    assert fleet.simulators[2].platform.main.balance < fleet.simulators[0].platform.main.balance
    assert len({s.account.apikey for s in fleet.simulators}) == 3
    assert all(isinstance(p, Profile) for p in fleet_profiles(fleet))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_poll_all_daemon_serves_pushes_and_metrics_per_profile(fleet_thread, tmp_path):
    fleet = fleet_thread
    names = [s.account.username for s in fleet.simulators]
    push = f'\n[profiles.{names[0]}.push]\ntoken = "{TOKEN}"\n'
    (tmp_path / "config.toml").write_text(_config(fleet) + push)
    listen, metrics = _free_port(), _free_port()
    log = tmp_path / "poll.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fivec_tui",
            "--profile",
            names[0],
            "poll",
            "--all",
            "--yes",
            "--listen",
            f"127.0.0.1:{listen}",
            "--metrics",
            f"127.0.0.1:{metrics}",
            "--log-file",
            str(log),
        ],
        env=_env(tmp_path, fleet),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body, seen = "", set()
        for _ in range(150):
            try:
                body = httpx.get(f"http://127.0.0.1:{metrics}/metrics", timeout=1).text
                seen = {
                    s.labels["profile"]
                    for f in text_string_to_metric_families(body)
                    for s in f.samples
                    if s.name == "fivec_job_runs_total"
                }
                if seen == set(names):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        assert seen == set(names)
        r = httpx.post(
            f"http://127.0.0.1:{listen}/push/{TOKEN}/{names[1]}/replies",
            data={"data": "0,9001,13900000009,%E5%A5%BD,2026-11-26 10:00:00"},
        )
        assert r.text == "success"
    finally:
        proc.terminate()
        assert proc.wait(20) == 0
    data = tmp_path / "data" / "fivec-tui"
    pushed = "SELECT count(*) FROM replies WHERE mobile = '13900000009'"
    assert Store(data / f"{names[1]}.db", readonly=True).scalar(pushed) == 1
    assert Store(data / f"{names[0]}.db", readonly=True).scalar(pushed) == 0
    text = log.read_text()
    assert all(f"[{name}] polling {name}" in text for name in names)
    assert all(s.account.apikey not in text for s in fleet.simulators)


async def test_demo_profiles_start_three_accounts_in_different_states():
    fleet = await Fleet(3).start()
    profiles = fleet_profiles(fleet, DEMO_INTERVALS)
    try:
        assert [p.name for p in profiles] == ["verify", "notify", "market"]
        balances = []
        for profile in profiles:
            async with client_for(profile) as client:
                balances.append((await client.balance()).remaining)
                names = [
                    e.username for e in await client.billing(datetime.now(UTC), datetime.now(UTC))
                ]
            assert names == [profile.username, f"{profile.username}sub1", f"{profile.username}sub2"]
        assert balances[2] < balances[0] / 10  # the third runs out of balance
        assert fleet.simulators[1].scenario.phases  # the second has an outage
        assert profiles[0].intervals["subaccounts"] < 600  # a demo shows change soon
    finally:
        await fleet.stop()


def test_poll_all_skips_an_account_another_poller_holds(fleet_thread, tmp_path):
    from fivec_tui.sync.lock import PollerLock

    fleet = fleet_thread
    (tmp_path / "config.toml").write_text(_config(fleet))
    held = fleet.simulators[1].account.username
    data = tmp_path / "data" / "fivec-tui"
    with PollerLock(data / f"{held}.db"):
        proc = subprocess.run(
            [sys.executable, "-m", "fivec_tui", "poll", "--all", "--once", "--yes"],
            env=_env(tmp_path, fleet),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 1
    assert f"error: {held}: another poller holds" in proc.stderr
    assert f"pid {os.getpid()}" in proc.stderr
    others = [s.account.username for s in fleet.simulators if s.account.username != held]
    assert all(f"{name}: balance: 1 new" in proc.stdout for name in others)
    assert held + ":" not in proc.stdout


def test_overview_rows_from_the_cache_worst_first(tmp_path):
    from fivec_tui.sync.alerts import ACTIVE_KEY
    from fivec_tui.sync.overview import overview, worst_first

    ok, failing, alerting = (Store(tmp_path / f"{n}.db") for n in ("ok", "failing", "alerting"))
    add_balance(ok, Balance(500.0, 1000))
    error = "error:APIKEY or password error — x"
    health = JobHealth("balance", "pull", "failing", time.time(), failures=3, last_error=error)
    add_poll_run(failing, "balance", time.time(), "error", error, 0, health)
    alerting.set_setting(ACTIVE_KEY, json.dumps({"balance:low": time.time()}))
    rows = [overview(n, s) for n, s in (("ok", ok), ("failing", failing), ("alerting", alerting))]
    rows.append(overview("new", None))
    assert rows[0].balance == 500.0 and rows[0].problem is None and rows[0].firing == []
    assert rows[1].problem[0] == AUTH_ERROR and rows[2].firing == ["balance:low"]
    assert [r.profile for r in worst_first(rows)] == ["alerting", "failing", "new", "ok"]


def test_shipped_monitoring_is_per_account():
    import re

    from fivec_tui.resources import data_dir

    monitoring = data_dir() / "monitoring"
    dashboard = json.loads((monitoring / "grafana-dashboard.json").read_text())
    assert "profile" in {v["name"] for v in dashboard["templating"]["list"]}
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            for selector in re.findall(r"fivec_[a-z_]+(\{[^}]*\})?", target["expr"]):
                assert selector.startswith('{profile=~"$profile"'), target["expr"]
            assert "{{profile}}" in target["legendFormat"]
    rules = (monitoring / "prometheus-rules.yml").read_text()
    summaries = re.findall(r"summary: (.*)", rules)
    assert len(summaries) == rules.count("- alert:")
    assert all("$labels.profile" in line for line in summaries if "poller" not in line)
    routes = (monitoring / "alertmanager.yml").read_text()  # no YAML parser among the deps
    assert "group_by: [alertname, profile]" in routes
    assert re.search(r"matchers: \['profile=", routes)
