"""The project's client against the simulator over real HTTP: every endpoint round-trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fivec_tui.api import BatchItem, ContentEncodingError, errors
from fivec_tui.api.parse import parse_replies, parse_reports


@pytest.mark.parametrize("encode", ["UTF-8", "GBK"])
@pytest.mark.parametrize("form", ["params", "json", "xml"])
async def test_send_round_trips_tricky_content(client, sim, encode, form):
    content = "a+b 100% & c=d\n【签名】验证码：1A1C"
    result = await client.send(["13800138000"], content, encode=encode, form=form)
    assert result.outcome == "accepted" and len(result.msgid) == 14
    assert sim.platform.messages[result.msgid].content == content


async def test_emoji_under_gbk_refused_before_sending(client, sim):
    before = dict(sim.server.requests)
    with pytest.raises(ContentEncodingError, match="GBK"):
        await client.send(["13800138000"], "hi 😀", encode="GBK")
    assert sim.server.requests == before


async def test_password_md5_is_lowercase_on_the_wire(client, sim):
    client.credentials = type(client.credentials)(
        client.credentials.username,
        client.credentials.password_md5.upper(),
        client.credentials.apikey,
    )
    assert (await client.balance()).total == 10000


async def test_template_scheduled_and_batch(client, sim):
    r = await client.send(["13800138000"], "", templet_code="10001", variables={"{yzm}": 123})
    assert "yzm" in sim.platform.messages[r.msgid].content
    at = datetime.now(UTC) + timedelta(hours=1)
    r = await client.send(["13800138000"], "later【x】", start_time=at)
    assert sim.platform.messages[r.msgid].start_time == int(at.timestamp())
    r = await client.send_batch(
        [BatchItem(("13800138000",), "one【x】"), BatchItem(("13900139000",), "two【x】")]
    )
    assert r.outcome == "accepted"
    assert {m.content for m in sim.platform.messages.values()} >= {"one【x】", "two【x】"}


async def test_reports_replies_records_billing(client, sim, reports_due):
    r = await client.send(["13800138000", "13900139000"], "hello【x】")
    await reports_due(sim)
    reports = parse_reports(await client.pull_reports_body())
    assert {(x.msgid, x.mobile) for x in reports} == {
        (r.msgid, "13800138000"),
        (r.msgid, "13900139000"),
    }
    now = datetime.now(UTC)
    (again,) = await client.reports_for(
        ["13800138000"], now - timedelta(minutes=5), now + timedelta(minutes=1)
    )
    assert again.status == "DELIVRD"
    sim.platform.add_reply("13800138000", "退订 谢谢")
    peek = parse_replies(await client.pull_replies_body(debug=True), client.encode)
    assert peek[0].content == "退订 谢谢"
    assert parse_replies(await client.pull_replies_body(), client.encode)[0].content == "退订 谢谢"
    assert parse_replies(await client.pull_replies_body(), client.encode) == []
    window = await client.replies_between(now - timedelta(minutes=5), now + timedelta(minutes=1))
    assert window[0].mobile == "13800138000"
    (rec,) = await client.records(now - timedelta(minutes=5), now + timedelta(minutes=1))
    assert rec.msgid == r.msgid and rec.mobiles == ("13800138000", "13900139000")
    (bill,) = await client.billing(now - timedelta(days=1), now)
    assert bill.username == "demo" and bill.sent["domestic"] == 2


async def test_blacklist_binding_and_subaccounts(client):
    assert (await client.blacklist_check("13800000001")).black
    with pytest.raises(errors.NotRemovable):
        await client.blacklist_remove("13800000001")
    assert (await client.blacklist_remove("13800000002")).message == "Added white number"
    assert (
        await client.user_create("child01", "secret1", "13800138000")
    ).message == "User added successfully"
    with pytest.raises(errors.UsernameExists):
        await client.user_create("child01", "secret1", "13800138000")
    with pytest.raises(errors.ChildUsernameTooShort):
        await client.user_create("c1", "secret1", "13800138000")
    assert (await client.user_lock("child01")).message == "Lock user success"
    assert (await client.user_info("child01")).message == "Account is locked"
    assert (await client.user_lock("child01", False)).message == "Unlock user success"
    assert (await client.user_charge("child01", 100)).message.startswith("Operation subaccount")
    assert len((await client.user_info("child01", status=False, apikey=True)).message) == 32
    assert (await client.bind_ip(["127.0.0.1"])).message.startswith("Bind")


async def test_send_timeout_is_unknown_and_not_retried(client, sim):
    sim.server.faults = {"send": {"timeout": 1.0, "hang_s": 3}}
    client.send_timeout = 0.5
    result = await client.send(["13800138000"], "x【y】")
    assert result.outcome == "unknown" and result.submission.mobiles == ("13800138000",)
    assert sim.server.requests["send"] == 1  # the platform saw exactly one request...
    assert len(sim.platform.messages) == 1  # ...which did go out, and nothing retried it


async def test_transport_errors_are_typed(client, sim):
    sim.server.faults = {"query": {"http_5xx": 1.0}}
    with pytest.raises(errors.TransportError, match="HTTP 5"):
        await client.balance()
