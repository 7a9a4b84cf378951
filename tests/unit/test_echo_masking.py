"""A server that echoes the request: the credentials it sends back never leave the client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from fivec_tui.api import Credentials, FivecClient, md5_hex
from fivec_tui.api.errors import ParseError, UnreadableAnswer
from fivec_tui.api.redact import Secrets

PASSWORD = "Pw-0f-the-d3mo"
APIKEY = "c0ffee00c0ffee00c0ffee00c0ffee00"
TOKEN = "push-token-0123456789"
SECRETS = (PASSWORD, APIKEY, md5_hex(PASSWORD), TOKEN)


def echo(request: httpx.Request) -> httpx.Response:
    """What a misconfigured proxy or a test box answers: the request, in several spellings."""
    body = request.content.decode()
    shown = f"<pre>{request.url}\n{body}\n{body.upper()}\n{quote(body).lower()}</pre>"
    return httpx.Response(200, text=f"{shown}\n{TOKEN.upper()} {PASSWORD}")


def client(transport=echo, password: str = PASSWORD) -> FivecClient:
    return FivecClient(
        Credentials("demo", md5_hex(PASSWORD), APIKEY),
        "http://platform",
        transport=httpx.MockTransport(transport),
        secrets=(password, TOKEN),
    )


def leaked(*texts: object) -> list[str]:
    """The secrets found in ``texts``, in any case."""
    seen = " ".join(str(t) for t in texts).lower()
    return [s for s in SECRETS if s.lower() in seen]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.balance(),
        lambda c: c.pull_reports_body(),
        lambda c: c.pull_replies_body(debug=True),
        lambda c: c.billing(*_window()),
        lambda c: c.records(*_window()),
        lambda c: c.blacklist_check("13800138000"),
    ],
)
async def test_an_echoed_answer_reaches_no_error_masked(call):
    async with client() as c:
        with pytest.raises(ParseError) as raised:
            await call(c)
    assert not leaked(raised.value, raised.value.raw, repr(raised.value))
    assert "***" in raised.value.raw


def _window():
    now = datetime.now(UTC)
    return now - timedelta(hours=1), now


async def test_an_echoed_pull_is_unreadable_not_data():
    async with client() as c:
        with pytest.raises(UnreadableAnswer):
            await c.pull_reports_body()


@pytest.mark.parametrize("form", ["params", "json", "xml"])
async def test_a_send_answered_with_an_echo_is_unknown_and_masked(form):
    async with client() as c:
        result = await c.send(["13800138000"], "hi【x】", form=form)
    assert result.outcome == "unknown"
    assert not leaked(result.raw, result.detail) and "***" in result.raw


async def test_the_soap_send_masks_the_password_it_carried_however_short():
    short = "pw12"  # too short to mask out of every answer, but this request carried it
    async with client(password=short) as c:
        result = await c.send_soap(["13800138000"], "hi", short)
    assert result.outcome == "unknown"
    assert short not in result.raw and APIKEY not in result.raw


async def test_a_short_password_does_not_mask_data():
    """A password like 123456 could be part of a number in a real answer: left alone there."""
    reports = "309111755558600,13812345678,DELIVRD,2013-09-12 09:09:31;"

    def platform(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=reports)

    async with client(platform, password="123456") as c:
        assert await c.pull_reports_body() == reports


def test_each_secret_is_masked_in_every_spelling():
    secret = "密码-Key&<x>"
    secrets = Secrets([secret])
    spellings = [
        secret.encode(),
        secret.upper().encode("gbk"),
        quote(secret).encode(),
        quote(secret).lower().encode(),
        quote(secret.encode("gbk")).encode(),
        b"\\u5bc6\\u7801-Key&<x>",
        "密码-Key&amp;&lt;x&gt;".encode(),
    ]
    for spelling in spellings:
        assert secrets.mask(b"a=" + spelling + b";") == b"a=***;", spelling
    assert Secrets.distinctive(APIKEY) and not Secrets.distinctive("123456789")
    assert not Secrets.distinctive("short")
