"""Every row checked before anything is sent: the valid rows priced, the others rejected with
a reason.

A row is rejected for an invalid or duplicate number, a number the cache's blacklist lookups
say is black, an empty variable, a text over 500 characters or not
representable in the request's encoding, a mainland text without a 【signature】, an
international number whose text must go through the batch interface (domestic only, §3.6),
or a number that got the same text within the duplicate window (``recent``: see
:mod:`fivec_tui.store.duplicates`).  ``content_sha1`` is what the file says, whatever its
bytes: every valid number with its text, sorted, and the template; the campaign guard keys
on it, so a re-saved copy is the same campaign and another text to the same list is not.
Problems of the whole file (no recipients' column, a ``{name}`` with no column) raise
:class:`ValueError` instead: no row could be right.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ...api.errors import ContentEncodingError
from ...api.sms import MAX_CONTENT, check_content, has_signature, international, parts, read_mobile
from ...i18n import N_, _
from ...store.duplicates import Earlier, text_key
from ...when import show_full
from .source import MOBILE_COLUMNS, Table

PLACEHOLDER = re.compile(r"\{([^{}\s][^{}]*)\}")

#: Rejection reasons: the code (rejects file, JSON) and a short label (the summary).
LABELS = {
    "invalid_number": N_("invalid number"),
    "duplicate": N_("duplicate number"),
    "blacklisted": N_("blacklisted"),
    "missing_variable": N_("empty variable"),
    "too_long": N_("text too long"),
    "not_representable": N_("text not representable in the encoding"),
    "no_signature": N_("no signature"),
    "international_batch": N_("international number in a personalised send"),
    "recent": N_("sent the same text recently"),
}
#: The same reasons as the rejects file explains them, row by row (an invalid number's is
#: :func:`~fivec_tui.api.sms.read_mobile`'s).
REASONS = {
    "duplicate": N_("duplicate of row {row}"),
    "blacklisted": N_("blacklisted (the cache's blacklist lookups)"),
    "missing_variable": N_("variable {name} is empty"),
    "too_long": N_("the text is {n} characters; at most {limit}"),
    "not_representable": N_("the text cannot be written in {encode}: {error}"),
    "no_signature": N_("no 【signature】 at the start or the end"),
    "international_batch": N_(
        "international number in a personalised send: the platform's batch requests take "
        "mainland numbers only (send it on its own)"
    ),
    "recent": N_("the same text went to this number at {time} (msgid {msgid})"),
}
#: What :func:`validate` asks about sends already made: ``(mobile, text_key)`` pairs in, the
#: earlier send of each pair sent within the window out.
Recent = Callable[[list[tuple[str, str]]], dict[tuple[str, str], Earlier]]


@dataclass(frozen=True, slots=True)
class Row:
    row: int
    mobile: str
    content: str  # the text (template mode: the variables as JSON)
    parts: int
    international: bool


@dataclass(frozen=True, slots=True)
class Reject:
    row: int
    cells: list[str]
    reason: str
    detail: str


@dataclass
class Validation:
    table: Table
    mode: str  # content | template
    text: str  # the content with its {placeholders}, or the template code
    encode: str
    mobile_index: int = 0  # the recipients' column
    valid: list[Row] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    content_sha1: str = ""

    def reasons(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.rejects:
            out[r.reason] = out.get(r.reason, 0) + 1
        return out


def placeholders(text: str) -> list[str]:
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def fill(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def _content_problem(text: str, encode: str, cache: dict[str, tuple | None]) -> tuple | None:
    """``(reason, detail)`` of a text that cannot be sent, else None (one check per text)."""
    if text in cache:
        return cache[text]
    problem = None
    if len(text) > MAX_CONTENT:
        problem = ("too_long", _(REASONS["too_long"]).format(n=len(text), limit=MAX_CONTENT))
    else:
        try:
            check_content(text, encode)
        except ContentEncodingError as exc:
            detail = _(REASONS["not_representable"]).format(encode=encode, error=exc)
            problem = ("not_representable", detail)
    cache[text] = problem
    return problem


def validate(
    table: Table,
    *,
    encode: str,
    content: str | None = None,
    template: str | None = None,
    blacklisted: Callable[[list[str]], set[str]] = lambda mobiles: set(),
    mobile_column: str | None = None,
    recent: Recent | None = None,
    unsigned: bool = False,
) -> Validation:
    """Check every row of ``table`` for ``content`` (with ``{column}`` placeholders) or
    ``template`` (every other column a template variable).  The numbers are in
    ``mobile_column``, else in the column named as :data:`MOBILE_COLUMNS` says.  Without
    ``recent`` no row is rejected as sent recently (``--again``); with ``unsigned`` no text
    is rejected for want of a 【signature】 (the platform adds the account's own)."""
    if mobile_column is not None and mobile_column not in table.header:
        raise ValueError(_("no column {name}").format(name=mobile_column))
    mobile_col = table.header.index(mobile_column) if mobile_column else table.column()
    if mobile_col is None:
        raise ValueError(
            _("no recipients' column: name one {names}").format(names=" / ".join(MOBILE_COLUMNS))
        )
    header = table.header
    if template:
        names = [h for i, h in enumerate(header) if i != mobile_col and h]
        result = Validation(table, "template", template, encode)
    else:
        if not content:
            raise ValueError(_("give --content (or --template)"))
        names = placeholders(content)
        unknown = [n for n in names if n not in header]
        if unknown:
            raise ValueError(
                _("no column for {names} (columns: {columns})").format(
                    names=", ".join("{" + n + "}" for n in unknown), columns=", ".join(header)
                )
            )
        result = Validation(table, "content", content, encode)
    result.mobile_index = mobile_col
    index = {h: i for i, h in enumerate(header)}
    seen: dict[str, int] = {}
    checked: dict[str, tuple | None] = {}
    candidates: list[tuple[int, list[str], str, dict[str, str]]] = []
    for number, cells in table.rows:
        cells = [c.strip() for c in cells]
        raw = cells[mobile_col] if mobile_col < len(cells) else ""
        try:
            mobile = read_mobile(raw)
        except ValueError as exc:  # why, and how a number abroad is written
            result.rejects.append(Reject(number, cells, "invalid_number", str(exc)))
            continue
        if mobile in seen:
            detail = _(REASONS["duplicate"]).format(row=seen[mobile])
            result.rejects.append(Reject(number, cells, "duplicate", detail))
            continue
        seen[mobile] = number
        values = {n: cells[index[n]] if index[n] < len(cells) else "" for n in names}
        candidates.append((number, cells, mobile, values))
    black = _black(blacklisted, [c[2] for c in candidates])
    keyed: list[tuple[str, str]] = []
    ready: list[tuple[Row, list[str], str]] = []
    for number, cells, mobile, values in candidates:
        if template:
            variables = {"{" + n + "}": v for n, v in values.items()}
            text = json.dumps(variables, ensure_ascii=True, separators=(",", ":"))
            key = text_key(template=template, variables=variables)
        else:
            text = fill(content or "", values)
            key = text_key(text)
        keyed.append((mobile, key))
        if mobile in black:
            result.rejects.append(Reject(number, cells, "blacklisted", _(REASONS["blacklisted"])))
            continue
        empty = [n for n, v in values.items() if not v]
        if empty:
            detail = _(REASONS["missing_variable"]).format(name="{" + empty[0] + "}")
            result.rejects.append(Reject(number, cells, "missing_variable", detail))
            continue
        abroad = international(mobile)
        problem = _content_problem(text, encode, checked)
        signed = template or abroad or unsigned or has_signature(text)
        if problem is None and not signed:
            problem = ("no_signature", _(REASONS["no_signature"]))
        if problem:
            result.rejects.append(Reject(number, cells, *problem))
            continue
        n_parts = 1 if template else parts(text, international=abroad)
        ready.append((Row(number, mobile, text, n_parts, abroad), cells, key))
    result.content_sha1 = hashlib.sha1(
        json.dumps(sorted(keyed), ensure_ascii=False).encode()
    ).hexdigest()
    sent = recent([(row.mobile, key) for row, _cells, key in ready]) if recent else {}
    for row, cells, key in ready:
        if earlier := sent.get((row.mobile, key)):
            when = show_full(earlier.at)
            detail = _(REASONS["recent"]).format(time=when, msgid=earlier.msgid or "?")
            result.rejects.append(Reject(row.row, cells, "recent", detail))
        else:
            result.valid.append(row)
    result.rejects.sort(key=lambda r: r.row)
    return result


def _black(lookup: Callable[[list[str]], set[str]], mobiles: list[str]) -> set[str]:
    out: set[str] = set()
    for i in range(0, len(mobiles), 500):  # SQLite's bound-variable limit
        out |= lookup(mobiles[i : i + 500])
    return out


def reject(rows: Iterable[Row], table: Table, reason: str) -> list[Reject]:
    """Rows found unsendable after grouping (international numbers bound for a batch)."""
    cells = dict(table.rows)
    return [Reject(r.row, cells.get(r.row, []), reason, _(REASONS[reason])) for r in rows]
