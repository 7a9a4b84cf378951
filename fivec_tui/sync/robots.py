"""The chat robots Chinese on-call groups are paged by: DingTalk, WeCom and Feishu.

Each is built from its vendor's public documentation:

- **DingTalk custom robot** (钉钉自定义机器人): https://open.dingtalk.com/document/orgapp/custom-robot-access,
  security settings (加签) https://open.dingtalk.com/document/orgapp/customize-robot-security-settings,
  message types https://open.dingtalk.com/document/orgapp/custom-bot-send-message-type.
  JSON POST to ``https://oapi.dingtalk.com/robot/send?access_token=…``.  A signing robot wants
  ``timestamp`` (milliseconds, within an hour of DingTalk's clock) and ``sign`` in the query:
  ``sign = urlEncode(base64(HmacSHA256(key=secret, msg=timestamp + "\\n" + secret)))``, UTF-8.
  We send ``msgtype: markdown``; ``at.atMobiles`` / ``at.atUserIds`` / ``at.isAtAll`` only
  ping in a markdown message when the text itself holds ``@<mobile>`` / ``@<userid>``.  The
  answer is HTTP 200 with ``errcode``: 0 delivered; 130101 (over 20 a minute) and -1 (busy)
  are retried; 310000 (sign, keyword or IP check failed), 300001 (bad token) and the rest
  are given up.
- **WeCom group robot** (企业微信群机器人): https://developer.work.weixin.qq.com/document/path/91770.
  JSON POST to ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``; no signature, the
  ``key`` is the secret.  Only ``text`` messages take ``mentioned_list`` (user ids, ``@all``)
  and ``mentioned_mobile_list``; ``markdown`` has no mention list and cannot @ a phone number.
  So the alert goes as markdown (readable), and a firing alert with people to @ is followed
  by a one-line ``text`` message carrying the mentions.  ``errcode`` 0 delivered; 45009
  (frequency limit, 20 a minute) and -1 (busy) are retried; 93000 (bad key) and the rest given up.
- **Feishu custom bot** (飞书自定义机器人): https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot,
  card markdown https://open.feishu.cn/document/ukTMukTMukTM/uADOwUjLwgDM14CM4ATN.  JSON POST to
  ``https://open.feishu.cn/open-apis/bot/v2/hook/<token>``.  A signing bot wants ``timestamp``
  (seconds, within an hour) and ``sign`` in the JSON body, where ``timestamp + "\\n" + secret``
  is the HMAC-SHA256 *key* over an empty message: ``sign = base64(HmacSHA256(key=…, msg=""))``
  (not DingTalk's scheme).  We send an ``interactive`` card whose ``markdown`` element holds
  ``<at id=USER_ID></at>`` (``all``: everyone); Feishu has no mention by phone number.
  ``code`` 0 delivered; 11232 (rate limited) is retried; 9499 (bad request), 19021 (sign or
  timestamp), 19022 (IP), 19024 (keyword) and the rest are given up.

Everything is retried like the webhook: transport errors, HTTP 408/429/5xx and the codes
above, ``webhook_retries`` times with backoff.  URLs are logged through ``mask_url``; the
signing secrets are never logged or sent.  Texts are in the profile's language.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

import httpx

from ..api.carriers import NAMES
from ..api.redact import MASK, mask_url, mask_urls
from ..i18n import N_, gettext_for
from ..store.codes import describe
from ..text import visible
from ..when import show_full

if TYPE_CHECKING:
    from .alerts import Event

log = logging.getLogger("fivec_tui.alerts")

DETAILS_MAX = 600  # characters of a rule's message shown (job errors can be long)
WECOM_MAX_BYTES = 4096  # markdown content limit

Request = tuple[str, dict[str, Any]]  # where to POST, the JSON body
Verdict = tuple[str | None, bool]  # (why it failed, or None; worth retrying)

RULE_NAMES = {
    "delivery_rate": N_("delivery rate"),
    "failure_spike": N_("failure spike"),
    "pending": N_("reports overdue"),
    "balance": N_("balance"),
    "opt_outs": N_("opt-out replies"),
    "job": N_("sync job"),
}
TITLES = {
    "firing": N_("Alert firing: {rule}"),
    "repeat": N_("Alert still firing: {rule}"),
    "resolved": N_("Alert resolved: {rule}"),
}
_MOBILE = re.compile(r"\+?\d{7,15}")


@dataclass(frozen=True)
class Mentions:
    """Who to @: phone numbers, user ids, everyone (``all``)."""

    mobiles: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    everyone: bool = False

    @classmethod
    def of(cls, names: Iterable[str]) -> Mentions:
        names = [n.strip() for n in names if n.strip()]
        return cls(
            tuple(n for n in names if _MOBILE.fullmatch(n)),
            tuple(
                n for n in names if not _MOBILE.fullmatch(n) and n.lower() not in ("all", "@all")
            ),
            any(n.lower() in ("all", "@all") for n in names),
        )

    def __bool__(self) -> bool:
        return bool(self.mobiles or self.ids or self.everyone)


@dataclass(frozen=True)
class Text:
    """One alert as the robots show it, in the profile's language."""

    state: str
    title: str
    lines: tuple[str, ...]  # markdown lines


