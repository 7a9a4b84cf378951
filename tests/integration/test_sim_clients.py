"""Requests shaped like the platform's public clients, replayed byte for byte at the simulator.

No project client here: each request is written out as raw HTTP on a socket, as the client
named beside it builds it (their shapes, not their code), and each check reads the answer
and the text the simulator's send records (``action=record``) give back.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlencode

import pytest
from aiohttp import web

from fivec_tui.sim import Simulator
from fivec_tui.sim.scenario import load

CONTENT = "验证码：1234，a+b 100%【测试】"
BOUNDARY = "------------------------d74496d66958873e"


async def exchange(sim, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send one raw request; the status, headers (lower-case names) and body of the answer."""
    reader, writer = await asyncio.open_connection(sim.host, sim.port)
    try:
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines if h)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        return int(status_line.split()[1]), headers, body
    finally:
        writer.close()


def raw(sim, method: str, target: str, headers: list[str], body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {sim.host}:{sim.port}", *headers]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def multipart(fields: list[tuple[str, bytes]]) -> bytes:
    """A body as PHP's curl writes an array given to CURLOPT_POSTFIELDS."""
    out = b""
    for name, value in fields:
        out += (
            (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n').encode()
            + value
            + b"\r\n"
        )
    return out + f"--{BOUNDARY}--\r\n".encode()


CURL_MULTIPART = [
    "Accept: */*",
    f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
]
FORM = ["Content-Type: application/x-www-form-urlencoded"]
JAVA = [
    "User-Agent: Java/1.8.0_392",
    "Accept: text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2",
    "Connection: keep-alive",
]


async def recorded(sim, msgid: str) -> str:
    """The content the simulator's send records return for ``msgid`` (decoded from UTF-8)."""
    a = sim.account
    query = urlencode(
        {
            "username": a.username,
            "password_md5": a.password_md5,
            "apikey": a.apikey,
            "action": "record",
            "from": int(time.time()) - 60,
            "to": int(time.time()) + 60,
            "encode": "UTF-8",
        }
    )
    status, _, body = await exchange(sim, raw(sim, "GET", f"/api/query/?{query}", []))
    assert status == 200
    for line in body.decode("utf-8").split(";"):
        fields = line.split(",")
        if len(fields) == 5 and fields[1] == msgid:
            return unquote(fields[3], encoding="utf-8")
    raise AssertionError(f"msgid {msgid} not in the send records: {body[:300]!r}")


def msgid_of(body: bytes) -> str:
    match = re.fullmatch(rb"success:(\d{14})", body)
    assert match, body
    return match[1].decode()


async def test_vendor_php_demo_multipart_with_urlencoded_content(sim):
    # The vendor's PHP demo (copies in many repos; same curl array shape as
    # molinweb/SmsRemind bruceblog/inc/sms.inc.php): curl_setopt(CURLOPT_POSTFIELDS, $array)
    # posts multipart/form-data to "…/api/send/index.php?" with content = urlencode($content).
    a = sim.account
    body = multipart(
        [
            ("username", a.username.encode()),
            ("password_md5", a.password_md5.encode()),
            ("apikey", a.apikey.encode()),
            ("mobile", b"13800138000"),
            ("content", quote_plus(CONTENT).encode()),  # PHP urlencode: UTF-8, "+" for space
            ("encode", b"UTF-8"),
        ]
    )
    status, _, answer = await exchange(
        sim, raw(sim, "POST", "/api/send/index.php?", CURL_MULTIPART, body)
    )
    assert status == 200
    assert await recorded(sim, msgid_of(answer)) == CONTENT


async def test_php_curl_array_raw_gbk_plain_password_to_the_send_folder(sim):
    # molinweb/SmsRemind bruceblog/inc/sms.inc.php and tanjibo/sinaApp SMSUtils.class.php:
    # $url = 'http://m.5c.com.cn/api/send/?', array('username', 'password' (plain), 'mobile',
    # 'content' => iconv("UTF-8","GBK//IGNORE",$content), 'apikey'), no encode: GBK bytes.
    a = sim.account
    body = multipart(
        [
            ("username", a.username.encode()),
            ("password", a.password.encode()),
            ("mobile", b"13800138000"),
            ("content", "你好，明天见【签名】".encode("gbk")),
            ("apikey", a.apikey.encode()),
        ]
    )
    status, _, answer = await exchange(sim, raw(sim, "POST", "/api/send/?", CURL_MULTIPART, body))
    assert status == 200
    assert await recorded(sim, msgid_of(answer)) == "你好，明天见【签名】"


async def test_vendor_java_demo_gbk_query_string_built_by_hand(sim):
    # xieyankun123/wodewode src/main/java/com/xyk/util/SendMessage.java (the vendor Java demo):
    # "…/api/send/index.php?username=…&password_md5=…&mobile=…&apikey=…&content="
    # + URLEncoder.encode(content, "GBK") + "&encode=GBK", read with url.openStream() (a GET).
    a = sim.account
    text = "您的验证码是123456，5分钟内有效【美联软通】"
    target = (
        f"/api/send/index.php?username={a.username}&password_md5={a.password_md5}"
        f"&mobile=13800138000&apikey={a.apikey}&content={quote_plus(text, encoding='gbk')}"
        "&encode=GBK"
    )
    status, _, answer = await exchange(sim, raw(sim, "GET", target, JAVA))
    assert status == 200
    assert await recorded(sim, msgid_of(answer)) == text


async def test_java_folder_url_plain_password_no_encode(sim):
    # tomsure/Exchange-V2.0 …/util/sendSMS.java: "http://m.5c.com.cn/api/send/?" + apikey,
    # username, plain password, mobile, URLEncoder.encode(content, "GBK"); no encode (GBK).
    a = sim.account
    text = "您的订单已发货【美联软通】"
    target = (
        f"/api/send/?apikey={a.apikey}&username={a.username}&password={a.password}"
        f"&mobile=13800138000&content={quote_plus(text, encoding='gbk')}"
    )
    status, _, answer = await exchange(sim, raw(sim, "GET", target, JAVA))
    assert status == 200
    assert await recorded(sim, msgid_of(answer)) == text


async def test_json_data_form_gets_the_json_answer(sim):
    # Doc §3.2: format=json&data={"type":"send",…,"content":"<urlencoded>"}, the data field
    # form-encoded in the body; the platform answers {"status":"success","msg":"<msgid>"}.
    a = sim.account
    doc = {
        "type": "send",
        "apikey": a.apikey,
        "username": a.username,
        "password_md5": a.password_md5.upper(),  # the document's own example is upper case
        "encode": "UTF-8",
        "mobile": "18600000001",
        "content": quote(CONTENT, safe=""),
    }
    body = urlencode({"format": "json", "data": json.dumps(doc, separators=(",", ":"))}).encode()
    status, _, answer = await exchange(sim, raw(sim, "POST", "/api/send/", FORM, body))
    assert status == 200
    reply = json.loads(answer)
    assert reply["status"] == "success" and re.fullmatch(r"\d{14}", reply["msg"])
    assert await recorded(sim, reply["msg"]) == CONTENT
    body = urlencode({"format": "json", "data": json.dumps({**doc, "username": ""})}).encode()
    _, _, answer = await exchange(sim, raw(sim, "POST", "/api/send/index.php", FORM, body))
    assert answer == b'{"status":"error","msg":"Missing username"}'


async def test_xml_data_form(sim):
    # Doc §3.3: format=xml&data=<?xml …?><sms><type>send</type>…<content>%e9%aa…</content></sms>.
    a = sim.account
    xml = (
        "<?xml version='1.0' encoding='UTF-8' ?><sms><type>send</type>"
        f"<apikey>{a.apikey}</apikey><username>{a.username}</username>"
        f"<password_md5>{a.password_md5}</password_md5><encode>UTF-8</encode>"
        f"<mobile>13811299999</mobile><content>{quote(CONTENT, safe='').lower()}</content></sms>"
    )
    body = urlencode({"format": "xml", "data": xml}).encode()
    status, _, answer = await exchange(sim, raw(sim, "POST", "/api/send/index.php", FORM, body))
    assert status == 200
    assert await recorded(sim, msgid_of(answer)) == CONTENT


async def test_double_encoded_content_arrives_once_encoded_loses_plus(sim):
    # As §3.1 asks (urlencode the content, then send it as a parameter): encoded twice on the
    # wire, it arrives whole.  Encoded only once, the platform's second decoding takes "+".
    a = sim.account
    auth = f"username={a.username}&password_md5={a.password_md5}&apikey={a.apikey}"
    twice = quote_plus(quote_plus(CONTENT))
    body = f"{auth}&mobile=13800138000&encode=UTF-8&content={twice}".encode()
    _, _, answer = await exchange(sim, raw(sim, "POST", "/api/send/index.php", FORM, body))
    assert await recorded(sim, msgid_of(answer)) == CONTENT
    once = quote_plus("1+1=2 【测试】")
    body = f"{auth}&mobile=13800138000&encode=UTF-8&content={once}".encode()
    _, _, answer = await exchange(sim, raw(sim, "POST", "/api/send/index.php", FORM, body))
    assert await recorded(sim, msgid_of(answer)) == "1 1=2 【测试】"


async def test_query_and_body_merge_as_php_request_body_wins(sim):
    a = sim.account
    target = f"/api/send/index.php?username={a.username}&apikey={a.apikey}&mobile=13900139000"
    body = f"password_md5={a.password_md5}&mobile=13800138000&content=hi%E3%80%90x%E3%80%91"
    _, _, answer = await exchange(
        sim, raw(sim, "POST", target, FORM, (body + "&encode=UTF-8").encode())
    )
    msg = sim.platform.messages[msgid_of(answer)]
    assert msg.mobiles == ("13800138000",) and await recorded(sim, msg.msgid) == "hi【x】"
    # A body fills $_POST only for a POST: a GET's form body is not read.
    _, _, answer = await exchange(sim, raw(sim, "GET", target, FORM, body.encode()))
    assert answer == b"error:Missing password"


@pytest.mark.parametrize("folder", ["query", "recv", "reply", "black"])
async def test_every_endpoint_folder_serves_its_index(sim, folder):
    a = sim.account
    query = f"username={a.username}&password={a.password}&apikey={a.apikey}"
    query += "&mobile=13800000001" if folder == "black" else ""
    status, _, answer = await exchange(sim, raw(sim, "GET", f"/api/{folder}/?{query}", []))
    expected = {
        "query": rb"10000\.000/10000\.000",
        "recv": rb"no record",
        "reply": rb"no record",
        "black": rb"success:Black number;Desc:.*",
    }[folder]
    assert status == 200 and re.fullmatch(expected, answer, re.S), answer
    status, headers, _ = await exchange(sim, raw(sim, "GET", f"/api/{folder}?{query}", []))
    assert status == 301 and headers["location"] == f"/api/{folder}/?{query}"


async def test_plain_password_wrong_and_md5_either_case(sim):
    a = sim.account
    for password, expected in [
        (f"password={a.password}x", rb"error:APIKEY or password error"),
        (f"password_md5={a.password_md5.upper()}", rb"10000\.000/10000\.000"),
        (f"password_md5={a.password_md5}&password=wrong", rb"10000\.000/10000\.000"),
        ("", rb"error:Missing password"),
    ]:
        query = f"username={a.username}&apikey={a.apikey}&{password}"
        _, _, answer = await exchange(sim, raw(sim, "GET", f"/api/query/index.php?{query}", []))
        assert re.fullmatch(expected, answer), (password, answer)


def soap_call(sim, namespace: str, args: list[tuple[str, str]], op: str = "sendsms") -> bytes:
    """A sendsms call as PHP's SoapClient (rpc/encoded, from the WSDL) writes it."""
    params = "".join(f'<{k} xsi:type="xsd:string">{v}</{k}>' for k, v in args)
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:ns1="{namespace}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" '
        'SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
        f"<SOAP-ENV:Body><ns1:{op}>{params}</ns1:{op}></SOAP-ENV:Body>"
        "</SOAP-ENV:Envelope>\n"
    ).encode()
    headers = [
        "Connection: Keep-Alive",
        "User-Agent: PHP-SOAP/7.4.33",
        "Content-Type: text/xml; charset=utf-8",
        f'SOAPAction: "{namespace}#{op}"',
    ]
    return raw(sim, "POST", "/api/send/sms_webservice.php", headers, body)


async def test_soap_as_php_soapclient_sends_it(sim):
    # Doc §3.4: $soapClient = new SoapClient($url); $soapClient->sendsms($apikey, $username,
    # $password, $mobile, $content): the WSDL first, then one envelope to its soap:address.
    status, _, wsdl = await exchange(
        sim, raw(sim, "GET", "/api/send/sms_webservice.php?wsdl", ["User-Agent: PHP-SOAP/7.4.33"])
    )
    assert status == 200
    location = re.search(rb'<soap:address location="([^"]+)"', wsdl)[1].decode()
    assert location == f"http://{sim.host}:{sim.port}/api/send/sms_webservice.php"
    namespace = re.search(rb'targetNamespace="([^"]+)"', wsdl)[1].decode()
    assert (
        b'<operation name="sendsms" parameterOrder="apikey username password mobile content">'
        in wsdl
    )
    a = sim.account
    args = [
        ("apikey", a.apikey),
        ("username", a.username),
        ("password", a.password),
        ("mobile", "13800138000,13900139000"),
        ("content", "验证码1234 a+b &amp; 100%【测试】"),
    ]
    status, headers, answer = await exchange(sim, soap_call(sim, namespace, args))
    assert status == 200 and headers["content-type"].startswith("text/xml")
    result = re.search(rb'<return xsi:type="xsd:string">([^<]*)</return>', answer)[1]
    msgid = msgid_of(result)
    assert await recorded(sim, msgid) == "验证码1234 a+b & 100%【测试】"
    assert sim.platform.messages[msgid].mobiles == ("13800138000", "13900139000")
    args[2] = ("password", "wrong")
    _, _, answer = await exchange(sim, soap_call(sim, namespace, args))
    assert b'<return xsi:type="xsd:string">error:APIKEY or password error</return>' in answer


async def test_soap_refuses_what_is_not_a_call(sim):
    before = len(sim.platform.messages)
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
        b"<Envelope><Body><sendsms><content>&a;</content></sendsms></Body></Envelope>"
    )
    for body in (b"not xml", bomb, b"<a/>"):
        status, _, answer = await exchange(
            sim,
            raw(sim, "POST", "/api/send/sms_webservice.php", ["Content-Type: text/xml"], body),
        )
        assert status == 500 and b"<faultstring>Bad Request" in answer, answer
    status, _, answer = await exchange(sim, soap_call(sim, "urn:x", [("x", "1")], "getBalance"))
    assert status == 500 and b"Procedure 'getBalance' not present" in answer
    assert len(sim.platform.messages) == before


async def test_string_push_decodes_as_the_document_tells_receivers():
    # Doc §9.1: a receiver takes the data parameter, splits on ";" and ",", and URL-decodes
    # the content (UTF-8): PHP's $_POST["data"], then urldecode() of the content field.
    received: list[str] = []

    async def receiver(request: web.Request) -> web.Response:
        received.append((await request.post())["data"])
        return web.Response(text="success")

    app = web.Application()
    app.router.add_post("/reply.php", receiver)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    scenario = load("quiet")
    scenario.push_replies = True
    try:
        async with Simulator(scenario, seed=1) as sim:
            port = site._server.sockets[0].getsockname()[1]
            sim.server.push_urls["reply"] = f"http://127.0.0.1:{port}/reply.php"
            sim.platform.add_reply("13800138000", "好的, 谢谢;+1 100%", ext="2554")
            for _ in range(50):
                if received:
                    break
                await asyncio.sleep(0.1)
    finally:
        await runner.cleanup()
    (data,) = received
    ext, reply_id, mobile, content, at = data.split(",")
    assert (ext, mobile) == ("2554", "13800138000") and reply_id.isdigit() and at.isdigit()
    assert ";" not in data and unquote_plus(content) == "好的, 谢谢;+1 100%"
