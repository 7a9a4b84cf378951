"""Message groups: what a sent text is, for the breakdowns by signature, template and campaign.

Each send record gets a group (``records.grp`` → ``groups``) when it is cached:

- **signature**: the 【…】 at the start or the end of the text (mainland traffic must carry
  one; "" when there is none);
- **template**: the text with what varies from one message to the next masked as ``{#}``
  (codes, amounts, order and tracking numbers: a run of letters and digits holding a digit
  and three characters long or more; links as ``{url}``); for a campaign, its own template;
- **campaign**: the bulk send (:mod:`.campaigns`) whose request was answered with the
  record's msgid, 0 for any other message.

A busy account sending personalised texts could make a template of every message: past
:data:`MAX_GROUPS` groups, a new text's template is :data:`OTHER` (its signature and
campaign are still its own).  Group 0 is a text the cache never had (records cached before
groups existed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from ..api.sms import SIGNATURE
from .db import Store

MAX_GROUPS = 2000
OTHER = "…"
TEMPLATE_MAX = 120
_URL = re.compile(r"https?://\S+|\b[a-z0-9-]+\.(?:cn|com|net|cc|me)/\S*", re.IGNORECASE)
_VARIABLE = re.compile(r"[A-Za-z0-9]*\d[A-Za-z0-9.:-]*")


def signature_of(text: str) -> str:
    """The 【…】 at the start of the text, else at its end, without the brackets; or ""."""
    text = (text or "").strip()
    found = [m for m in SIGNATURE.finditer(text) if m.start() == 0 or m.end() == len(text)]
    return found[0].group()[1:-1] if found else ""


def template_of(text: str) -> str:
    """The text with what varies masked: links as ``{url}``, codes and numbers as ``{#}``."""
    text = _URL.sub("{url}", (text or "").strip())
    text = _VARIABLE.sub(lambda m: "{#}" if len(m.group()) >= 3 else m.group(), text)
    return text if len(text) <= TEMPLATE_MAX else text[: TEMPLATE_MAX - 1] + "…"


@lru_cache(maxsize=4096)
def classify(text: str) -> tuple[str, str]:
    """A text's signature and template (texts repeat: a notice sent to many numbers)."""
    return signature_of(text), template_of(text)


class Grouper:
    """Group ids for records about to be inserted, inside the caller's transaction: one
    lookup per distinct (signature, template, campaign) of a chunk."""

    def __init__(self, store: Store) -> None:
        self.conn = store.conn
        self.known: dict[tuple[str, str, int], int] = {}
        self.campaign_texts: dict[int, str] = {}

    def campaigns(self, msgids: Iterable[str]) -> dict[str, int]:
        """msgid → campaign id, for the msgids a campaign's request was answered with."""
        wanted = sorted({m for m in msgids if m})
        out: dict[str, int] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            out |= dict(
                self.conn.execute(
                    "SELECT msgid, campaign_id FROM campaign_requests WHERE msgid != '' AND "
                    f"msgid IN ({','.join('?' * len(part))})",
                    part,
                ).fetchall()
            )
        return out

    def group(self, text: str | None, campaign: int = 0) -> int:
        if not text and not campaign:
            return 0
        if campaign and campaign not in self.campaign_texts:
            row = self.conn.execute("SELECT text FROM campaigns WHERE id = ?", (campaign,))
            self.campaign_texts[campaign] = template_of((row.fetchone() or ("",))[0] or "")
        signature, template = classify(text or "")
        key = (signature, self.campaign_texts[campaign] if campaign else template, campaign)
        if key not in self.known:
            self.known[key] = self._id(key)
        return self.known[key]

    def _id(self, key: tuple[str, str, int]) -> int:
        select = "SELECT id FROM groups WHERE signature = ? AND template = ? AND campaign = ?"
        row = self.conn.execute(select, key).fetchone()
        if row:
            return row[0]
        if self.conn.execute("SELECT count(*) FROM groups").fetchone()[0] >= MAX_GROUPS:
            key = (key[0], OTHER, key[2])
            row = self.conn.execute(select, key).fetchone()
            if row:
                return row[0]
        return int(
            self.conn.execute(
                "INSERT INTO groups(signature, template, campaign) VALUES (?, ?, ?)", key
            ).lastrowid
        )


def names(store: Store, ids: Iterable[int]) -> dict[int, dict]:
    """Group id → ``{"signature", "template", "campaign"}``."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = store.query(
        f"SELECT id, signature, template, campaign FROM groups WHERE id IN "
        f"({','.join('?' * len(wanted))})",
        tuple(wanted),
    )
    return {r.pop("id"): r for r in rows}
