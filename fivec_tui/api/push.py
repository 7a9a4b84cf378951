"""Parsers for what the platform pushes: reports and replies in string, JSON or XML form.

The platform POSTs ``data=<payload>``; these take the payload after the form layer has
URL-decoded it once.  Push bodies are unsigned and come from the network, so XML goes
through defusedxml (no entities, no DTDs) and every item that cannot be read is kept as
:class:`Unparsed`.
"""

from __future__ import annotations

import json
import re
from typing import Literal
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from .errors import ParseError
from .models import PushBatch, Reply, Report, Unparsed
from .wire import clean_body, parse_time, percent_decode

Kind = Literal["report", "reply"]
REPORT_FIELDS = ("msgid", "mobile", "status", "receivetime")
REPLY_FIELDS = ("ext", "replyid", "mobile", "content", "receivetime")


def detect_format(payload: str) -> Literal["string", "json", "xml"]:
    text = clean_body(payload)
    if text.startswith("{") or text.startswith("["):
        return "json"
    if text.startswith("<"):
        return "xml"
    return "string"


def _build(
    kind: Kind, fields: dict[str, str], raw: str, clean: bool = True
) -> Report | Reply | Unparsed:
    when = (fields.get("receivetime") or "").strip()
    try:
        at = parse_time(when) if when else None
    except ParseError as exc:
        return Unparsed(raw, str(exc))
    mobile = (fields.get("mobile") or "").strip()
    if kind == "report":
        msgid = (fields.get("msgid") or "").strip()
        status = (fields.get("status") or "").strip().upper()
        if not msgid or not status:
            return Unparsed(raw, "report without msgid or status")
        return Report(msgid, mobile, status, at, "", raw)
    if not mobile:
        return Unparsed(raw, "reply without mobile")
    return Reply(
        mobile,
        fields.get("content") or "",
        at,
        (fields.get("ext") or "").strip(),
        (fields.get("replyid") or "").strip(),
        raw,
        clean,
    )


_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def reply_content(field: str) -> tuple[str, bool]:
    """The content field of a string-form reply push as text, and whether it read cleanly.

    What is left after the form's own decoding differs: the document's example (§9.1) URL-encodes
    the whole ``data`` once, so the field is the text itself (`` 好 ``); a platform that encodes
    the field inside the string (it must, for ``,`` and ``;``) leaves it encoded once more
    (``%e5%a5%bd``).  A field with characters no encoder leaves (non-ASCII) and no escape is the
    text as it stands, ``+`` included; any other is decoded in UTF-8 exactly as pulled replies
    are: ``+`` is a space, a stray ``%`` stays literal (``100%``) and, like broken escapes,
    clears ``clean`` so the raw item is kept beside a guess.

    >>> reply_content("%e5%a5%bd"), reply_content(" 好+1 "), reply_content("100%")
    (('好', True), ('好+1', True), ('100%', False))
    """
    text = field.strip()
    if not text.isascii() and not _ESCAPE.search(text):
        return text, True
    return percent_decode(text, "UTF-8")


def _from_string(kind: Kind, text: str) -> list:
    names = REPORT_FIELDS if kind == "report" else REPLY_FIELDS
    out: list = []
    for item in (i for i in text.split(";") if i.strip()):
        parts = item.split(",")
        exact = len(parts) == len(names)
        if len(parts) < len(names):
            out.append(Unparsed(item, f"expected {len(names)} fields, got {len(parts)}"))
            continue
        if kind == "reply" and not exact:  # commas inside the content
            parts = [*parts[:3], ",".join(parts[3:-1]), parts[-1]]
        elif not exact:
            out.append(Unparsed(item, f"expected {len(names)} fields, got {len(parts)}"))
            continue
        fields = dict(zip(names, parts, strict=True))
        if kind == "reply":  # unencoded commas in the content make the split a guess
            fields["content"], clean = reply_content(fields["content"])
            out.append(_build(kind, fields, item, clean and exact))
        else:
            out.append(_build(kind, fields, item))
    return out


def _from_json(kind: Kind, text: str) -> list:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        return [Unparsed(text, f"invalid JSON: {exc}")]
    items = doc.get("results") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        return [Unparsed(text, "JSON without a results list")]
    out: list = []
    for item in items:
        raw = json.dumps(item, ensure_ascii=False)
        if not isinstance(item, dict):
            out.append(Unparsed(raw, "results item is not an object"))
            continue
        fields = {str(k).lower(): "" if v is None else str(v) for k, v in item.items()}
        out.append(_build(kind, fields, raw))
    return out


def _text_of(element: Element) -> str:
    return "".join(element.itertext())


def _from_xml(kind: Kind, text: str) -> list:
    try:
        root = SafeET.fromstring(text.encode("utf-8"))
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        return [Unparsed(text, f"rejected XML: {type(exc).__name__}: {exc}")]
    out: list = []
    for item in root.iter("item"):
        fields = {child.tag.lower(): _text_of(child) for child in item}
        fields = {k: (v if k == "content" else v.strip()) for k, v in fields.items()}
        raw = SafeET.tostring(item, encoding="unicode")
        out.append(_build(kind, fields, raw))
    return out


def parse_push(kind: Kind, payload: str) -> PushBatch:
    """Parse one pushed ``data`` payload of reports or replies, whatever its format."""
    text = clean_body(payload)
    fmt = detect_format(text)
    if nesting_depth(text) > MAX_DEPTH:  # the parsers recurse: refuse before they do
        return PushBatch(fmt, [Unparsed(text, f"nested deeper than {MAX_DEPTH} levels")])
    parser = {"string": _from_string, "json": _from_json, "xml": _from_xml}[fmt]
    return PushBatch(fmt, parser(kind, text) if text else [])


MAX_DEPTH = 64  # real pushes nest 3 deep; json.loads raises RecursionError near 1,000
# Every token runs to the end of the text when its terminator is missing (as it does for the
# parsers, which then reject the document): no input makes the scan try one start twice.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]++|\\.?)*+(?:"|\Z)|[\[\]{}]', re.S)
_XML_TOKENS = re.compile(
    r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<\?.*?(?:\?>|\Z)|<![^>]*+(?:>|\Z)"
    r"""|</[^>]*+(?:>|\Z)|<(?:[^>"']++|"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z))*+(?:>|\Z)""",
    re.S,
)


def nesting_depth(payload: str, limit: int = MAX_DEPTH) -> int:
    """How deep a JSON or XML payload nests, counted up to ``limit + 1``; 0 for the string form.

    A scan without recursion, safe on any input, to run before the parsers (``json.loads`` and
    ElementTree's serializer recurse per level).  JSON strings and XML comments, CDATA and
    quoted attributes are skipped.  Linear in the length of the text, whatever it holds.

    >>> nesting_depth('{"results": [{"msgid": "[[["}]}'), nesting_depth("<a><b/><c>x</c></a>")
    (3, 2)
    """
    text = clean_body(payload)
    fmt = detect_format(text)
    if fmt == "string":
        return 0
    depth = deepest = 0
    for match in (_JSON_TOKENS if fmt == "json" else _XML_TOKENS).finditer(text):
        token = match.group()
        if token in ("[", "{") or (
            fmt == "xml" and token[1:2] not in ("!", "?", "/") and not token.endswith("/>")
        ):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        elif token in ("]", "}") or token.startswith("</"):
            depth -= 1
    return deepest
