"""The simulator's own reading and writing of the wire formats.

Deliberately independent of :mod:`fivec_tui.api`: the client's parsers are tested against
what this module writes, and this module against the API document's literal examples.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qsl, quote
from xml.etree import ElementTree

from .state import SimError

BEIJING_OFFSET = 8 * 3600


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


def form_fields(query: str, body: bytes) -> dict[str, bytes]:
    """Query string and form body as raw bytes per field (the body wins)."""
    fields: dict[str, bytes] = {}
    for source in (query, body.decode("latin-1")):
        for key, value in parse_qsl(source, keep_blank_values=True, encoding="latin-1"):
            fields[key] = value.encode("latin-1")
    return fields


def text(raw: bytes, cs: str) -> str:
    """Bytes in the declared charset; a wrong charset gives garbage, as on the real server."""
    return raw.decode(cs, errors="replace")


_PCT = re.compile(rb"%([0-9A-Fa-f]{2})")


def unquote_in(value: str, cs: str) -> str:
    """Percent-decoded text in ``cs`` (content inside JSON/XML ``data``); stray ``%`` kept."""
    raw = value.replace("+", " ").encode("utf-8")
    return _PCT.sub(lambda m: bytes([int(m[1], 16)]), raw).decode(cs, errors="replace")


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
    """A push ``data`` payload of reports or replies in string, JSON or XML form."""
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
    return ";".join(",".join(row.values()) for row in rows)
