"""Pure parsers: response body text in, typed results out.

Every parser trims BOM/whitespace, raises the matching :class:`PlatformError` for
``error:`` bodies, and returns pieces it cannot read as :class:`Unparsed` with their raw text
(list answers) or raises :class:`ParseError` (single-value answers).  Nothing else escapes.

Whether a list answer is one at all is :func:`check_answer`'s to say, before anything is
kept of it: a body of which not one item reads as an item is not a partly odd answer but no
answer (:class:`UnreadableAnswer`).  The parsers themselves stay tolerant, so that a body
journaled by an older version is still read item by item.
"""

from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal

from .errors import ParseError, UnreadableAnswer, error_for
from .models import (
    Balance,
    BillingEntry,
    BlacklistResult,
    Quota,
    Record,
    Reply,
    Report,
    Success,
    Unparsed,
)
from .wire import BROKEN, clean_body, guess, parse_time, percent_decode, readable

NO_RECORD = "no record"
REPLY_SEPARATOR = "|||"


def split_status(body: str) -> tuple[str, str]:
    """``'success:x'`` → ``('success', 'x')``, splitting on the first colon only."""
    text = clean_body(body)
    head, sep, rest = text.partition(":")
    if sep and head.strip().lower() in ("success", "error"):
        return head.strip().lower(), rest
    return "", text


def raise_for_error(body: str) -> str:
    """Raise the typed error for an ``error:`` body; return the trimmed body otherwise."""
    kind, rest = split_status(body)
    if kind == "error":
        raise error_for(readable(rest), readable(clean_body(body)))
    return clean_body(body)


def _json_status(text: str) -> tuple[str, str] | None:
    """The ``{"status": ..., "msg": ...}`` answer of ``format=json`` requests."""
    if not text.startswith("{"):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict) or "status" not in doc:
        return None
    return str(doc.get("status", "")).strip().lower(), str(doc.get("msg", "")).strip()


#: The platform's msgids are 14 digits today; a few more or fewer are still believable.
MSGID = re.compile(r"[0-9]{10,20}")


def parse_send(body: str) -> str:
    """A send answer → the msgid.  Accepts ``success:<msgid>`` and the JSON form.

    Whatever follows ``success`` must look like a msgid: anything else (an HTML page, a
    message, a truncated number) is a :class:`ParseError` keeping the body, never a msgid that
    would then match no report.
    """
    text = clean_body(body)
    status = _json_status(text) or split_status(text)
    kind, rest = status
    rest = rest.strip()
    if kind == "error":
        raise error_for(rest, text)
    if kind == "success" and MSGID.fullmatch(rest):
        return rest
    raise ParseError(f"not a send answer: {text[:200]!r}", text)


def parse_success(body: str) -> Success:
    """A ``success:<message>`` answer."""
    text = raise_for_error(body)
    kind, rest = split_status(text)
    if kind != "success":
        raise ParseError(f"expected success:..., got {text[:200]!r}", text)
    return Success(rest.strip(), text)


#: An amount as the platform writes one (``30029.000``): digits, an optional fraction, and a
#: minus for an overdrawn account at most.  Decimal() alone reads ``1e999`` (infinite once a
#: float), ``NaN`` and ``１２`` too: one garbage answer then broke every burn and cost after it.
AMOUNT = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,6})?", re.ASCII)


def _decimal(value: str, raw: str) -> Decimal:
    value = value.strip()
    if not AMOUNT.fullmatch(value):
        raise ParseError(f"not an amount: {value[:40]!r}", raw)
    return Decimal(value)


def parse_balance(body: str) -> Balance:
    """``'30029.000/30110.000'`` → remaining and total; anything else is unreadable."""
    text = raise_for_error(body)
    left, sep, right = text.partition("/")
    try:
        if not sep:
            raise ValueError(text)
        return Balance(_decimal(left, text), _decimal(right, text), text)
    except ValueError:
        raise unreadable("balance", "not remaining/total", text) from None


def _items(text: str, separator: str) -> list[str]:
    return [item for item in map(str.strip, text.split(separator)) if item]


def split_report_line(item: str) -> tuple[str, str, str, str, str] | Unparsed:
    """One ``[ext,]msgid,mobile,STATUS,time`` item as ``(msgid, mobile, STATUS, ext, time)``.

    The one reading of the report format, shared by :func:`parse_report_line` and the cache's
    ingest, which turns the time text into an epoch itself instead of building a ``Report``
    per line (at volume, the objects cost more than the insert).
    """
    fields = item.split(",")
    if ", " in item or " ," in item:  # rare: only then pay for stripping every field
        fields = [f.strip() for f in fields]
    n = len(fields)
    if n == 5:
        ext, msgid, mobile, status, when = fields
    elif n == 4:
        ext, (msgid, mobile, status, when) = "", fields
    elif n == 6:  # the doc's table shows an internal serial after the msgid
        ext, msgid, _serial, mobile, status, when = fields
    else:
        return Unparsed(item, f"expected 4 to 6 fields, got {n}")
    if not msgid or not status:
        return Unparsed(item, "empty msgid or status")
    return msgid, mobile, status.upper(), ext, when


