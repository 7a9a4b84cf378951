"""The WebService (SOAP) send of doc §3.4: ``/api/send/sms_webservice.php``, stdlib only.

``?wsdl`` describes one rpc/encoded operation, ``sendsms(apikey, username, password, mobile,
content)`` returning a string, at the URL the simulator really listens on; PHP's
``SoapClient($url)`` reads it and posts envelopes such as::

    <SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" ...>
      <SOAP-ENV:Body><ns1:sendsms>
        <apikey xsi:type="xsd:string">...</apikey> ... <content ...>验证码1234</content>
      </ns1:sendsms></SOAP-ENV:Body></SOAP-ENV:Envelope>

``password`` is the plain password (§3.4's example), content is plain text (the XML carries
it; nothing is URL-decoded), and the answer's ``return`` is the HTTP send's
``success:<msgid>`` or ``error:...``.  A request that is not such a call gets a SOAP Fault
with HTTP 500, as PHP's ``SoapServer`` answers.  Incoming XML is read with defusedxml: no
DTDs, no entities.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from . import wire
from .state import SimError

if TYPE_CHECKING:
    from .server import SimServer

PATH = "/api/send/sms_webservice.php"
ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "urn:sms_webservice"
PARAMS = ("apikey", "username", "password", "mobile", "content")
OPERATION = "sendsms"
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


class SoapFault(Exception):
    """A request that is not a call of the service: answered with a SOAP Fault."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def wsdl(location: str) -> str:
    """The service description, with ``location`` as its ``soap:address``."""
    parts = "".join(f'<part name="{p}" type="xsd:string"/>' for p in PARAMS)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"
  xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
  xmlns:xsd="http://www.w3.org/2001/XMLSchema"
  xmlns:tns="{SERVICE_NS}" name="sms_webservice" targetNamespace="{SERVICE_NS}">
  <message name="sendsmsRequest">{parts}</message>
  <message name="sendsmsResponse"><part name="return" type="xsd:string"/></message>
  <portType name="sms_webservicePortType">
    <operation name="{OPERATION}" parameterOrder="{" ".join(PARAMS)}">
      <input message="tns:sendsmsRequest"/>
      <output message="tns:sendsmsResponse"/>
    </operation>
  </portType>
  <binding name="sms_webserviceBinding" type="tns:sms_webservicePortType">
    <soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="{OPERATION}">
      <soap:operation soapAction="{SERVICE_NS}#{OPERATION}" style="rpc"/>
      <input><soap:body use="encoded" namespace="{SERVICE_NS}"
        encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"/></input>
      <output><soap:body use="encoded" namespace="{SERVICE_NS}"
        encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"/></output>
    </operation>
  </binding>
  <service name="sms_webservice">
    <port name="sms_webservicePort" binding="tns:sms_webserviceBinding">
      <soap:address location={quoteattr(location)}/>
    </port>
  </service>
</definitions>
"""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_call(body: bytes) -> dict[str, str]:
    """The parameters of a ``sendsms`` call, by name (or by position when unnamed)."""
    try:
        root = SafeET.fromstring(body)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise SoapFault("SOAP-ENV:Client", f"Bad Request: {type(exc).__name__}") from None
    if _local(root.tag) != "Envelope":
        raise SoapFault("SOAP-ENV:Client", "Bad Request: not a SOAP envelope")
    body_el = next((c for c in root if _local(c.tag) == "Body"), None)
    call: Element | None = next(iter(body_el), None) if body_el is not None else None
    if call is None:
        raise SoapFault("SOAP-ENV:Client", "Bad Request: empty SOAP body")
    if _local(call.tag) != OPERATION:
        raise SoapFault("SOAP-ENV:Server", f"Procedure '{_local(call.tag)}' not present")
    args = list(call)
    named = {_local(a.tag): "".join(a.itertext()) for a in args}
    if set(PARAMS) <= set(named):
        return {p: named[p] for p in PARAMS}
    # Clients without the WSDL name the parameters param0, param1, ...: take them in order.
    values = ["".join(a.itertext()) for a in args] + [""] * len(PARAMS)
    return dict(zip(PARAMS, values, strict=False))


def _envelope(inner: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{ENV_NS}" xmlns:ns1="{SERVICE_NS}" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" '
        'SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
        f"<SOAP-ENV:Body>{inner}</SOAP-ENV:Body></SOAP-ENV:Envelope>\n"
    ).encode()


def response(result: str) -> bytes:
    """The answer to a call: ``result`` (``success:...``/``error:...``) as its return."""
    return _envelope(
        f'<ns1:{OPERATION}Response><return xsi:type="xsd:string">{escape(result)}</return>'
        f"</ns1:{OPERATION}Response>"
    )


def fault(exc: SoapFault) -> bytes:
    return _envelope(
        f"<SOAP-ENV:Fault><faultcode>{escape(exc.code)}</faultcode>"
        f"<faultstring>{escape(str(exc))}</faultstring></SOAP-ENV:Fault>"
    )


async def serve(server: SimServer, request: web.Request) -> web.Response:
    """The endpoint: the WSDL on ``?wsdl``, the HTTP send's results for a ``sendsms`` call."""
    server.requests["webservice"] = server.requests.get("webservice", 0) + 1
    if request.method == "GET" and "wsdl" in {k.lower() for k in request.query}:
        return _xml(wsdl(own_url(request)).encode())
    try:
        if request.method != "POST":
            raise SoapFault("SOAP-ENV:Client", "Bad Request")
        args = parse_call(await request.read())
    except SoapFault as exc:
        return _xml(fault(exc), status=500)
    try:
        account = server.authenticate(request, args, args["password"].encode("utf-8"))
        msg = server.platform.submit(account, wire.numbers(args["mobile"]), args["content"])
        result = f"success:{msg.msgid}"
    except SimError as exc:
        result = f"error:{exc}"
    server.log.append({"endpoint": "webservice", "body": result[:200]})
    del server.log[:-1000]
    return _xml(response(result))


def own_url(request: web.Request) -> str:
    """The service URL as the client reached it: the Host header, else the bound socket."""
    host = request.headers.get("Host", "")
    if not _HOST.fullmatch(host):
        sock = request.transport.get_extra_info("sockname") if request.transport else None
        if sock:
            host = f"[{sock[0]}]:{sock[1]}" if ":" in sock[0] else f"{sock[0]}:{sock[1]}"
        else:
            host = "127.0.0.1"
    return f"{request.scheme}://{host}{PATH}"


def _xml(body: bytes, status: int = 200) -> web.Response:
    return web.Response(status=status, body=body, content_type="text/xml", charset="utf-8")
