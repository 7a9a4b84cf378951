"""The duplicate guard's memory: did the same text go to this number within the window?

"The same text" is :func:`text_key`: the text as sent (after a bulk file's ``{column}``
placeholders are filled), or a template's code with its variables.  Three places say what
went out, and each is read: the audit trail (this tool's direct sends, at once, with who sent
them: the send records come a pull later), the campaign journal (this tool's bulk rows, whose
numbers the trail does not repeat), and the send records (what the platform accepted, from any
system driving the account: a backend's retry is a duplicate too).  A send whose outcome entry
says ``failed`` went nowhere and is not one; a pending or unknown one may have gone out and is.
Records carry the platform's rendered text, so a template send is matched in the first two only.

A send at ``at`` is within the window while ``now - at <= window_s``: at its edge, still a
duplicate; a second later, not.  A send recorded after ``now`` (this machine's clock was
stepped back since, an NTP correction) is within it too.  ``window_s`` 0 turns the guard off.

The check that counts is :func:`refuse_recent`, run inside the transaction that writes the
send's pending audit entry (:meth:`~.auditor.Auditor.begin`): SQLite's ``BEGIN IMMEDIATE``
lets one writer in at a time, so of two identical sends started together on this machine,
the second sees the first's pending entry and is refused.  The callers' earlier look (before
asking the person) only spares a question.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..i18n import _
from .audit import who
from .db import Store

#: Numbers per query (SQLite's bound-variable limit).
CHUNK = 500
#: Where an earlier send was found, the most telling first (it names who sent it).
SOURCES = ("audit", "campaign", "records")


def text_key(content: str = "", template: str = "", variables: Mapping | None = None) -> str:
    """What makes two sends "the same text": the content (outer spaces aside), or a template
    code and its variables in any order."""
    if template:
        values = json.dumps(variables or {}, ensure_ascii=False, sort_keys=True)
        return f"template\x00{template}\x00{values}"
    return f"text\x00{content.strip()}"


@dataclass(frozen=True)
class Earlier:
    """An earlier send of the same text to ``mobile``: when, its msgid ("" while none is
    known), where it was found and, from the trail, who sent it and how."""

    mobile: str
    at: float
    msgid: str
    source: str
    who: str = ""
    path: str = ""

    def told(self) -> str:
        """Where it was found, as the person reads it."""
        if self.source == "audit":
            return _("sent by {who} via {path}").format(who=self.who, path=self.path)
        if self.source == "campaign":
            return _("a bulk campaign")
        return _("the platform's send records")


def earlier_sends(
    store: Store,
    wanted: Iterable[tuple[str, str]],
    window_s: float,
    now: float | None = None,
) -> dict[tuple[str, str], Earlier]:
    """For each ``(mobile, text_key)`` in ``wanted`` sent within ``window_s`` before ``now``,
    its latest earlier send, from the audit trail or the journal before the send records."""
    wanted = set(wanted)
    if window_s <= 0 or not wanted:
        return {}
    now = time.time() if now is None else now
    cut = now - window_s
    found: dict[tuple[str, str], Earlier] = {}

    def note(mobile: str, key: str, earlier: Earlier) -> None:
        pair = (mobile, key)
        if pair not in wanted or earlier.at < cut:
            return
        best = found.get(pair)
        rank = SOURCES.index
        if best is None or (rank(earlier.source), -earlier.at) < (rank(best.source), -best.at):
            found[pair] = earlier

    for row in store.query(
        "SELECT b.at, b.action, b.mobiles, b.text, b.template, b.variables, b.user, "
        "b.uid_user, b.sudo_user, b.path, coalesce(c.outcome, b.outcome) AS outcome, "
        "coalesce(c.msgid, '') AS msgid FROM audit b LEFT JOIN audit c ON c.ref = b.id "
        "WHERE b.ref IS NULL AND b.action IN ('send', 'template') AND b.at >= ?",
        (cut,),
    ):
        if row["outcome"] == "failed":
            continue
        variables = json.loads(row["variables"] or "{}")
        key = text_key(row["text"], row["template"], variables)
        for mobile in filter(None, row["mobiles"].split(",")):
            note(
                mobile,
                key,
                Earlier(mobile, row["at"], row["msgid"], "audit", who(row), row["path"]),
            )
    for row in store.query(
        "SELECT r.mobile, r.content, coalesce(r.msgid, '') AS msgid, q.sent_at, c.mode, c.text "
        "FROM campaign_requests q JOIN campaign_rows r ON r.request_id = q.id "
        "JOIN campaigns c ON c.id = q.campaign_id "
        "WHERE q.sent_at >= ? AND r.state IN ('sending', 'accepted', 'unknown')",
        (cut,),
    ):
        if row["mode"] == "template":
            key = text_key(template=row["text"], variables=json.loads(row["content"] or "{}"))
        else:
            key = text_key(row["content"] or "")
        note(row["mobile"], key, Earlier(row["mobile"], row["sent_at"], row["msgid"], "campaign"))
    mobiles = sorted({mobile for mobile, _key in wanted})
    for i in range(0, len(mobiles), CHUNK):
        chunk = mobiles[i : i + CHUNK]
        for row in store.query(
            f"SELECT mobile, content, msgid, sent_at FROM records WHERE mobile IN "
            f"({', '.join('?' * len(chunk))}) AND sent_at >= ?",
            (*chunk, cut),
        ):
            earlier = Earlier(row["mobile"], row["sent_at"], row["msgid"], "records")
            note(row["mobile"], text_key(row["content"] or ""), earlier)
    return found


class Duplicate(Exception):
    """A send refused: ``found`` the earlier sends of the same text (see :func:`earlier_sends`)."""

    def __init__(self, found: dict[tuple[str, str], Earlier]) -> None:
        last = max(found.values(), key=lambda e: e.at)
        super().__init__(f"{last.mobile} got the same text at {last.at:.0f} ({last.source})")
        self.found = found


def refuse_recent(store: Store, wanted: Iterable[tuple[str, str]], window_s: float) -> None:
    """Raise :class:`Duplicate` when one of ``wanted`` was sent within ``window_s`` of now."""
    if found := earlier_sends(store, wanted, window_s):
        raise Duplicate(found)
