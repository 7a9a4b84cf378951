"""The simulator's own reading and writing of the wire formats.

Deliberately independent of :mod:`fivec_tui.api`: the client's parsers are tested against
what this module writes, and this module against the API document's literal examples.
"""

from __future__ import annotations

import json
import re
import time
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl, quote, quote_plus
from xml.etree import ElementTree

from .state import SimError

BEIJING_OFFSET = 8 * 3600


def field(fields: dict[str, bytes], key: str) -> str:
    """A request field as text (UTF-8, what is not replaced), trimmed; "" when absent."""
    return fields.get(key, b"").decode("utf-8", errors="replace").strip()


def beijing(ts: float) -> str:
    """Unix seconds as the platform writes times: Beijing wall-clock, no offset."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts + BEIJING_OFFSET))


def charset(encode: str | None) -> str:
    """Python codec for an ``encode`` value; GBK when absent, SimError when unknown."""
    if encode is None or encode == "":
        return "gbk"
    value = encode.strip().lower()
    if value in ("utf-8", "utf8"):
        return "utf-8"
    if value in ("gbk", "gb2312"):
        return "gbk"
    raise SimError("Unrecognized encoding")


def form_fields(query: str, content_type: str, body: bytes) -> dict[str, bytes]:
    """The request's parameters as PHP's ``$_REQUEST`` holds them: raw bytes per field.

    The query string first, then a POST body over it (``request_order = "GP"``: POST wins).
    The body counts only when it is a form (``application/x-www-form-urlencoded``) or
    ``multipart/form-data``, as for PHP; file parts go to ``$_FILES`` and are left out.
    """
    fields = _urlencoded(query.encode("utf-8", errors="surrogateescape"))
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        fields.update(_urlencoded(body))
    elif kind == "multipart/form-data":
        fields.update(_multipart(content_type, body))
    return fields


def _urlencoded(data: bytes) -> dict[str, bytes]:
    text = data.decode("latin-1")
    return {
        key: value.encode("latin-1")
        for key, value in parse_qsl(text, keep_blank_values=True, encoding="latin-1")
    }


def _multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", errors="replace")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: dict[str, bytes] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or part.get_filename() is not None:
            continue
        payload = part.get_payload(decode=True)
        fields[name] = payload if isinstance(payload, bytes) else b""
    return fields


_PCT = re.compile(rb"%([0-9A-Fa-f]{2})")


def urldecode(raw: bytes) -> bytes:
    """PHP's ``urldecode``: ``+`` is a space, ``%xx`` a byte, a stray ``%`` stays."""
    return _PCT.sub(lambda m: bytes([int(m[1], 16)]), raw.replace(b"+", b" "))


def content_text(raw: bytes, cs: str) -> str:
    """A form's ``content`` after the form's own decoding: URL-decoded once more, in ``cs``.

    A wrong charset gives garbage, as on the real server.
    """
    return urldecode(raw).decode(cs, errors="replace")


def unquote_in(value: str, cs: str) -> str:
    """Percent-decoded text in ``cs`` (content inside JSON/XML ``data``); stray ``%`` kept."""
    return urldecode(value.encode("utf-8")).decode(cs, errors="replace")


def numbers(mobiles: str) -> list[str]:
    """Recipients as the platform splits them: ``,`` or ``;``."""
    return [m.strip() for m in mobiles.replace(";", ",").split(",") if m.strip()]


def parse_data(fmt: str, data: bytes) -> dict[str, str]:
    """A ``format=json|xml`` ``data`` document as flat fields (content still encoded)."""
    raw = data.decode("utf-8", errors="replace")
    if fmt == "json":
        try:
            doc = json.loads(raw)
        except ValueError:
            raise SimError("Missing username") from None
        if not isinstance(doc, dict):
            raise SimError("Missing username")
        return {str(k): "" if v is None else str(v) for k, v in doc.items()}
    try:
        root = ElementTree.fromstring(raw.encode("utf-8"))
    except (ElementTree.ParseError, ValueError):
        raise SimError("Missing username") from None
    return {child.tag: (child.text or "").strip() for child in root}


def parse_batch(data: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    raw = data.decode("utf-8", errors="replace")
    try:
        root = ElementTree.fromstring(raw.encode("utf-8"))
    except (ElementTree.ParseError, ValueError):
        raise SimError("Missing username") from None
    account = root.find("account")
    fields = {c.tag: (c.text or "").strip() for c in (account if account is not None else [])}
    items = [{c.tag: (c.text or "").strip() for c in item} for item in root.iter("item")]
    return fields, items


def pct(value: str, cs: str) -> str:
    return quote(value.encode(cs, errors="replace"), safe="")


def report_line(report: tuple[str, str, str, str, float], with_ext: bool) -> str:
    ext, msgid, mobile, status, at = report
    line = f"{msgid},{mobile},{status},{beijing(at)}"
    return f"{ext},{line}" if with_ext else line


def reports_body(reports: list, with_ext: bool) -> str:
    if not reports:
        return "no record"
    return "".join(report_line(r, with_ext) + ";" for r in reports)


def replies_body(replies: list, cs: str) -> str:
    if not replies:
        return "no record"
    return "|||".join(
        f"{r.ext},{r.reply_id},{r.mobile},"
        f"{r.wire if r.wire is not None else pct(r.content, cs)},{beijing(r.at)}"
        for r in replies
    )


def records_body(messages: list, cs: str) -> str:
    if not messages:
        return "no record"
    return "".join(
        f"{m.username},{m.msgid},{'|'.join(m.mobiles)},{pct(m.content, cs)},{int(m.sent_at)};"
        for m in messages
    )


def push_payload(kind: str, fmt: str, items: list) -> str:
    """A push ``data`` payload of reports or replies in string, JSON or XML form.

    In the string form a reply's content is URL-encoded in UTF-8 inside its field (doc §9.1:
    ``,`` and ``;`` separate the fields); JSON and XML carry it plain.  The caller then
    form-encodes the whole payload as the ``data`` field of the POST body.
    """
    if kind == "report":
        rows = [
            {"msgid": r[1], "mobile": r[2], "status": r[3], "receivetime": str(int(r[4]))}
            for r in items
        ]
    else:
        rows = [
            {
                "ext": r.ext,
                "replyid": r.reply_id,
                "mobile": r.mobile,
                "content": r.content,
                "receivetime": str(int(r.at)),
            }
            for r in items
        ]
    if fmt == "json":
        return json.dumps({"results": rows}, ensure_ascii=False)
    if fmt == "xml":
        root = ElementTree.Element("results")
        for row in rows:
            item = ElementTree.SubElement(root, "item")
            for key, value in row.items():
                ElementTree.SubElement(item, key).text = value
        return '<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(root, "unicode")
    if kind == "reply":
        rows = [{**row, "content": quote_plus(row["content"].encode("utf-8"))} for row in rows]
    return ";".join(",".join(row.values()) for row in rows)
