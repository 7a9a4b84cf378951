"""The WebService (SOAP) send of doc §3.4: one envelope out, one string back.

Built by hand rather than with zeep: zeep would bring lxml, requests, requests-toolbelt,
isodate and more into every install for one operation with five string parameters.  The
envelope is the one PHP's ``SoapClient`` sends for §3.4's example
(``$soapClient->sendsms($apikey, $username, $password, $mobile, $content)``, rpc/encoded);
the platform's ``SoapServer`` dispatches on the operation's name.  ``password`` is the plain
password, content plain UTF-8 text (XML carries it: nothing is URL-encoded).  The answer's
``return`` string is the HTTP send's ``success:<msgid>``/``error:...``.  Answers are read with
defusedxml (no DTDs, no entities).  Only the main node serves it (doc §2.2).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from .account import NODES
from .errors import ContentEncodingError, ParseError

PATH = "/api/send/sms_webservice.php"
SERVICE_NS = "urn:sms_webservice"
PARAMS = ("apikey", "username", "password", "mobile", "content")
HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SERVICE_NS}#sendsms"'}
#: Characters XML 1.0 cannot carry at all, even as references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def check_node(base_url: str) -> None:
    """ValueError when ``base_url`` is a node without the WebService: bj, hk, us, euro."""
    host = urlsplit(base_url).hostname or ""
    for name, node in NODES.items():
        if name != "main" and host == node:
            raise ValueError(f"the {name} node ({node}) has no WebService interface (doc §2.2)")


def _text(name: str, value: str) -> str:
    bad = _NOT_XML.search(value)
    if bad:
        raise ContentEncodingError(
            f"{name} cannot be sent over SOAP: U+{ord(bad[0]):04X} at position {bad.start()} "
            "is not allowed in XML"
        )
    return escape(value, {"\r": "&#13;"})  # a bare CR would reach the server as LF


def envelope(apikey: str, username: str, password: str, mobile: str, content: str) -> bytes:
    """A ``sendsms`` call as PHP's SoapClient writes it."""
    values = (apikey, username, password, mobile, content)
    args = "".join(
        f'<{name} xsi:type="xsd:string">{_text(name, value)}</{name}>'
        for name, value in zip(PARAMS, values, strict=True)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:ns1="{SERVICE_NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" '
        'SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
        f"<SOAP-ENV:Body><ns1:sendsms>{args}</ns1:sendsms></SOAP-ENV:Body></SOAP-ENV:Envelope>\n"
    ).encode()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_response(body: bytes) -> str:
    """The ``return`` string of a ``sendsms`` answer; ParseError (raw kept) for anything else."""
    raw = body.decode("utf-8", errors="replace")
    try:
        root = SafeET.fromstring(body)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise ParseError(f"not a SOAP answer: {type(exc).__name__}: {exc}", raw) from None
    soap_body = next((c for c in root if _local(c.tag) == "Body"), None)
    answer = next(iter(soap_body), None) if soap_body is not None else None
    if _local(root.tag) != "Envelope" or answer is None:
        raise ParseError(f"not a SOAP answer: {raw[:200]!r}", raw)
    if _local(answer.tag) == "Fault":
        fault = {_local(c.tag): "".join(c.itertext()) for c in answer}
        raise ParseError(f"SOAP fault: {fault.get('faultstring', '')[:200]}", raw)
    value = next(iter(answer), None)
    if value is None:
        raise ParseError(f"a SOAP answer without a return value: {raw[:200]!r}", raw)
    return "".join(value.itertext())
