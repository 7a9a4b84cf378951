"""The simulator driven with plain HTTP (not the project's client): exact documented shapes."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest


@pytest.fixture
async def http(sim):
    async with httpx.AsyncClient(base_url=sim.base_url) as h:
        yield h


@pytest.fixture
def auth(sim):
    a = sim.account
    return {"username": a.username, "password_md5": a.password_md5, "apikey": a.apikey}


async def test_credential_errors_exact(http, auth):
    cases = [
        ({}, "error:Missing username"),
        ({"username": "demo"}, "error:Missing password"),
        ({"username": "demo", "password_md5": "x" * 32}, "error:Missing apikey"),
        ({**auth, "password_md5": "abc"}, "error:Invalid md5 password length"),
        ({**auth, "apikey": "wrong"}, "error:APIKEY or password error"),
        (
            {**auth, "encode": "latin1", "mobile": "13800000000", "content": "x"},
            "error:Unrecognized encoding",
        ),
        ({**auth, "encode": "UTF-8", "content": "x"}, "error:Missing recipient"),
        ({**auth, "encode": "UTF-8", "mobile": "13800000000"}, "error:Missing message content"),
    ]
    for params, expected in cases:
        r = await http.get("/api/send/index.php", params=params)
        assert r.status_code == 200 and r.text == expected, params


async def test_send_msgid_balance_and_gbk_default(http, auth, sim):
    r = await http.post(
        "/api/send/index.php",
        content=(
            "username=demo&password_md5="
            + auth["password_md5"]
            + "&apikey="
            + auth["apikey"]
            + "&mobile=13800138000&content=%C4%E3%BA%C3%A1%BE%C7%A9%C3%FB%A1%BF"
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert re.fullmatch(r"success:\d{14}", r.text)
    msg = sim.platform.messages[r.text.split(":")[1]]
    assert msg.content == "你好【签名】"  # GBK when encode is absent
    r = await http.get("/api/query/index.php", params=auth)
    assert r.text == "9999.000/10000.000"
    long = "字" * 71  # two parts
    await http.get(
        "/api/send/index.php",
        params={**auth, "encode": "UTF-8", "mobile": "13800138000,13900139000", "content": long},
    )
    assert (await http.get("/api/query/index.php", params=auth)).text == "9995.000/10000.000"


async def test_keyword_block_and_missing_window(http, auth, sim):
    sim.platform.scenario.keywords = ("党中央",)
    r = await http.get(
        "/api/send/index.php",
        params={**auth, "encode": "UTF-8", "mobile": "13800138000", "content": "党中央好"},
    )
    assert r.text == "error:Black keywords is:党中央"
    r = await http.get("/api/query/index.php", params={**auth, "action": "record"})
    assert r.text == "error:Missing from parameter"


async def test_report_served_exactly_once(http, auth, sim, reports_due):
    await http.get(
        "/api/send/index.php",
        params={
            **auth,
            "encode": "UTF-8",
            "mobile": "13800138000,13900139000",
            "content": "hi【x】",
        },
    )
    await reports_due(sim)
    first = (await http.get("/api/recv/index.php", params=auth)).text
    assert re.fullmatch(
        r"(\d{14},1[3-9]\d{9},[A-Z:0-9 ]+,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d;){2}", first
    )
    assert (await http.get("/api/recv/index.php", params=auth)).text == "no record"


async def test_reply_consumed_once_but_debug_and_query_repeat(http, auth, sim):
    sim.platform.add_reply("13800138000", "好的")
    for _ in range(2):
        body = (
            await http.get("/api/reply/index.php", params={**auth, "encode": "UTF-8", "debug": "1"})
        ).text
        assert ",13800138000,%E5%A5%BD%E7%9A%84," in body
    assert (
        "13800138000"
        in (await http.get("/api/reply/index.php", params={**auth, "encode": "UTF-8"})).text
    )
    assert (
        await http.get("/api/reply/index.php", params={**auth, "encode": "UTF-8"})
    ).text == "no record"
    q = {**auth, "encode": "UTF-8", "action": "queryByCondition", "from": "0", "to": "9999999999"}
    for _ in range(2):
        assert "%E5%A5%BD%E7%9A%84" in (await http.get("/api/reply/index.php", params=q)).text


async def test_blacklist_and_removal_rules(http, auth):
    r = await http.get(
        "/api/black/index.php", params={**auth, "action": "check", "mobile": "13800000001"}
    )
    assert re.fullmatch(
        r"success:Black number;Desc:用户投诉;Addtime:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r.text
    )
    r = await http.get(
        "/api/black/index.php", params={**auth, "action": "add", "mobile": "13800000001"}
    )
    assert r.text == "error:Non black number or no allow operation"
    r = await http.get(
        "/api/black/index.php", params={**auth, "action": "add", "mobile": "13800000002"}
    )
    assert r.text == "success:Added white number"
    r = await http.get(
        "/api/black/index.php", params={**auth, "action": "check", "mobile": "13800000002"}
    )
    assert r.text == "success:Non black number"


async def test_ip_binding_refuses_other_addresses(http, auth):
    assert (
        await http.get("/api/bind/index.php", params={**auth, "ip": "10.9.9.9"})
    ).text.startswith("success:")
    assert (
        await http.get("/api/query/index.php", params=auth)
    ).text == "error:Unauthorized IP address"


async def test_throughput_limit(http, auth, sim):
    sim.platform.scenario.throughput = 3
    texts = [
        (
            await http.get(
                "/api/send/index.php",
                params={**auth, "encode": "UTF-8", "mobile": "13800138000", "content": "x"},
            )
        ).text
        for _ in range(5)
    ]
    assert texts.count("error:Throughput Rate Exceeded") == 2


async def test_a_batch_is_one_request_to_the_throughput_limit(http, auth, sim):
    """200 items in one batch under a limit of 3 requests a second are one request; a refused
    batch takes none of its items (before, each item counted: every batch larger than the limit
    was refused, and the items before the limit were sent all the same)."""
    sim.platform.scenario.throughput = 3
    items = "".join(
        f"<item><mobile>139{i:08d}</mobile><content>hi{i}%E3%80%90x%E3%80%91</content></item>"
        for i in range(200)
    )
    account = "".join(f"<{k}>{v}</{k}>" for k, v in {**auth, "encode": "UTF-8"}.items())
    data = f"<sms><account>{account}</account><sms_list>{items}</sms_list></sms>"
    texts = [
        (await http.post("/api/send/sms_batch.php", data={"format": "xml", "data": data})).text
        for _ in range(5)
    ]
    assert [t.split(":")[0] for t in texts] == ["success"] * 3 + ["error"] * 2
    assert texts[-1] == "error:Throughput Rate Exceeded"
    assert sim.platform.submissions.total() == 600 and set(sim.platform.submissions.values()) == {3}


async def test_faults_are_injected(http, auth, sim):
    sim.server.faults = {"query": {"http_5xx": 1.0}}
    assert (await http.get("/api/query/index.php", params=auth)).status_code in (500, 502, 503)
    sim.server.faults = {"query": {"bom": 1.0, "crlf": 1.0}}
    assert (await http.get("/api/query/index.php", params=auth)).content.startswith(
        b"\r\n\xef\xbb\xbf"
    )
    state = (await http.get("/_sim/state")).json()
    assert state["requests"]["query"] == 1  # the 5xx was refused before the endpoint saw it


async def _queued_report(http, auth, sim) -> None:
    """One message sent and its report released into the pull queue."""
    params = {**auth, "encode": "UTF-8", "mobile": "13800138000", "content": "hi【x】"}
    await http.post("/api/send/index.php", data=params)
    sim.platform.scenario.never_report = 0.0
    for _ in range(100):
        sim.platform.release_due()
        if sim.platform.report_queue["demo"]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no report was released")


@pytest.mark.parametrize("kind", ["html", "waf", "empty", "echo", "literal"])
async def test_an_answer_in_front_of_the_platform_takes_nothing(http, auth, sim, kind):
    await _queued_report(http, auth, sim)
    answer = "系统繁忙,请稍后" if kind == "literal" else kind
    control = {"faults": {"recv": {"answer_with": answer}}}
    assert (await http.post("/_sim/control", json=control)).status_code == 200
    response = await http.post("/api/recv/index.php", data=auth)
    assert response.status_code == 200
    if kind == "echo":  # what was sent comes back, credentials included
        echoed = response.json()
        assert echoed["form"]["apikey"] == auth["apikey"] and auth["apikey"] in echoed["data"]
    elif kind == "literal":
        assert response.text == answer
    elif kind == "empty":
        assert response.content == b""
    else:
        assert response.text.lstrip().startswith("<")
    state = (await http.get("/_sim/state")).json()
    assert state["arrived"]["recv"] == 1 and "recv" not in state["requests"]
    assert state["answered"]["recv"] == {"body" if kind == "literal" else kind: 1}
    assert state["served_chunks"] == 0 and state["queued_reports"]["demo"] == 1
    sim.server.faults = {}
    assert "13800138000" in (await http.post("/api/recv/index.php", data=auth)).text


@pytest.mark.parametrize("kind", ["garbage", "truncated"])
async def test_an_answer_damaged_on_the_way_back_took_its_chunk(http, auth, sim, kind):
    await _queued_report(http, auth, sim)
    sim.server.faults = {"recv": {"answer_with": kind}}
    body = (await http.post("/api/recv/index.php", data=auth)).content
    if kind == "truncated":  # one report and its ";": cut anywhere, the ";" is gone
        assert not body.endswith(b";")
    else:
        assert b"13800138000" not in body
    state = (await http.get("/_sim/state")).json()
    assert state["requests"]["recv"] == 1 and state["served_chunks"] == 1
    assert state["damaged_chunks"] == [0] and state["queued_reports"]["demo"] == 0


async def test_answer_with_has_a_probability_and_the_control_checks_faults(http, auth, sim):
    sim.server.faults = {"query": {"answer_with": "waf", "answer_with_p": 0.0}}
    assert "/" in (await http.post("/api/query/index.php", data=auth)).text
    bad = {"faults": {"query": {"answer_with": 1}}}
    refused = await http.post("/_sim/control", json=bad)
    assert refused.status_code == 400 and "answer_with" in refused.json()["error"]
    unknown = await http.post("/_sim/control", json={"faults": {"nowhere": {"garbage": 1}}})
    assert unknown.status_code == 400 and sim.server.faults["query"]["answer_with"] == "waf"
