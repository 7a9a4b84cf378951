"""Typed results of the platform's answers.  Every item keeps the raw text it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal


@dataclass(frozen=True, slots=True)
class Unparsed:
    """A piece of a body no parser could read: kept, never dropped."""

    raw: str
    reason: str


@dataclass(slots=True)  # not frozen: frozen __init__ costs 4x, paid per item at volume
class Report:
    """A status report (DLR): ``[ext,]msgid,mobile,STATUS,time``."""

    msgid: str
    mobile: str
    status: str
    reported_at: datetime | None
    ext: str = ""
    raw: str = ""

    @property
    def delivered(self) -> bool:
        return self.status == "DELIVRD"


@dataclass(slots=True)  # not frozen: frozen __init__ costs 4x, paid per item at volume
class Reply:
    """An incoming reply (MO): ``ext,replyid,mobile,content,time``."""

    mobile: str
    content: str
    received_at: datetime | None
    ext: str = ""
    reply_id: str = ""
    raw: str = ""
    #: False when the content had to be guessed (bad percent-encoding, wrong charset).
    content_clean: bool = True


@dataclass(slots=True)  # not frozen: frozen __init__ costs 4x, paid per item at volume
class Record:
    """A send record: every message the account sent, from any system."""

    username: str
    msgid: str
    mobiles: tuple[str, ...]
    content: str
    sent_at: datetime | None
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Balance:
    remaining: Decimal
    total: Decimal
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Quota:
    total: Decimal
    remaining: Decimal


@dataclass(frozen=True, slots=True)
class BillingEntry:
    """One (sub)account of an ``action=billing`` answer."""

    username: str
    sent: dict[str, int]
    balances: dict[str, Quota]
    raw: str = ""


@dataclass(frozen=True, slots=True)
class BlacklistResult:
    mobile: str
    black: bool
    description: str = ""
    added: str = ""
    added_at: datetime | None = None
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Success:
    """A plain ``success:<message>`` answer (sub-accounts, IP binding, blacklist removal)."""

    message: str
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Submission:
    """What a send put on the wire (secrets excluded), kept with every send result."""

    mobiles: tuple[str, ...]
    content: str
    encode: str
    form: str = "params"
    start_time: datetime | None = None
    ext: str = ""
    templet_code: str = ""


@dataclass(frozen=True, slots=True)
class SendResult:
    """``accepted`` with a msgid, or ``unknown`` when no answer came (it may have been sent).

    Sends are never retried: an unknown outcome must be checked against the send records.
    """

    outcome: Literal["accepted", "unknown"]
    submission: Submission
    msgid: str = ""
    raw: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class BatchItem:
    mobiles: tuple[str, ...]
    content: str
    start_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class PushBatch:
    """What a push body held: the items, plus anything that could not be read."""

    format: Literal["string", "json", "xml"]
    items: list = field(default_factory=list)
