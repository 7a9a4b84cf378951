"""Every setting of the config file, its kind and its default: the reference for ``config.toml``.

One dataclass per table; each field's ``metadata`` holds its :class:`~.kinds.Kind` (or, for a
sub-table, the table's class).  :mod:`.load` reads a file against these and nothing else, so
a key is known, checked and documented here or nowhere.

.. code-block:: toml

    default_profile = "prod"

    [app]                       # App
    refresh_s = 2

    [keys]                      # binding id -> key
    "nav.send" = "f5"

    [profiles.prod]             # ProfileTable
    username = "acme"
    [profiles.prod.streams]     # Streams
    [profiles.prod.intervals]   # Intervals
    [profiles.prod.push]        # Push
    [profiles.prod.push.forward]  # Forward
    [profiles.prod.alerts]      # Alerts
"""

# ruff: noqa: RUF009  (setting() and table() return dataclasses.field(...), built once)

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from ..i18n import CHOICES
from .kinds import (
    ENCODE,
    FLAG,
    LISTEN,
    MD5,
    NETWORKS,
    NODE,
    RATIO,
    SECRET,
    TEXT,
    TEXTS,
    TOKEN,
    URL,
    URLS,
    ZONE,
    Kind,
    choice,
    count,
    number,
    seconds,
)


def setting(default: Any, kind: Kind, doc: str = "") -> Any:
    """A field with its kind; ``None`` as default: the consumer's own default applies."""
    meta = {"kind": kind, "doc": doc}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


def table(cls: type, doc: str = "") -> Any:
    return field(default_factory=cls, metadata={"table": cls, "doc": doc})


@dataclass
class Streams:
    """How each stream is read.  Unknown names are an error: a typo would silently pull."""

    unknown: ClassVar[str] = "stream"
    reports: str = setting("pull", choice("pull", "push", "off"))
    replies: str = setting(
        "pull", choice("pull", "push", "watch", "off"), "watch: queryByCondition, consumes nothing"
    )
    records: str = setting("pull", choice("pull", "off"))
    balance: str = setting("pull", choice("pull", "off"))
    subaccounts: str = setting("pull", choice("pull", "off"), "billing and status (§11)")


@dataclass
class Intervals:
    """Seconds between two runs of each job."""

    unknown: ClassVar[str] = "interval"
    reports: float = setting(5.0, seconds())
    replies: float = setting(10.0, seconds())
    records: float = setting(30.0, seconds())
    balance: float = setting(60.0, seconds())
    reconcile_replies: float = setting(600.0, seconds(), "replies read again by time")
    subaccounts: float = setting(600.0, seconds(), "sub-accounts, their billing and status")


@dataclass
class Forward:
    """Where received pushes are relayed, in order, through a durable retry queue."""

    reports: list[str] = setting([], URLS)
    replies: list[str] = setting([], URLS)


@dataclass
class Push:
    """The push receiver (``poll --listen``).  ``None``: the receiver's own default."""

    listen: str = setting("", LISTEN, "host:port; --listen overrides")
    token: str = setting("", TOKEN, "the secret path segment: /push/<token>/reports")
    allow: list[str] = setting([], NETWORKS, "addresses allowed to push (empty: any)")
    max_body: int | None = setting(None, count(1), "bytes")
    header_timeout: float | None = setting(None, seconds(30))
    body_timeout: float | None = setting(None, seconds(300))
    max_per_peer: int | None = setting(None, count(1, 100_000), "open connections per address")
    max_connections: int | None = setting(None, count(1, 100_000), "open connections in all")
    forward: Forward = table(Forward)


