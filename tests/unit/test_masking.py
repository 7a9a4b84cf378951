"""URLs with credentials are shown and logged masked: host and path readable, secrets ``***``."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys

import httpx
import pytest
from click.testing import CliRunner

from fivec_tui.api.redact import mask_url, mask_urls
from fivec_tui.cli import main
from fivec_tui.sync.alerts import Condition, Event, config
from fivec_tui.sync.sinks import deliver

FWD_PASSWORD, FWD_TOKEN, HOOK_TOKEN = "Fwd-pass-951", "fwdtoken7731", "hook-token-4410"
PUSH_TOKEN = "k" * 12 + "pushtoken123"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://bot:pw@h.example/report", "https://bot:***@h.example/report"),
        ("https://ghp123@git.example/x", "https://***@git.example/x"),
        (
            "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=17&sign=x%2By",
            "https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=17&sign=***",
        ),
        (
            "http://h:8080/r?key=1&apikey=2&token=3&stream=reports",
            "http://h:8080/r?key=***&apikey=***&token=***&stream=reports",
        ),
        (
            "http://10.0.0.5:8088/push/0123456789abcdef01/reports",  # our receiver's token
            "http://10.0.0.5:8088/push/***/reports",
        ),
        (
            "https://open.feishu.cn/open-apis/bot/v2/hook/2a7b1c3e-aaaa-bbbb-cccc-0123456789ab",
            "https://open.feishu.cn/open-apis/bot/v2/hook/***",
        ),
        (
            "https://h.example/cb#access_token=zz&state=1",
            "https://h.example/cb#access_token=***&state=1",
        ),
        ("http://127.0.0.1:9/report", "http://127.0.0.1:9/report"),  # nothing secret: as is
        ("http://h:notaport/x?key=1", "http://***"),  # does not parse: only the scheme shown
        ("user:pw@no-scheme/x", "***"),
    ],
)
def test_mask_url(url, shown):
    assert mask_url(url) == shown


def test_mask_urls_in_free_text():
    text = f"ConnectError: [Errno 111] for url 'https://u:{FWD_PASSWORD}@h/x?token={FWD_TOKEN}'"
    assert mask_urls(text) == "ConnectError: [Errno 111] for url 'https://u:***@h/x?token=***'"


async def test_webhook_failures_are_logged_masked(caplog):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    hook = f"http://ops:{FWD_PASSWORD}@127.0.0.1:{port}/hook?access_token={HOOK_TOKEN}"
    settings = config({"webhook": hook, "webhook_retries": 0})
    event = Event("firing", Condition("balance", "account", True, "low"), 0.0)
    with caplog.at_level(logging.WARNING, "fivec_tui.alerts"):
        async with httpx.AsyncClient() as http:
            await deliver(event, "ops", settings, http)
    assert f"http://ops:***@127.0.0.1:{port}/hook?access_token=***" in caplog.text
    assert FWD_PASSWORD not in caplog.text and HOOK_TOKEN not in caplog.text


def _push_config(push_port: int, sink_url: str) -> tuple[str, str]:
    target = sink_url.replace("http://", f"http://bot:{FWD_PASSWORD}@") + (
        f"?access_token={FWD_TOKEN}&tenant=acme"
    )
    config = (
        "[profiles.default.streams]\n"
        "reports = 'push'\nreplies = 'off'\nrecords = 'off'\nbalance = 'off'\n"
        f"[profiles.default.push]\nlisten = '127.0.0.1:{push_port}'\ntoken = '{PUSH_TOKEN}'\n"
        f"[profiles.default.push.forward]\nreports = ['{target}']\n"
        "[profiles.default.alerts]\n"
        f"webhook = 'https://hooks.example/x?sign={HOOK_TOKEN}'\n"
    )
    return config, target


async def test_a_real_forward_run_logs_and_config_show_mask_the_urls(
    tmp_path, sim_thread, poll_env, sink
):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        push_port = s.getsockname()[1]
    config, target = _push_config(push_port, sink.url)
    env = poll_env(sim_thread, config)
    sink.fail = 1  # the first forward fails: its warning names the URL
    log_file = tmp_path / "poll.log"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fivec_tui",
        "poll",
        "--yes",
        "--log-file",
        str(log_file),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    body = "1,13800000000,DELIVRD,1462879547"
    try:
        async with httpx.AsyncClient() as h:
            for _ in range(300):
                try:
                    r = await h.post(
                        f"http://127.0.0.1:{push_port}/push/{PUSH_TOKEN}/reports",
                        data={"data": body},
                    )
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
        assert r.text == "success"
        for _ in range(300):
            if sink.forms:
                break
            await asyncio.sleep(0.1)
        assert [f["data"] for f in sink.forms] == [body]  # delivered after one failure
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    shown = "http://bot:***@127.0.0.1:" + target.split("@127.0.0.1:")[1].split("?")[0]
    shown += "?access_token=***&tenant=acme"
    log = log_file.read_text()
    assert f"forward to {shown} failed (HTTP 503)" in log
    assert f"forwarding reports to {shown}" in log  # the start-up line
    assert "/push/<token>/" in log
    show = CliRunner().invoke(main, ["config", "show", "--json"], env=env)
    assert show.exit_code == 0, show.output  # whole there; cut to 80 columns in the table
    assert shown in show.stdout and "https://hooks.example/x?sign=***" in show.stdout
    table = CliRunner().invoke(main, ["config", "show"], env=env)
    for where in (log, stderr.decode(), show.stdout + show.stderr, table.output):
        for secret in (FWD_PASSWORD, FWD_TOKEN, HOOK_TOKEN, PUSH_TOKEN):
            assert secret not in where


def test_the_tui_banner_masks_a_base_url_with_credentials(tmp_path):
    from fivec_tui.app.app import FivecApp
    from fivec_tui.config import load_profile
    from fivec_tui.store import Store

    env = {"FIVEC_BASE_URL": f"https://gw:{FWD_PASSWORD}@gateway.example/5c?token={FWD_TOKEN}"}
    app = FivecApp(load_profile(tmp_path / "none.toml", env=env), Store(tmp_path / "t.db"))
    banner = app.banner().plain
    assert "https://gw:***@gateway.example/5c?token=***" in banner
    assert FWD_PASSWORD not in banner and FWD_TOKEN not in banner