#: Markdown's own characters in untrusted text, as look-alikes that do nothing: no tag
#: (``<at id=all>``), link, image, code span left, emphasis, heading, table or mention, and
#: no line of its own.
_INERT = str.maketrans(
    {
        "<": "‹", ">": "›", "`": "ˋ", "[": "［", "]": "］", "*": "∗",
        "_": "＿", "#": "＃", "@": "＠", "|": "￨", "~": "～", "\\": "＼", "\n": " ", "\r": " ",
    }
)  # fmt: skip


def _inert(text: str) -> str:
    """Untrusted text (a platform error, a status code a pusher chose) made harmless in the
    robots' markdown: no markup of its own (:data:`_INERT`), no address a client links
    (``://``), no URL secret, bounded."""
    text = visible(mask_urls(text).translate(_INERT).replace("://", "：//"))
    return text if len(text) <= DETAILS_MAX else text[: DETAILS_MAX - 1] + "…"


def compose(event: Event, profile: str, language: str) -> Text:
    """Rule, account, value against threshold, since when (in the display zone), the rule's message
    and the top failure codes with their meanings."""
    _x = gettext_for(language)
    c = event.condition
    rule = _x(RULE_NAMES[c.rule]) if c.rule in RULE_NAMES else c.rule

    def line(label: str, value: str) -> str:
        return _x(N_("{label}: {value}")).format(label=f"**{_x(label)}**", value=value).rstrip()

    lines = [line(N_("Account"), f"{profile} / {event.account}" if event.account else profile)]
    if c.carrier:
        lines.append(line(N_("Carrier"), _x(NAMES.get(c.carrier, c.carrier))))
    if c.value:
        value = c.value
        if c.threshold:
            value = _x(N_("{value} (threshold {threshold})")).format(
                value=c.value, threshold=c.threshold
            )
        lines.append(line(N_("Value"), value))
    if event.since is not None:
        lines.append(line(N_("Since"), show_full(event.since)))
    if event.state == "resolved":
        lines.append(line(N_("Resolved at"), show_full(event.at)))
        if event.since is not None:
            minutes = max(event.at - event.since, 0) / 60
            lines.append(line(N_("Lasted"), _x(N_("{minutes:.0f} min")).format(minutes=minutes)))
    lines.append(line(N_("Details"), _inert(c.message)))
    if c.codes:
        lines.append(line(N_("Top failure codes"), ""))
        for code, n in c.codes:
            lines.append(f"- `{_inert(code)}` ×{n} {describe(code, language).meaning}")
    return Text(event.state, _x(TITLES[event.state]).format(rule=rule), tuple(lines))


def dingtalk_sign(secret: str, timestamp: str) -> str:
    """Base64 of HMAC-SHA256 with the secret as key over ``timestamp + "\\n" + secret``."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def feishu_sign(secret: str, timestamp: str) -> str:
    """Base64 of HMAC-SHA256 with ``timestamp + "\\n" + secret`` as key over nothing."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def dingtalk(url: str, secret: str, text: Text, who: Mentions, now: float) -> Request:
    ats = " ".join(f"@{n}" for n in (*who.mobiles, *who.ids))
    body = "\n\n".join((f"#### {text.title}", *text.lines, *((ats,) if ats else ())))
    message = {
        "msgtype": "markdown",
        "markdown": {"title": text.title, "text": body},
        "at": {"atMobiles": list(who.mobiles), "atUserIds": list(who.ids), "isAtAll": who.everyone},
    }
    if secret:
        timestamp = str(int(now * 1000))
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}timestamp={timestamp}&sign={quote_plus(dingtalk_sign(secret, timestamp))}"
    return url, message


def wecom(url: str, text: Text, who: Mentions) -> list[Request]:
    content = "\n".join((f"### {text.title}", *text.lines)).encode()
    if len(content) > WECOM_MAX_BYTES:
        content = content[: WECOM_MAX_BYTES - 3] + "…".encode()
    out = [(url, {"msgtype": "markdown", "markdown": {"content": content.decode(errors="ignore")}})]
    if who:
        mention = {
            "content": text.title,
            "mentioned_list": [*who.ids, *(["@all"] if who.everyone else [])],
            "mentioned_mobile_list": list(who.mobiles),
        }
        out.append((url, {"msgtype": "text", "text": mention}))
    return out