@dataclass
class Alerts:
    """Alert rules and where alerts go (see :mod:`fivec_tui.sync.alerts`)."""

    interval_s: float = setting(30.0, seconds(), "how often rules are evaluated")
    repeat_s: float = setting(1800.0, seconds(), "a holding alert is sent again this often")
    rate_window_s: float = setting(900.0, seconds(), "delivery rate: window,")
    rate_below: float = setting(0.90, RATIO, "absolute floor,")
    rate_min_volume: int = setting(50, count(), "finished messages needed before judging,")
    baseline_days: int = setting(7, count(), "and the same hour of the previous days,")
    baseline_drop: float = setting(0.10, RATIO, "fire when this far below that baseline")
    spike_families: list[str] = setting(
        ["blacklist", "content", "gateway"], TEXTS, "failure families watched,"
    )
    spike_share: float = setting(0.05, RATIO, "share of finished messages in the window,")
    spike_min: int = setting(20, count(), "and a minimum count")
    pending_after_s: float = setting(900.0, seconds(), "reports older than this still missing,")
    pending_above: int = setting(50, count(), "more than this many")
    balance_below: float = setting(1000.0, number(least=0))
    runs_out_within_h: float = setting(24.0, number(above=0, unit="hours"))
    job_failing_s: float = setting(600.0, seconds(), "a job failing this long (auth/IP: at once)")
    opt_out_window_s: float = setting(3600.0, seconds())
    opt_out_above: int = setting(20, count())
    language: str = setting("auto", choice(*CHOICES), "of the alert texts; auto: the interface's")
    command: str = setting("", TEXT, "shell command run with FIVEC_ALERT_* in its environment")
    webhook: str = setting("", URL, "receives a JSON POST")
    webhook_retries: int = setting(3, count(0, 20), "also the robots' retries")
    dingtalk: str = setting("", URL, "DingTalk custom robot (…/robot/send?access_token=…)")
    dingtalk_secret: str = setting("", SECRET, "its signing secret (SEC…), if it signs")
    wecom: str = setting("", URL, "WeCom group robot (…/webhook/send?key=…)")
    feishu: str = setting("", URL, "Feishu custom bot (…/bot/v2/hook/…)")
    feishu_secret: str = setting("", SECRET, "its signing secret, if it signs")
    mention: list[str] = setting([], TEXTS, 'phone numbers or user ids (or "all") @-ed')


@dataclass
class ProfileTable:
    """``[profiles.NAME]``: one account.  Read into :class:`~.profile.Profile`."""

    username: str = setting("", TEXT)
    password: str = setting("", SECRET, "hashed in memory, never stored")
    password_md5: str = setting("", MD5)
    apikey: str = setting("", SECRET)
    node: str = setting("main", NODE, "main, bj, hk, us, euro, or a full base URL")
    base_url: str = setting("", NODE, "same as node")
    https: bool = setting(True, FLAG, "for a node name")
    encode: str = setting("UTF-8", ENCODE)
    timeout: float = setting(15.0, seconds())
    send_timeout: float = setting(30.0, seconds())
    retention_days: int = setting(30, count(1), "days rows are kept, counted from receipt")
    keep_raw_days: int = setting(2, count(0), "days raw bodies are kept once parsed")
    backfill_hours: int = setting(
        24, count(0), "hours of send records a fresh cache's first pull reads (within retention)"
    )
    streams: Streams = table(Streams)
    intervals: Intervals = table(Intervals)
    push: Push = table(Push)
    alerts: Alerts = table(Alerts)


@dataclass
class App:
    """``[app]``: the TUI and the interface, for every profile."""

    refresh_s: float = setting(2.0, seconds(), "how often screens re-read the cache")
    language: str = setting("auto", choice(*CHOICES), "auto: LC_ALL, LC_MESSAGES, LANG")
    timezone: str = setting(
        "Asia/Shanghai",
        ZONE,
        "of every time shown or typed: the platform's, local or any IANA name",
    )


def defaults(cls: type) -> dict[str, Any]:
    """A table's defaults by key, sub-tables as dicts."""
    return asdict(cls())


def kind(cls: type, key: str) -> Kind:
    return next(f.metadata["kind"] for f in fields(cls) if f.name == key)
