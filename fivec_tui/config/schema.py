"""Every setting of the config file, its kind and its default: the reference for ``config.toml``.

One dataclass per table, whose ``doc`` says what the table is for; each field's ``metadata``
holds its :class:`~.kinds.Kind` and its ``doc`` (or, for a sub-table, the table's class).
:mod:`.load` reads a file against these and nothing else, so a key is known, checked and
documented here or nowhere: :mod:`.reference` writes these docs out, in English and Chinese,
as ``fivec_tui/docs/configuration.md`` (a test fails when that page is stale).

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
    [profiles.prod.slo]         # Slo
"""

# ruff: noqa: RUF009  (setting() and table() return dataclasses.field(...), built once)

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from ..i18n import CHOICES, N_, _
from .kinds import (
    DURATION,
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


def setting(default: Any, kind: Kind, doc: str = "", example: Any = None) -> Any:
    """A field with its kind and its ``doc`` (marked ``N_()``: the reference is translated;
    ``tests/unit/test_docs.py`` fails on a key without one).
    ``None`` as default: the consumer's own default applies, and ``doc`` says what it is.
    ``example``: what the reference's example shows where the default is empty."""
    meta = {"kind": kind, "doc": doc}
    if example is not None:
        meta["example"] = example
    if isinstance(default, list | dict):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


def table(cls: type) -> Any:
    """A sub-table; its class's ``doc`` says what it is for."""
    return field(default_factory=cls, metadata={"table": cls})


@dataclass
class Streams:
    """How each stream is read.  Unknown names are an error: a typo would silently pull."""

    doc: ClassVar[str] = N_(
        "How each stream is read. A misspelt name is an error, not a warning: it would "
        "silently keep the default."
    )
    unknown: ClassVar[str] = "stream"
    reports: str = setting(
        "pull",
        choice("pull", "push", "off"),
        N_(
            "Status reports. pull: taken from the platform (a destructive read, asked once); "
            "push: received by poll --listen; off: not read."
        ),
    )
    replies: str = setting(
        "pull",
        choice("pull", "push", "watch", "off"),
        N_(
            "Replies, as reports; watch: read by time (queryByCondition), which takes nothing "
            "away from another consumer."
        ),
    )
    records: str = setting(
        "pull", choice("pull", "off"), N_("Send records: every message the account sent.")
    )
    balance: str = setting("pull", choice("pull", "off"), N_("The balance."))
    subaccounts: str = setting(
        "pull",
        choice("pull", "off"),
        N_("Sub-accounts (§11): billing today and this month, locked or not."),
    )


@dataclass
class Intervals:
    """Seconds between two runs of each job."""

    doc: ClassVar[str] = N_(
        "Seconds between two runs of each job. A misspelt name is an error, as in streams."
    )
    unknown: ClassVar[str] = "interval"
    reports: float = setting(5.0, seconds(), N_("Pulling status reports."))
    replies: float = setting(10.0, seconds(), N_("Pulling replies."))
    records: float = setting(30.0, seconds(), N_("Pulling send records."))
    balance: float = setting(60.0, seconds(), N_("Asking for the balance."))
    reconcile_replies: float = setting(
        600.0,
        seconds(),
        N_(
            "Reading replies again by time, so that none is lost to a run killed before it "
            "committed (this also runs before the first reply pull of every start)."
        ),
    )
    subaccounts: float = setting(
        600.0, seconds(), N_("Reading the sub-accounts' billing and status.")
    )


@dataclass
class Forward:
    """Where received pushes are relayed, in order, through a durable retry queue."""

    doc: ClassVar[str] = N_(
        "Where received pushes are relayed, in order, through a durable retry queue in the "
        "cache: the tool sits between the platform and your backend."
    )
    reports: list[str] = setting(
        [], URLS, N_("Where pushed status reports go."), ["https://your-backend/report"]
    )
    replies: list[str] = setting(
        [], URLS, N_("Where pushed replies go."), ["https://your-backend/reply"]
    )


@dataclass
class Push:
    """The push receiver (``poll --listen``).  ``None``: the receiver's own default."""

    doc: ClassVar[str] = N_(
        "The push receiver of poll --listen, where the platform posts reports and replies. "
        "A limit left unset keeps the receiver's built-in value, given with its key."
    )
    listen: str = setting(
        "",
        LISTEN,
        N_("Address and port to listen on; empty: no receiver. poll --listen overrides it."),
        "127.0.0.1:8088",
    )
    token: str = setting(
        "",
        TOKEN,
        N_(
            "The secret path segment the platform posts to: /push/<token>/reports and "
            "/push/<token>/replies (under poll --all: /push/<token>/<profile>/reports)."
        ),
        "use-16+-random-characters",
    )
    allow: list[str] = setting(
        [],
        NETWORKS,
        N_("Addresses allowed to push; empty: any. Checked before the token."),
        ["203.0.113.0/24"],
    )
    max_body: int | None = setting(
        None, count(1), N_("Largest body accepted, in bytes (built in: 1048576, 1 MiB).")
    )
    header_timeout: float | None = setting(
        None,
        seconds(30),
        N_(
            "Seconds for a request's headers to arrive after the connection opens or its "
            "previous answer (built in: 20)."
        ),
    )
    body_timeout: float | None = setting(
        None, seconds(300), N_("Seconds for a request's body to arrive (built in: 30).")
    )
    max_per_peer: int | None = setting(
        None, count(1, 100_000), N_("Open connections from one address (built in: 128).")
    )
    max_connections: int | None = setting(
        None,
        count(1, 100_000),
        N_(
            "Open connections in all (built in: half the file descriptors left under "
            "ulimit -n, at most 4096)."
        ),
    )
    forward: Forward = table(Forward)


@dataclass
class Alerts:
    """Alert rules and where alerts go (see :mod:`fivec_tui.sync.alerts`)."""

    doc: ClassVar[str] = N_(
        "Alert rules and where alerts go. The rules are evaluated by the TUI and by poll "
        "alike; an alert fires once, repeats while it holds, and resolves with a message."
    )
    interval_s: float = setting(30.0, seconds(), N_("How often the rules are evaluated."))
    repeat_s: float = setting(
        1800.0, seconds(), N_("How often an alert that still holds is sent again.")
    )
    resolve_after_s: float = setting(
        120.0,
        number(least=0, unit="seconds"),
        N_(
            "A firing alert resolves once its condition has been clear this long: a rate "
            "going either side of a threshold, or a volume either side of the minimum, pages "
            "once, not at every evaluation."
        ),
    )
    rate_window_s: float = setting(
        900.0, seconds(), N_("The window of the delivery-rate and failure-spike rules.")
    )
    rate_below: float = setting(
        0.90, RATIO, N_("The delivery-rate alert fires when the window's rate is below this.")
    )
    rate_min_volume: int = setting(
        50,
        count(),
        N_("Finished messages (delivered or failed) a window needs before its rate is judged."),
    )
    baseline_days: int = setting(
        7, count(), N_("Previous days whose same window gives the usual rate (the baseline).")
    )
    baseline_drop: float = setting(
        0.10,
        RATIO,
        N_("The delivery-rate alert also fires when the rate is this far below the baseline."),
    )
    spike_families: list[str] = setting(
        ["blacklist", "content", "gateway"], TEXTS, N_("Failure families watched for a spike.")
    )
    spike_share: float = setting(
        0.05,
        RATIO,
        N_("A family spikes when its failures reach this share of the window's finished ones…"),
    )
    spike_min: int = setting(20, count(), N_("…and at least this many."))
    pending_after_s: float = setting(
        900.0,
        seconds(),
        N_("Reports not arriving: recipients still pending this long after sending…"),
    )
    pending_above: int = setting(50, count(), N_("…more than this many of them."))
    balance_below: float = setting(
        1000.0, number(least=0), N_("The balance alert fires below this balance…")
    )
    runs_out_within_h: float = setting(
        24.0,
        number(above=0, unit="hours"),
        N_("…or when the balance will run out within this many hours at the current burn."),
    )
    job_failing_s: float = setting(
        600.0,
        seconds(),
        N_(
            "A sync job failing this long raises an alert (credential and IP-binding errors "
            "at once: they never fix themselves)."
        ),
    )
    opt_out_window_s: float = setting(
        3600.0, seconds(), N_("The window in which opt-out replies are counted…")
    )
    opt_out_above: int = setting(20, count(), N_("…and the count above which they alert."))
    language: str = setting(
        "auto",
        choice(*CHOICES),
        N_("Language of the alert texts; auto: the interface's."),
    )
    command: str = setting(
        "",
        TEXT,
        N_(
            "A shell command run for each alert event, with FIVEC_ALERT_* in its environment "
            "and nothing else of the poller's but PATH, HOME, TZ and the locale."
        ),
        'logger -t fivec "$FIVEC_ALERT_RULE $FIVEC_ALERT_STATE: $FIVEC_ALERT_MESSAGE"',
    )
    webhook: str = setting(
        "",
        URL,
        N_("Receives each alert event as a JSON POST, retried."),
        "https://hooks.example.com/sms-oncall",
    )
    webhook_retries: int = setting(
        3, count(0, 20), N_("Retries of the webhook and of the chat robots.")
    )
    dingtalk: str = setting(
        "",
        URL,
        N_("A DingTalk custom robot's URL (…/robot/send?access_token=…): a secret."),
        "https://oapi.dingtalk.com/robot/send?access_token=…",
    )
    dingtalk_secret: str = setting(
        "", SECRET, N_("Its signing secret (SEC…), when the robot signs."), "SEC…"
    )
    wecom: str = setting(
        "",
        URL,
        N_("A WeCom group robot's URL (…/webhook/send?key=…): a secret."),
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
    )
    feishu: str = setting(
        "",
        URL,
        N_("A Feishu custom bot's URL (…/bot/v2/hook/…): a secret."),
        "https://open.feishu.cn/open-apis/bot/v2/hook/…",
    )
    feishu_secret: str = setting("", SECRET, N_("Its signing secret, when the bot signs."), "…")
    mention: list[str] = setting(
        [],
        TEXTS,
        N_('Phone numbers or user ids @-ed on firing and repeating alerts; "all": everyone.'),
        ["13800138000", "all"],
    )


@dataclass
class Slo:
    """The delivery objective per carrier and its burn-rate alerts (see :mod:`fivec_tui.sync.burn`)."""

    doc: ClassVar[str] = N_(
        "The delivery objective, per carrier (China Mobile, Unicom, Telecom, international), "
        "by the platform's times, and the burn-rate alerts on it: multi-window, multi-burn-rate "
        "as in the Google SRE workbook. Burn rate: the share of finished messages that failed "
        "in a window, over the share the objective allows (1 - delivery); at 1 the error "
        "budget lasts exactly the SLO window."
    )
    delivery: float = setting(
        0.97,
        number(above=0, most=0.9999),
        N_("The objective: delivered / (delivered + failed), per carrier, over window."),
    )
    window: str = setting(
        "30d",
        DURATION,
        N_(
            "The SLO window whose error budget is left on screen (its start taken at the whole "
            "hour)."
        ),
    )
    page_burn: float = setting(
        14.4,
        number(above=0),
        N_("A carrier pages when its burn rate is above this over both page windows…"),
    )
    page_long: str = setting("1h", DURATION, N_("…the long one…"))
    page_short: str = setting(
        "5m", DURATION, N_("…and the short one (it resolves the alert quickly once fixed).")
    )
    ticket_burn: float = setting(
        6.0, number(above=0), N_("A slower burn raises a ticket above this over both…")
    )
    ticket_long: str = setting("6h", DURATION, N_("…the long ticket window…"))
    ticket_short: str = setting("30m", DURATION, N_("…and the short one."))
    min_finished: int = setting(
        20,
        count(),
        N_("Finished messages a carrier needs in a short window before its burn is judged."),
    )

    def problems(self) -> list[tuple[str, str]]:
        """A burn above ``1 / (1 - delivery)`` cannot happen (every message failing): a
        threshold there would never fire, and nothing would say so."""
        most = 1 / (1 - self.delivery)
        return [
            (
                key,
                _(
                    "{limit:g}x can never be reached with delivery = {delivery:g}: the burn is "
                    "at most {most:.1f}x, when every message fails"
                ).format(limit=limit, delivery=self.delivery, most=most),
            )
            for key, limit in (("page_burn", self.page_burn), ("ticket_burn", self.ticket_burn))
            if limit >= most
        ]


@dataclass
class ProfileTable:
    """``[profiles.NAME]``: one account.  Read into :class:`~.profile.Profile`."""

    doc: ClassVar[str] = N_(
        "One platform account, chosen by --profile NAME, FIVEC_PROFILE or default_profile. "
        "The environment variables above override its keys of the same name, and flags "
        "override both."
    )
    username: str = setting("", TEXT, N_("The platform account's username."), "acme")
    password: str = setting(
        "",
        SECRET,
        N_("The password in clear: hashed in memory, never stored; prefer password_md5."),
    )
    password_md5: str = setting(
        "",
        MD5,
        N_("The password's md5, which the platform accepts in its place (config init writes it)."),
        "e10adc3949ba59abbe56e057f20f883e",
    )
    apikey: str = setting("", SECRET, N_("The account's apikey."), "your-apikey")
    node: str = setting(
        "main", NODE, N_("The platform node: main, bj, hk, us, euro, or a full base URL.")
    )
    base_url: str = setting(
        "", NODE, N_("Another name for node; when both are set, base_url is used.")
    )
    https: bool = setting(True, FLAG, N_("HTTPS for a node given by name."))
    encode: str = setting("UTF-8", ENCODE, N_("The encoding of requests and answers."))
    timeout: float = setting(15.0, seconds(), N_("Seconds a request may take."))
    send_timeout: float = setting(30.0, seconds(), N_("Seconds a send may take."))
    retention_days: int = setting(
        30, count(1), N_("Days rows are kept in the cache, counted from when it got them.")
    )
    keep_raw_days: int = setting(
        2,
        count(0),
        N_("Days raw bodies are kept once parsed; unparsed ones are kept retention_days."),
    )
    backfill_hours: int = setting(
        24,
        count(0),
        N_("Hours of send records a fresh cache's first pull reads (within retention_days)."),
    )
    read_only: bool = setting(
        False,
        FLAG,
        N_(
            "This account watch only: no send, bulk send, blacklist removal, IP binding or "
            "sub-account action."
        ),
    )
    streams: Streams = table(Streams)
    intervals: Intervals = table(Intervals)
    push: Push = table(Push)
    alerts: Alerts = table(Alerts)
    slo: Slo = table(Slo)


@dataclass
class App:
    """``[app]``: the TUI and the interface, for every profile."""

    doc: ClassVar[str] = N_("The TUI and the interface, for every profile.")
    refresh_s: float = setting(2.0, seconds(), N_("How often screens read the cache again."))
    language: str = setting(
        "auto",
        choice(*CHOICES),
        N_("The interface's language; auto: LC_ALL, LC_MESSAGES, then LANG. --lang overrides."),
    )
    read_only: bool = setting(
        False,
        FLAG,
        N_(
            "Every profile watch only: no send, bulk send, blacklist removal, IP binding or "
            "sub-account action (--read-only or FIVEC_READ_ONLY for one run)."
        ),
    )
    duplicate_window_s: float = setting(
        600.0,
        number(least=0, unit="seconds"),
        N_(
            "The same text to the same number within this many seconds is a duplicate, sent "
            "only when confirmed again (--again on the command line); 0 turns the guard off."
        ),
    )
    audit_retention_days: int = setting(
        0,
        count(0),
        N_(
            "Days the audit trail is kept at least; 0: four times retention_days, as long as "
            "the per-minute rollups."
        ),
    )
    timezone: str = setting(
        "Asia/Shanghai",
        ZONE,
        N_(
            "The time zone of every time shown or typed without an offset: Asia/Shanghai (the "
            "platform's clock), local (this machine's), or any IANA name such as UTC."
        ),
    )
    unusual_change: float = setting(
        0.5,
        number(above=0),
        N_(
            "A headline number (messages sent, latency) is marked unusual when it differs from "
            "the same window a week earlier by more than this share of it…"
        ),
    )
    unusual_points: float = setting(
        0.03,
        RATIO,
        N_("…and a delivery rate when it differs by more than this (0.03: 3 points)."),
    )


def defaults(cls: type) -> dict[str, Any]:
    """A table's defaults by key, sub-tables as dicts."""
    return asdict(cls())


def kind(cls: type, key: str) -> Kind:
    return next(f.metadata["kind"] for f in fields(cls) if f.name == key)
