"""A platform that cannot be reached is named (host and port) and the reason said in words:
refused, timed out, not found in DNS, no answer, closed, another status than 200."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from clirun import empty_config, run

from fivec_tui import i18n
from fivec_tui.api import Credentials, FivecClient, TransportError
from fivec_tui.sync.diagnosis import UNREACHABLE, why

CREDENTIALS = Credentials("acme", "0" * 32, "k" * 32)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens on it once closed


def refused_env(tmp_path, port: int) -> dict[str, str]:
    """An account whose platform refuses every connection, its config and cache in tmp."""
    return {
        "FIVEC_CONFIG": empty_config(tmp_path / "config.toml"),
        "FIVEC_DB": str(tmp_path / "c.db"),
        "FIVEC_USERNAME": "acme",
        "FIVEC_PASSWORD": "secret",
        "FIVEC_APIKEY": "k" * 32,
        "FIVEC_BASE_URL": f"http://127.0.0.1:{port}",
    }


async def balance_error(base_url: str, **options) -> TransportError:
    async with FivecClient(CREDENTIALS, base_url, **options) as client:
        with pytest.raises(TransportError) as caught:
            await client.balance()
    return caught.value


async def test_refused_names_the_host_and_port():
    port = free_port()
    error = await balance_error(f"http://127.0.0.1:{port}")
    said = str(error)
    assert said == (
        f"/api/query/index.php: 127.0.0.1:{port} refused the connection "
        "(nothing listens on that port, or a firewall)"
    )
    assert why(said) == UNREACHABLE  # job health still knows it for a transport error


async def test_a_name_not_found_is_dns():
    error = await balance_error("https://no-such-host.invalid")
    assert "the name of no-such-host.invalid:443 was not found (DNS)" in str(error)


async def test_a_host_that_never_answers_is_a_timeout():
    async def silent(reader, writer):
        await asyncio.sleep(5)  # takes the request, answers nothing
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        error = await balance_error(f"http://127.0.0.1:{port}", timeout=0.3)
    assert f"127.0.0.1:{port} took the request but did not answer in 0.3 s" in str(error)


@pytest.mark.parametrize(
    ("raised", "said"),
    [
        (httpx.ConnectTimeout("timed out"), "did not take the connection in 10 s"),
        (httpx.RemoteProtocolError("Server disconnected"), "closed the connection"),
    ],
)
async def test_other_failures_in_words(raised, said):
    def fail(request: httpx.Request) -> httpx.Response:
        raise raised

    error = await balance_error("https://m.5c.com.cn", transport=httpx.MockTransport(fail))
    assert f"m.5c.com.cn:443 {said}" in str(error)


async def test_another_status_is_named_with_the_host():
    def page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="Bad Gateway")

    error = await balance_error(
        "http://u:pw@proxy.example:8080", transport=httpx.MockTransport(page)
    )
    assert str(error) == (
        "/api/query/index.php: proxy.example:8080 answered HTTP 502, not the platform's 200"
    )


async def test_said_in_the_interface_language():
    error = await balance_error(f"http://127.0.0.1:{free_port()}")
    try:
        i18n.use("zh")
        assert "拒绝连接" in str(error) and "127.0.0.1:" in str(error)
    finally:
        i18n.use("en")


def test_the_cli_says_which_host_and_why(tmp_path):
    port = free_port()
    env = refused_env(tmp_path, port)
    code, out, err = run(env, "balance")
    assert code == 1 and out == ""
    assert f"127.0.0.1:{port} refused the connection" in err


def test_poll_once_promises_no_next_try(tmp_path):
    """``poll --once`` runs each pull once and ends: its log says why each failed, and no
    "next try in Ns" for a run that will never come."""
    env = refused_env(tmp_path, free_port())
    log = tmp_path / "poll.log"
    code, _out, _err = run(env, "poll", "--once", "--yes", "--log-file", str(log))
    said = log.read_text()
    assert code == 1 and "refused the connection" in said
    assert "next try" not in said
