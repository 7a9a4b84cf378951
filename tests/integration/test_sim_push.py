"""The simulator's push side, received by the project's own push receiver, every format."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from fivec_tui.sim import Simulator
from fivec_tui.sim.scenario import load
from fivec_tui.store import Store
from fivec_tui.sync import PushConfig, PushReceiver

TOKEN = "p" * 20


@pytest.mark.parametrize("fmt", ["string", "json", "xml"])
async def test_sim_pushes_reports_and_replies_to_the_receiver(tmp_path, fmt):
    scenario = load("quiet")
    scenario.push_reports = scenario.push_replies = True
    scenario.push_format = fmt
    store = Store(tmp_path / "c.db")
    receiver = PushReceiver(store, PushConfig(TOKEN))
    await receiver.start()
    base = f"http://127.0.0.1:{receiver.port}/push/{TOKEN}"
    async with Simulator(scenario, seed=1) as sim:
        sim.server.push_urls.update({"report": f"{base}/reports", "reply": f"{base}/replies"})
        a = sim.account
        async with httpx.AsyncClient(base_url=sim.base_url) as h:
            auth = {"username": a.username, "password_md5": a.password_md5, "apikey": a.apikey}
            await h.post(
                "/api/send/index.php",
                data={
                    **auth,
                    "mobile": "13800138000,13900139000",
                    "content": "hi【x】",
                    "encode": "UTF-8",
                },
            )
            # Pushed reports are not also served by the pull.
            sim.platform.add_reply("13800138000", "好的, 谢谢")
            for _ in range(50):
                await asyncio.sleep(0.1)
                if (
                    store.scalar("SELECT count(*) FROM reports") == 2
                    and store.scalar("SELECT count(*) FROM replies") == 1
                ):
                    break
            assert (await h.post("/api/recv/index.php", data=auth)).text == "no record"
    assert {r["mobile"] for r in store.query("SELECT mobile FROM reports")} == {
        "13800138000",
        "13900139000",
    }
    assert store.scalar("SELECT content FROM replies") == "好的, 谢谢"
    assert store.scalar("SELECT count(*) FROM unparsed") == 0
    await receiver.stop()


async def test_sim_keeps_pushes_while_the_receiver_is_down(tmp_path):
    scenario = load("quiet")
    scenario.push_reports = True
    async with Simulator(scenario, seed=2) as sim:
        sim.server.push_urls["report"] = "http://127.0.0.1:9/nothing-listens-here"
        sim.platform.submit(sim.platform.main, ["13800138000"], "x")
        deadline = time.monotonic() + 10
        while not sim.traffic.push_stats["failed_attempts"]:  # the report came due, was tried
            assert time.monotonic() < deadline, "no push attempted within 10 s"
            await asyncio.sleep(0.05)
        assert sim.traffic.push_stats["delivered"] == 0
        # Not lost: retried in flight, then kept for the next round.
        assert len(sim.platform.pushed_reports) + sim.traffic.in_flight["report"] == 1


async def test_wrong_encode_garbles_like_a_real_server(sim):
    a = sim.account
    async with httpx.AsyncClient(base_url=sim.base_url) as h:
        r = await h.post(
            "/api/send/index.php",
            data={
                "username": a.username,
                "password_md5": a.password_md5,
                "apikey": a.apikey,
                "mobile": "13800138000",
                "content": "你好",
                "encode": "GBK",
            },
        )
    content = sim.platform.messages[r.text.split(":")[1]].content
    assert content != "你好" and content == "你好".encode().decode("gbk", errors="replace")


def test_sim_command_prints_url_and_credentials_and_serves():
    proc = subprocess.Popen(
        [sys.executable, "-m", "fivec_tui", "sim", "--scenario", "quiet"],
        stdout=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        url = proc.stdout.readline().split(" at ")[1].strip()
        creds = dict(kv.split("=", 1) for kv in proc.stdout.readline().split())
        r = httpx.post(
            f"{url}/api/query/index.php",
            data={
                "username": creds["FIVEC_USERNAME"],
                "apikey": creds["FIVEC_APIKEY"],
                "password_md5": __import__("hashlib")
                .md5(creds["FIVEC_PASSWORD"].encode())
                .hexdigest(),
            },
        )
        assert r.text == "10000.000/10000.000"
    finally:
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(10) == 0