def feishu(url: str, secret: str, text: Text, who: Mentions, now: float) -> Request:
    ats = "".join(f"<at id={n}></at>" for n in (*who.ids, *(["all"] if who.everyone else [])))
    colour = {"firing": "red", "repeat": "orange"}.get(text.state, "green")
    message: dict[str, Any] = {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": text.title}, "template": colour},
            "elements": [{"tag": "markdown", "content": "\n".join((*text.lines, ats)).strip()}],
        },
    }
    if secret:
        timestamp = str(int(now))
        message |= {"timestamp": timestamp, "sign": feishu_sign(secret, timestamp)}
    return url, message


def verdict(r: httpx.Response, field: str | None = None, retry: Iterable[int] = ()) -> Verdict:
    """Whether ``r`` delivered: a robot's own error ``field`` first (it answers 200 with it),
    then the HTTP status (408, 429 and 5xx are worth retrying)."""
    answer: Any = None
    if field:
        try:
            answer = r.json()
        except ValueError:
            answer = None
    if isinstance(answer, dict) and answer.get(field) not in (None, 0):
        code = answer[field]
        why = str(answer.get("errmsg") or answer.get("msg") or "")[:200]
        return f"{field} {code}: {why}", code in set(retry)
    if r.status_code < 300:
        return None, False
    return f"HTTP {r.status_code}", r.status_code in (408, 429) or r.status_code >= 500


async def post(
    http: httpx.AsyncClient,
    sink: str,
    url: str,
    make: Callable[[], Request],
    judge: Callable[[httpx.Response], Verdict],
    retries: int,
    secrets: Iterable[str] = (),
) -> bool:
    """POST what ``make`` builds (again for each attempt: signatures carry the time) until
    ``judge`` accepts it, it says retrying cannot help, or ``retries`` are spent.  Failures are
    logged with the URL masked and the secrets blanked, never raised."""
    hidden = [s for s in secrets if s]
    for attempt in range(retries + 1):
        try:
            target, body = make()
            why, again = judge(await http.post(target, json=body, timeout=10))
            if why is None:
                return True
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL: not an HTTPError
            why, again = f"{type(exc).__name__}: {exc}", True
        why = mask_urls(why)
        for secret in hidden:
            why = why.replace(secret, MASK)
        if not again:
            log.error("alert %s %s failed, not retried: %s", sink, mask_url(url), why)
            return False
        log.warning("alert %s %s attempt %d failed: %s", sink, mask_url(url), attempt + 1, why)
        if attempt < retries:
            await asyncio.sleep(min(2**attempt, 30))
    log.error("alert %s %s: given up after %d attempts", sink, mask_url(url), retries + 1)
    return False


def sends(
    event: Event, profile: str, settings: dict[str, Any], language: str, http: httpx.AsyncClient
) -> list[Awaitable[bool]]:
    """The deliveries to every robot the settings name, for one event."""
    if not any(settings.get(k) for k in ("dingtalk", "wecom", "feishu")):
        return []
    text = compose(event, profile, language)
    who = Mentions.of(settings.get("mention") or []) if event.state != "resolved" else Mentions()
    retries = int(settings["webhook_retries"])
    out: list[Awaitable[bool]] = []
    if url := settings.get("dingtalk"):
        secret = settings.get("dingtalk_secret", "")
        make = partial(lambda u, s: dingtalk(u, s, text, who, time.time()), url, secret)
        judge = partial(verdict, field="errcode", retry=(130101, -1))
        out.append(post(http, "dingtalk", url, make, judge, retries, (secret,)))
    if url := settings.get("wecom"):
        out.append(_in_order(http, url, wecom(url, text, who), retries))
    if url := settings.get("feishu"):
        secret = settings.get("feishu_secret", "")
        make = partial(lambda u, s: feishu(u, s, text, who, time.time()), url, secret)
        judge = partial(verdict, field="code", retry=(11232,))
        out.append(post(http, "feishu", url, make, judge, retries, (secret,)))
    return out


async def _in_order(
    http: httpx.AsyncClient, url: str, requests: list[Request], retries: int
) -> bool:
    """WeCom's markdown, then its mention text: the @ arrives after what it points at."""
    judge = partial(verdict, field="errcode", retry=(45009, -1))
    ok = True
    for request in requests:
        ok &= await post(http, "wecom", url, partial(lambda r: r, request), judge, retries)
    return ok
