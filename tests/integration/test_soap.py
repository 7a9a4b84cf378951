"""The client's WebService (SOAP) send: envelope, answer, client call and `send --via soap`."""

from __future__ import annotations

import json

import pytest
from clirun import account_env, run

from fivec_tui import config as cfg
from fivec_tui.api import ContentEncodingError, ParseError, errors, soap
from fivec_tui.sim import soap as sim_soap

TRICKY = "验证码1234 a+b & <c> 100%\r\n😀【测试】"


def test_envelope_carries_any_text_the_server_reads_back():
    body = soap.envelope("key", "demo", "p&w<d>", "13800138000,13900139000", TRICKY)
    assert sim_soap.parse_call(body) == {
        "apikey": "key",
        "username": "demo",
        "password": "p&w<d>",
        "mobile": "13800138000,13900139000",
        "content": TRICKY,
    }


def test_envelope_refuses_what_xml_cannot_carry_naming_it():
    with pytest.raises(ContentEncodingError, match="U\\+0001 at position 2"):
        soap.envelope("key", "demo", "pw", "13800138000", "ab\x01c")


def test_answer_return_string_fault_and_garbage():
    assert soap.parse_response(sim_soap.response("success:12345678901234")) == (
        "success:12345678901234"
    )
    fault = sim_soap.fault(sim_soap.SoapFault("SOAP-ENV:Server", "Procedure 'x' not present"))
    with pytest.raises(ParseError, match="SOAP fault: Procedure 'x' not present"):
        soap.parse_response(fault)
    bomb = b'<!DOCTYPE x [<!ENTITY a "b">]><Envelope><Body><r><return>&a;</return></r></Body></Envelope>'
    for body in (b"success:1", b"<Envelope><Body/></Envelope>", bomb):
        with pytest.raises(ParseError) as exc:
            soap.parse_response(body)
        assert exc.value.raw == body.decode()


def test_only_the_main_node_serves_soap():
    soap.check_node("https://m.5c.com.cn")
    soap.check_node("http://127.0.0.1:8000")
    with pytest.raises(ValueError, match="the hk node"):
        soap.check_node("https://hk.5c.com.cn")


async def test_client_send_soap_round_trip_refusal_and_unknown(client, sim):
    password = sim.account.password
    result = await client.send_soap(["13800138000"], TRICKY.replace("😀", ""), password)
    assert result.outcome == "accepted" and result.submission.form == "soap"
    assert sim.platform.messages[result.msgid].content == TRICKY.replace("😀", "")
    with pytest.raises(errors.PlatformError, match="APIKEY or password error"):
        await client.send_soap(["13800138000"], "x【y】", password + "x")
    sim.server.faults = {"webservice": {"timeout": 1.0, "hang_s": 3}}
    client.send_timeout = 0.5
    before = sim.server.requests["webservice"]
    result = await client.send_soap(["13800138000"], "x【y】", password)
    assert result.outcome == "unknown" and sim.server.requests["webservice"] == before + 1


@pytest.fixture
def env(sim_thread, tmp_path):
    return account_env(sim_thread, tmp_path)


def test_cli_send_via_soap_then_records(env, sim_thread):
    content = "验证码1234【测试】"
    code, out, err = run(
        env, "send", "--via", "soap", "--to", "13800138000", "--content", content, "--yes", "--json"
    )
    assert code == 0, err
    sent = json.loads(out)
    assert len(sent["msgid"]) == 14 and sent["recipients"] == 1 and sent["parts"] == 1
    code, out, _ = run(env, "records", "--from", "-1h", "--json")
    (record,) = json.loads(out)
    assert record["msgid"] == sent["msgid"] and record["content"] == content
    assert (
        sim_thread.server.requests["webservice"] == 1 and "send" not in sim_thread.server.requests
    )
    code, out, err = run(
        env, "send", "--via", "soap", "--to", "13800138000", "--content", "【测试】x", "--yes"
    )
    assert code == 0 and "accepted: msgid" in out


@pytest.mark.parametrize(
    ("change", "args", "message"),
    [
        ({"FIVEC_PASSWORD": "", "FIVEC_PASSWORD_MD5": "0" * 32}, [], "needs the plain password"),
        ({}, ["--template", "10001"], "no --template, --at or GBK"),
        ({}, ["--at", "+10m"], "no --template, --at or GBK"),
        ({}, ["--encode", "gbk"], "no --template, --at or GBK"),
        ({"FIVEC_BASE_URL": "https://bj.5c.com.cn"}, [], "no WebService interface"),
    ],
)
def test_cli_send_via_soap_usage_errors(env, sim_thread, change, args, message):
    env = {k: v for k, v in {**env, **change}.items() if v}
    base = ["send", "--via", "soap", "--to", "13800138000", "--content", "x", "--yes"]
    code, out, err = run(env, *base, *args)
    assert code == 2 and message in err
    assert sim_thread.account.password not in out + err
    assert not sim_thread.server.requests


def test_cli_soap_refusal_exits_1_without_the_password(env, sim_thread):
    env = {**env, "FIVEC_PASSWORD": "not-the-password-42"}
    code, out, err = run(
        env, "send", "--via", "soap", "--to", "13800138000", "--content", "【测试】x", "--yes"
    )
    assert code == 1 and "APIKEY or password error" in err
    assert "not-the-password-42" not in out + err


def test_profile_keeps_the_plain_password_in_memory_until_an_md5_replaces_it(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[profiles.default]\nusername = "u"\npassword = "pw1"\napikey = "k"\n')
    path.chmod(0o600)
    profile = cfg.load_profile(path, env={})
    assert profile.password == "pw1" and "pw1" in profile.secrets()
    assert "pw1" not in repr(profile)
    profile = cfg.load_profile(path, env={"FIVEC_PASSWORD_MD5": "a" * 32})
    assert profile.password == "" and profile.password_md5 == "a" * 32
