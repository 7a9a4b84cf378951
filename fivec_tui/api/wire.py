"""Wire-level helpers: the ``encode`` parameter, percent-encoding and platform times.

The platform percent-encodes content in the request's encoding (GBK when ``encode`` is
absent) and writes times as Beijing wall-clock time without an offset.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from urllib.parse import quote_plus, unquote_to_bytes

from ..i18n import _
from .errors import ContentEncodingError, ParseError

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "gbk": "gbk", "gb2312": "gbk", "gb18030": "gbk"}


def normalize_encode(name: str | None) -> str:
    """``'UTF-8'``/``'utf8'``/``'GBK'``... to the platform's spelling (``UTF-8`` or ``GBK``).

    >>> normalize_encode("utf8")
    'UTF-8'
    """
    if name is None or not name.strip():
        return "GBK"
    key = _ENCODINGS.get(name.strip().lower())
    if key is None:
        raise ContentEncodingError(f"unsupported encode {name!r}: use UTF-8 or GBK")
    return "UTF-8" if key == "utf-8" else "GBK"


def codec(encode: str | None) -> str:
    """The Python codec for a platform ``encode`` value."""
    return "utf-8" if normalize_encode(encode) == "UTF-8" else "gbk"


def check_representable(text: str, encode: str) -> bytes:
    """Encode ``text`` or raise a clear error naming the first character that cannot be sent."""
    try:
        return text.encode(codec(encode))
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        raise ContentEncodingError(
            _(
                "content cannot be sent as {encode}: {char!r} (U+{code:04X}) at position "
                "{position}; use encode UTF-8 or remove it"
            ).format(
                encode=normalize_encode(encode), char=bad, code=ord(bad[0]), position=exc.start
            )
        ) from None


def percent_encode(text: str, encode: str) -> str:
    """Percent-encode ``text`` in the platform encoding, as the doc's ``urlencode`` does."""
    return quote_plus(check_representable(text, encode))


_PCT = re.compile(r"%(?![0-9A-Fa-f]{2})")
#: A run of bytes written as text: ``%xx`` escapes, and bytes a push carried that were not
#: valid in its charset (lone surrogates, as ``surrogateescape`` decoding leaves them).
_ESCAPES = re.compile("(?:%[0-9A-Fa-f]{2}|[\udc80-\udcff])+")


def percent_decode(value: str, encode: str | None) -> tuple[str, bool]:
    """Decode percent-encoded platform text.  Returns ``(text, clean)``.

    Only the ``%xx`` runs are bytes to decode (in the request's encoding); text around them
    is already text (the body was decoded before it was split), so it is kept as it is, never
    re-encoded in another encoding.  Bytes that came raw and were not valid (lone surrogates)
    are decoded with the run they sit in, and make the text unclean.  Tolerant by design: a
    stray ``%`` stays literal, and a run not valid in the request's encoding is tried in the
    other one before being replaced.  ``clean`` is False whenever anything had to be guessed,
    so callers can keep the raw text beside it.
    """
    text = value.replace("+", " ")
    clean = _PCT.search(text) is None
    first = codec(encode) if encode else "utf-8"

    def decoded(run: re.Match[str]) -> str:
        nonlocal clean
        escaped = run.group(0)
        if not escaped.isascii():  # bytes that came raw: whatever they decode to is a guess
            clean = False
        data = unquote_to_bytes(escaped.encode("utf-8", "surrogateescape"))
        for name in (first, "gbk" if first == "utf-8" else "utf-8"):
            try:
                out = data.decode(name)
            except UnicodeDecodeError:
                continue
            clean = clean and name == first
            return out
        clean = False
        return data.decode(first, errors="replace")

    return _ESCAPES.sub(decoded, text), clean


#: A byte that was not valid in its charset, carried as a lone surrogate (``surrogateescape``).
BROKEN = re.compile("[\udc80-\udcff]")


def readable(text: str) -> str:
    """``text`` with the bytes that were not valid in their charset as ``\\xNN``: storable
    (SQLite takes no lone surrogates) and shown as what came.

    >>> readable(b"ok \\xc4\\xe3".decode("utf-8", "surrogateescape"))
    'ok \\\\xc4\\\\xe3'
    """
    if not BROKEN.search(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def guess(text: str) -> str:
    """A reading of text holding invalid bytes: UTF-8, else GBK, else with U+FFFD."""
    return decode_body(text.encode("utf-8", "surrogateescape"), "UTF-8")


def decode_body(data: bytes, encode: str | None, errors: str = "replace") -> str:
    """A response body as text: request encoding first, then the other, BOM removed; bytes
    valid in neither are read by ``errors`` (U+FFFD, or ``surrogateescape`` to keep them)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    first = codec(encode) if encode else "utf-8"
    for name in (first, "gbk" if first == "utf-8" else "utf-8"):
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            continue
    return data.decode(first, errors=errors)


def clean_body(text: str) -> str:
    """Trim the whitespace, CR/LF and BOM that real bodies carry around them."""
    return text.strip().lstrip("\ufeff").strip()


def parse_beijing(text: str) -> datetime:
    """``'2013-09-12 09:09:31'`` (Beijing time) to an aware datetime.

    >>> parse_beijing("2013-09-12 09:09:31").astimezone(UTC).isoformat()
    '2013-09-12T01:09:31+00:00'
    """
    value = text.strip()
    if len(value) == 19 and value[10] == " " and value[4] == "-":
        # The common shape, parsed in C: strptime costs ten times more per report.
        with contextlib.suppress(ValueError):  # not a real date: the loop below says why
            return datetime.fromisoformat(value).replace(tzinfo=BEIJING)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    raise ParseError(f"not a platform time: {value!r}", text)


def parse_unix(text: str) -> datetime:
    """A unix timestamp (as the push payloads carry) to an aware UTC datetime."""
    value = text.strip()
    if not value.isdigit() or len(value) > 12:
        raise ParseError(f"not a unix timestamp: {value!r}", text)
    return datetime.fromtimestamp(int(value), UTC)


@lru_cache(maxsize=8192)
def parse_time(text: str) -> datetime:
    """Either form the platform uses: unix digits or Beijing wall-clock.

    Cached: a chunk of reports repeats the same few seconds thousands of times.
    """
    value = text.strip()
    return parse_unix(value) if value.isdigit() else parse_beijing(value)


@lru_cache(maxsize=8192)
def parse_epoch(text: str) -> float:
    """:func:`parse_time` as seconds since the epoch (what the cache stores), also cached."""
    return parse_time(text).timestamp()


def to_unix(when: datetime) -> int:
    """An aware datetime to the 10-digit unix timestamps the platform takes."""
    if when.tzinfo is None:
        raise ValueError("naive datetime: give a timezone")
    return int(when.timestamp())