def parse_report_line(item: str) -> Report | Unparsed:
    """One report item, its time read as an aware datetime."""
    fields = split_report_line(item)
    if isinstance(fields, Unparsed):
        return fields
    msgid, mobile, status, ext, when = fields
    try:
        reported = parse_time(when) if when else None
    except ParseError as exc:
        return Unparsed(item, str(exc))
    return Report(msgid, mobile, status, reported, ext, item)


def report_items(body: str) -> list[str]:
    """The items of a status-report pull (``no record``: none)."""
    text = raise_for_error(body)
    if not text or text.lower() == NO_RECORD:
        return []
    return _items(text, ";")


def parse_reports(body: str) -> list[Report | Unparsed]:
    """A status-report pull: ``no record`` or ``;``-separated reports."""
    return _flagged([parse_report_line(item) for item in report_items(body)], body)


def parse_reply_line(item: str, encode: str | None) -> Reply | Unparsed:
    """One ``ext,replyid,mobile,content,time`` item (4 fields: no ext)."""
    fields = item.split(",")
    if len(fields) < 4:
        return Unparsed(item, f"expected 5 fields, got {len(fields)}")
    when = fields[-1].strip()
    if len(fields) == 4:
        ext, reply_id, mobile = "", fields[0].strip(), fields[1].strip()
        content_raw = fields[2]
    else:  # unencoded commas inside the content: the middle fields are the content
        ext, reply_id, mobile = (f.strip() for f in fields[:3])
        content_raw = ",".join(fields[3:-1])
    try:
        received = parse_time(when) if when else None
    except ParseError as exc:
        return Unparsed(item, str(exc))
    content, clean = percent_decode(content_raw.strip(), encode)
    return Reply(mobile, content, received, ext, reply_id, item, clean and len(fields) <= 5)


def parse_replies(body: str, encode: str | None = "UTF-8") -> list[Reply | Unparsed]:
    """A reply pull or ``queryByCondition`` answer: items joined by ``|||``."""
    text = raise_for_error(body)
    if not text or text.lower() == NO_RECORD:
        return []
    return _flagged(
        [parse_reply_line(item, encode) for item in _items(text, REPLY_SEPARATOR)], text
    )


def parse_record_line(item: str, encode: str | None) -> Record | Unparsed:
    """``username,msgid,mobile1|mobile2,content,unixtime``."""
    fields = item.split(",")
    if len(fields) < 5:
        return Unparsed(item, f"expected 5 fields, got {len(fields)}")
    username, msgid, mobiles = (f.strip() for f in fields[:3])
    content, _ = percent_decode(",".join(fields[3:-1]).strip(), encode)
    try:
        sent = parse_time(fields[-1]) if fields[-1].strip() else None
    except ParseError as exc:
        return Unparsed(item, str(exc))
    if not msgid:
        return Unparsed(item, "empty msgid")
    numbers = tuple(m.strip() for m in mobiles.split("|") if m.strip())
    return Record(username, msgid, numbers, content, sent, item)


#: Why a pulled item holding bytes not valid in the answer's encoding is kept unparsed.
NOT_IN_ENCODING = "bytes not valid in the answer's encoding"


def _flagged(items: list, text: str) -> list:
    """``items`` of ``text``, each :func:`flagged` when the text holds a byte not valid in the
    answer's encoding (one scan of the text otherwise)."""
    return [flagged(i) for i in items] if BROKEN.search(text) else items


def flagged(item: Report | Reply | Record | Unparsed) -> Report | Reply | Record | Unparsed:
    """A pulled item read from an answer whose bytes were valid in neither encoding (they are
    lone surrogates, :data:`.wire.BROKEN`), made storable and never silently cleaned.

    A reply whose content alone holds such bytes keeps a guess of it, flagged (``content_clean``
    False), as a pushed one does; a record keeps the guess :func:`.wire.percent_decode` made of
    its content (records have no raw column: the journal keeps the bytes); any other field
    holding them (a report's, any) makes the item unparsed.  The raw text shows them as
    ``\\xNN``.
    """
    if not BROKEN.search(item.raw):
        return item
    raw = readable(item.raw)
    if isinstance(item, Reply) and not BROKEN.search(item.mobile + item.ext + item.reply_id):
        return dataclasses.replace(item, content=guess(item.content), raw=raw, content_clean=False)
    if isinstance(item, Record) and not BROKEN.search(
        item.username + item.msgid + "".join(item.mobiles)
    ):
        return dataclasses.replace(item, content=readable(item.content), raw=raw)
    return Unparsed(raw, item.reason if isinstance(item, Unparsed) else NOT_IN_ENCODING)


def parse_records(body: str, encode: str | None = "UTF-8") -> list[Record | Unparsed]:
    """An ``action=record`` answer: ``;``-separated records."""
    text = raise_for_error(body)
    if not text or text.lower() == NO_RECORD:
        return []
    return _flagged([parse_record_line(item, encode) for item in _items(text, ";")], text)


