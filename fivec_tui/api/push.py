"""Parsers for what the platform pushes: the form around it, then reports and replies in
string, JSON or XML form.

The platform POSTs ``data=<payload>`` (§7.1, §9.1).  :func:`push_data` takes the ``data``
field out of the request body as it came (urlencoded or multipart, or the query string) and
:func:`parse_push` reads the payload.  Push bodies are unsigned and come from the network:
a multipart form is split without recursion and refused past :data:`MAX_PARTS` parts, XML
goes through defusedxml (no entities, no DTDs), and every item that cannot be read is kept
as :class:`Unparsed`.

Bytes that are not valid in their charset are never replaced: they travel as lone
surrogates (``surrogateescape``), the items they are in are flagged (a reply's content is
a guess with ``content_clean`` False; any other field makes the item unparsed), and raw text
shows them as ``\\xNN`` (:func:`.wire.readable`).  The receiver journals the body's bytes, so the
original is never lost.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import email.message
import email.parser
import email.utils
import json
import quopri
import re
from typing import Literal
from urllib.parse import unquote_to_bytes
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from .errors import ParseError
from .models import PushBatch, Reply, Report, Unparsed
from .wire import BROKEN, clean_body, guess, parse_time, percent_decode, readable

Kind = Literal["report", "reply"]
REPORT_FIELDS = ("msgid", "mobile", "status", "receivetime")
REPLY_FIELDS = ("ext", "replyid", "mobile", "content", "receivetime")
MAX_PARTS = 1000  # a push is one field; a form of more parts is not the platform's
FORM = "application/x-www-form-urlencoded"


class FormError(ValueError):
    """A push body whose ``data`` cannot be read; ``status`` is the answer (400 or 413)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def push_data(body: bytes, content_type: str, query: str = "") -> str:
    """The ``data`` field of a pushed form (urlencoded by default, or multipart), else of
    the query string (the document's examples put it there), decoded once.

    Raises :class:`FormError` for a form that cannot be read, one of more than
    :data:`MAX_PARTS` parts (413), and a missing or blank ``data``.

    >>> push_data(b"data=1%2C2&x=3", ""), push_data(b"", "", "data=%ff")
    ('1,2', '\\udcff')
    """
    header = email.message.Message()
    header["content-type"] = content_type or FORM
    if header.get_content_type() == "multipart/form-data":
        value, charset = _multipart_field(body, header.get_param("boundary"))
    else:
        value, charset = _urlencoded_field(body), header.get_content_charset() or "utf-8"
    if value is None:  # the query string is ASCII: the platform's encoding, UTF-8
        value, charset = _urlencoded_field(query.encode("latin-1", "replace")), "utf-8"
    try:
        text = (value or b"").decode(charset, "surrogateescape")
    except (LookupError, UnicodeError):  # no such charset, or not one for text
        raise FormError(400, "data is not text in its charset") from None
    if not text.strip():
        raise FormError(400, "missing data")
    return text


def _urlencoded_field(form: bytes) -> bytes | None:
    """The last ``data`` field of an urlencoded form, percent-decoded, as bytes; a form of
    more than :data:`MAX_PARTS` fields is refused as a multipart one is (413)."""
    if form.count(b"&") >= MAX_PARTS:
        raise FormError(413, f"more than {MAX_PARTS} parts")
    found = None
    for pair in form.split(b"&"):
        key, _, value = pair.partition(b"=")
        if (key == b"data" or b"%" in key) and unquote_to_bytes(key) == b"data":
            found = unquote_to_bytes(value.replace(b"+", b" "))
    return found


def _multipart_field(body: bytes, boundary) -> tuple[bytes | None, str]:
    """The first ``data`` part of a multipart form and its charset.  Parts are found by one
    regular expression, counted up to :data:`MAX_PARTS` before any is parsed, and never
    descended into."""
    if not isinstance(boundary, str) or not boundary or not boundary.isascii():
        raise FormError(400, "multipart without a boundary")
    delimiter = re.compile(
        rb"(?:^|\r\n)--" + re.escape(boundary.encode()) + rb"(--)?[ \t]*(?:\r\n|\Z)"
    )
    bounds: list[re.Match] = []
    for match in delimiter.finditer(body):
        bounds.append(match)
        if len(bounds) > MAX_PARTS + 1:
            raise FormError(413, f"more than {MAX_PARTS} parts")
        if match.group(1):  # the close delimiter
            break
    for start, end in zip(bounds, [*bounds[1:], None], strict=False):  # none: no parts
        if start.group(1):
            break
        found = _data_part(body[start.end() : end.start() if end else None])
        if found is not None:
            return found
    return None, "utf-8"


def _data_part(part: bytes) -> tuple[bytes, str] | None:
    """A part's content and charset when it is the ``data`` field."""
    if part.startswith(b"\r\n"):  # no headers
        return None
    head, _, content = part.partition(b"\r\n\r\n")
    headers = email.parser.BytesHeaderParser().parsebytes(head + b"\r\n\r\n")
    name = headers.get_param("name", header="content-disposition")
    if name is None or email.utils.collapse_rfc2231_value(name) != "data":
        return None
    if headers.get_content_maintype() == "multipart":
        raise FormError(400, "nested multipart")
    encoding = headers.get("content-transfer-encoding", "").strip().lower()
    try:
        if encoding == "base64":
            content = base64.b64decode(content)
        elif encoding == "quoted-printable":
            content = quopri.decodestring(content)
    except (binascii.Error, ValueError):
        raise FormError(400, "bad transfer encoding") from None
    return content, headers.get_content_charset() or "utf-8"


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
    names = REPORT_FIELDS if kind == "report" else REPLY_FIELDS
    broken = [name for name in names if BROKEN.search(fields.get(name) or "")]
    if broken and broken != ["content"]:
        return Unparsed(raw, f"{', '.join(broken)}: bytes not valid in the form's charset")
    if broken:  # a reply's content: read as best we can, flagged, the raw item beside it
        fields, clean = {**fields, "content": guess(fields["content"])}, False
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
    are: ``+`` is a space, a stray ``%`` stays literal (``100%``) and, like broken escapes or
    bytes that were not UTF-8 in the form itself, clears ``clean`` so the raw item is kept
    beside a guess.

    >>> reply_content("%e5%a5%bd"), reply_content(" 好+1 "), reply_content("100%")
    (('好', True), ('好+1', True), ('100%', False))
    """
    text = field.strip()
    broken = BROKEN.search(text) is not None
    if not text.isascii() and not _ESCAPE.search(text):
        return (guess(text), False) if broken else (text, True)
    content, clean = percent_decode(text, "UTF-8")
    return content, clean and not broken


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
        root = SafeET.fromstring(text.encode("utf-8", "surrogateescape"))  # expat refuses
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
        return PushBatch(fmt, [Unparsed(readable(text), f"nested deeper than {MAX_DEPTH} levels")])
    parser = {"string": _from_string, "json": _from_json, "xml": _from_xml}[fmt]
    items = parser(kind, text) if text else []
    return PushBatch(fmt, [_storable(item) for item in items])


def _storable(item):
    """``item`` with its raw text :func:`readable` (SQLite takes no lone surrogates)."""
    return dataclasses.replace(item, raw=readable(item.raw)) if BROKEN.search(item.raw) else item


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