BILLING_KINDS = ("domestic", "international", "mms", "voice")


def parse_billing_line(item: str) -> BillingEntry | Unparsed:
    """``username:u,sum:61/0/0/0,balance:974|83/157.000|74.320/110|95/0|0``.

    ``balance`` holds four ``total|remaining`` pairs separated by ``/`` in the order of
    :data:`BILLING_KINDS`.
    """
    parts: dict[str, str] = {}
    for chunk in item.split(","):
        key, sep, value = chunk.partition(":")
        if not sep:
            return Unparsed(item, f"field without a colon: {chunk!r}")
        parts[key.strip().lower()] = value.strip()
    try:
        sums = [int(v) for v in parts["sum"].split("/")]
        pairs = [p.split("|") for p in parts["balance"].split("/")]
        balances = {
            kind: Quota(_decimal(p[0], item), _decimal(p[1], item))
            for kind, p in zip(BILLING_KINDS, pairs, strict=False)
        }
    except (KeyError, ValueError, IndexError) as exc:
        return Unparsed(item, f"unreadable billing entry: {exc}")
    return BillingEntry(
        parts.get("username", ""), dict(zip(BILLING_KINDS, sums, strict=False)), balances, item
    )


def parse_billing(body: str) -> list[BillingEntry | Unparsed]:
    text = raise_for_error(body)
    if not text or text.lower() == NO_RECORD:
        return []
    return [parse_billing_line(item) for item in _items(text, ";")]


def parse_blacklist(body: str, mobile: str) -> BlacklistResult:
    """``success:Non black number`` or ``success:Black number;Desc:...;Addtime:...``."""
    text = raise_for_error(body)
    kind, rest = split_status(text)
    if kind != "success":
        raise ParseError(f"not a blacklist answer: {text[:200]!r}", text)
    head, *fields = rest.split(";")
    head = head.strip().lower()
    if head == "non black number":
        return BlacklistResult(mobile, False, raw=text)
    if head != "black number":
        raise ParseError(f"not a blacklist answer: {text[:200]!r}", text)
    info = {}
    for f in fields:
        key, _, value = f.partition(":")
        info[key.strip().lower()] = value.strip()
    added = info.get("addtime", "")
    try:
        added_at = parse_time(added) if added else None
    except ParseError:
        added_at = None
    return BlacklistResult(mobile, True, info.get("desc", ""), added, added_at, text)


# -- is it an answer at all? ----------------------------------------------------------------
#: How much of an unreadable body its error shows (the whole body is in ``raw``).
PREVIEW = 80


def unreadable(kind: str, what: str, text: str) -> UnreadableAnswer:
    """The error for a ``kind`` answer that is not one, showing its first characters."""
    shown = repr(text[:PREVIEW]) + ("…" if len(text) > PREVIEW else "")
    return UnreadableAnswer(f"unreadable answer ({kind}): {what}: {shown}", readable(text))


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _a_time(text: str) -> bool:
    try:
        parse_time(text)
    except ParseError:
        return False
    return True


def _a_report(item: str) -> bool:
    fields = split_report_line(item)
    return not isinstance(fields, Unparsed) and _digits(fields[0]) and _a_time(fields[4])


def _a_reply(item: str) -> bool:
    reply = parse_reply_line(item, None)
    return (
        isinstance(reply, Reply)
        and reply.received_at is not None
        and _digits(reply.mobile.lstrip("+"))
    )


def _a_record(item: str) -> bool:
    record = parse_record_line(item, None)
    return isinstance(record, Record) and _digits(record.msgid) and record.sent_at is not None


def _a_billing_entry(item: str) -> bool:
    return isinstance(parse_billing_line(item), BillingEntry)


#: Each list answer: its item separator, and what one real item of it looks like.
ANSWERS = {
    "reports": (";", _a_report),
    "replies": (REPLY_SEPARATOR, _a_reply),
    "records": (";", _a_record),
    "billing": (";", _a_billing_entry),
}


def check_answer(kind: str, body: str) -> str:
    """The trimmed body of a ``kind`` answer (a key of :data:`ANSWERS`), once it is one.

    ``error:`` bodies raise their :class:`PlatformError`.  ``no record`` is an answer; so is a
    body with at least one real item among odd ones (the odd ones are kept as
    :class:`Unparsed`).  An empty body, a page (it starts with ``<``) or a body of which not
    one item is real (garbage, an answer cut inside its first item, an echo of the request)
    raises :class:`UnreadableAnswer`.
    """
    text = raise_for_error(body)
    if text.lower() == NO_RECORD:
        return text
    if not text:
        raise unreadable(kind, "an empty answer", text)
    if text.startswith("<"):
        raise unreadable(kind, "a page, not an answer", text)
    separator, real = ANSWERS[kind]
    if not any(real(item) for item in _items(text, separator)):
        raise unreadable(kind, f"not one item reads as {kind}", text)
    return text
