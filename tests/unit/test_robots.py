"""The chat robots against local fakes that check what each vendor's documentation demands: the
signature recomputed from the shared secret (stale timestamps refused), the payload's shape,
the mentions; and that answer as the vendor does, errors included."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
from itertools import chain
from urllib.parse import quote_plus, unquote_plus

import httpx
import pytest
from aiohttp import web
from traffic import NO_BURN, NOW, traffic

from fivec_tui import i18n, when
from fivec_tui.api.redact import mask_url
from fivec_tui.config import Profile
from fivec_tui.store import Store
from fivec_tui.sync import robots
from fivec_tui.sync.alerts import Alerter, Condition, Event, config
from fivec_tui.sync.sinks import deliver

DING_TOKEN, DING_SECRET = "dingtoken0123456789abcdef", "SECd1n9-s3cret-0123456789"
WECOM_KEY = "693a91f6-7aaa-4bc4-97a0-0ec2beefcafe"
FEISHU_TOKEN, FEISHU_SECRET = "2a7b1c3e-aaaa-bbbb-cccc-0123456789ab", "fe1shu-s1gning-secret"
SECRETS = (DING_TOKEN, DING_SECRET, WECOM_KEY, FEISHU_TOKEN, FEISHU_SECRET)
MOBILE, USER = "13800138000", "ou_7d8a6e6df7621556ce0d21922b676706"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
HOUR = 3600


class Robots:
    """DingTalk, WeCom and Feishu as their documentation describes them, on loopback.

    ``seen[vendor]`` holds every accepted message; ``refused[vendor]`` every refused request;
    ``busy[vendor]`` answers that many requests first with the vendor's rate-limit error.
    """

    def __init__(self) -> None:
        self.base = ""
        self.seen: dict[str, list[dict]] = {"dingtalk": [], "wecom": [], "feishu": []}
        self.refused: dict[str, list[dict]] = {"dingtalk": [], "wecom": [], "feishu": []}
        self.busy = {"dingtalk": 0, "wecom": 0, "feishu": 0}
        self.raw: list[str] = []  # every request line and body, to look for secrets

    def urls(self) -> dict[str, str]:
        return {
            "dingtalk": f"{self.base}/robot/send?access_token={DING_TOKEN}",
            "wecom": f"{self.base}/cgi-bin/webhook/send?key={WECOM_KEY}",
            "feishu": f"{self.base}/open-apis/bot/v2/hook/{FEISHU_TOKEN}",
        }

    async def _body(self, request: web.Request) -> dict:
        raw = await request.text()
        self.raw.append(f"{request.path_qs}\n{raw}")
        assert request.content_type == "application/json"
        return json.loads(raw)

    def _refuse(self, vendor: str, body: dict, answer: dict) -> web.Response:
        self.refused[vendor].append(body)
        return web.json_response(answer)

    def _rate_limited(self, vendor: str) -> bool:
        if self.busy[vendor] > 0:
            self.busy[vendor] -= 1
            return True
        return False

    async def dingtalk(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        query = dict(p.split("=", 1) for p in request.rel_url.raw_query_string.split("&"))
        if query.get("access_token") != DING_TOKEN:
            return self._refuse(
                "dingtalk", body, {"errcode": 300001, "errmsg": "token is not exist"}
            )
        # 加签: timestamp in ms within an hour; sign = urlEncode(base64(HmacSHA256(secret,
        # timestamp + "\n" + secret))), compared as sent (still URL-encoded).
        timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
        digest = hmac.new(
            DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(), hashlib.sha256
        ).digest()
        fresh = timestamp.isdigit() and abs(time.time() * 1000 - int(timestamp)) < HOUR * 1000
        if not fresh or sign != quote_plus(base64.b64encode(digest).decode()):
            return self._refuse("dingtalk", body, {"errcode": 310000, "errmsg": "sign not match"})
        if self._rate_limited("dingtalk"):
            return self._refuse(
                "dingtalk",
                body,
                {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"},
            )
        assert body["msgtype"] == "markdown"
        assert isinstance(body["markdown"]["title"], str) and body["markdown"]["title"]
        assert isinstance(body["markdown"]["text"], str)
        at = body["at"]
        assert set(at) <= {"atMobiles", "atUserIds", "isAtAll"}
        for name in (*at.get("atMobiles", []), *at.get("atUserIds", [])):
            assert f"@{name}" in body["markdown"]["text"]  # markdown @ needs the name in the text
        self.seen["dingtalk"].append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def wecom(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if request.query.get("key") != WECOM_KEY:
            return self._refuse("wecom", body, {"errcode": 93000, "errmsg": "invalid webhook url"})
        if self._rate_limited("wecom"):
            return self._refuse(
                "wecom", body, {"errcode": 45009, "errmsg": "api freq out of limit"}
            )
        kind = body["msgtype"]
        assert kind in ("markdown", "text") and set(body) == {"msgtype", kind}
        if kind == "markdown":
            assert set(body["markdown"]) == {"content"}  # no mention list in markdown
            assert len(body["markdown"]["content"].encode()) <= 4096
        else:
            assert set(body["text"]) <= {"content", "mentioned_list", "mentioned_mobile_list"}
            assert len(body["text"]["content"].encode()) <= 2048
        self.seen["wecom"].append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def feishu(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if request.match_info["token"] != FEISHU_TOKEN:
            return web.json_response(
                {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}
            )
        # 签名校验: timestamp (s) within an hour; timestamp + "\n" + secret is the HmacSHA256 key
        # over an empty message, then base64.
        timestamp = str(body.get("timestamp", ""))
        key = f"{timestamp}\n{FEISHU_SECRET}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < HOUR
        if not fresh or body.get("sign") != expected:
            msg = "sign match fail or timestamp is not within one hour from current time"
            return self._refuse("feishu", body, {"code": 19021, "data": {}, "msg": msg})
        if self._rate_limited("feishu"):
            return self._refuse(
                "feishu", body, {"code": 11232, "data": {}, "msg": "frequency limited psm"}
            )
        if body.get("msg_type") != "interactive" or not isinstance(body.get("card"), dict):
            return self._refuse("feishu", body, {"code": 9499, "data": {}, "msg": "Bad Request"})
        card = body["card"]
        assert card["header"]["title"]["tag"] == "plain_text" and card["header"]["title"]["content"]
        assert [e["tag"] for e in card["elements"]] == ["markdown"]
        self.seen["feishu"].append(body)
        return web.json_response({"code": 0, "data": {}, "msg": "success"})


@pytest.fixture
async def fake():
    target = Robots()
    app = web.Application()
    app.router.add_post("/robot/send", target.dingtalk)
    app.router.add_post("/cgi-bin/webhook/send", target.wecom)
    app.router.add_post("/open-apis/bot/v2/hook/{token}", target.feishu)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    target.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    yield target
    await runner.cleanup()


def robot_settings(fake: Robots, **more) -> dict:
    urls = fake.urls()
    return (
        config(
            {
                "baseline_days": 0,
                "rate_min_volume": 20,
                "spike_families": [],
                "resolve_after_s": 0,
                "dingtalk": urls["dingtalk"],
                "dingtalk_secret": DING_SECRET,
                "wecom": urls["wecom"],
                "feishu": urls["feishu"],
                "feishu_secret": FEISHU_SECRET,
                "mention": [MOBILE, USER],
                **more,
            }
        )
        | NO_BURN
    )


def texts(fake: Robots) -> dict[str, list[str]]:
    """What a person reads in each robot's messages, in order."""
    return {
        "dingtalk": [m["markdown"]["text"] for m in fake.seen["dingtalk"]],
        "wecom": [m.get("markdown", m.get("text", {})).get("content") for m in fake.seen["wecom"]],
        "feishu": [
            m["card"]["header"]["title"]["content"] + "\n" + m["card"]["elements"][0]["content"]
            for m in fake.seen["feishu"]
        ],
    }


async def outage_and_recovery(tmp_path, fake, sink, language: str, caplog) -> tuple:
    """One delivery-rate alert fired and resolved, delivered to every sink."""
    store = Store(tmp_path / "r.db")
    clock = [NOW]
    traffic(store, NOW - 120, delivered=10, failed=50, status="MA:0054")
    out = tmp_path / "command.txt"
    settings = robot_settings(
        fake,
        language=language,
        webhook=sink.url,
        command=f'printf "%s\\n" "$FIVEC_ALERT_MESSAGE" >> {out}',
    )
    alerter = Alerter("ops", store, settings, clock=lambda: clock[0], account="demo001")
    events = []
    with caplog.at_level(logging.INFO, "fivec_tui.alerts"):
        async with httpx.AsyncClient() as http:
            for _ in range(2):
                for event in alerter.evaluate():
                    events.append(event)
                    await deliver(event, "ops", alerter.settings, http)
                clock[0] = NOW + 3600  # the outage left the window; healthy traffic since
                traffic(store, clock[0] - 60, delivered=60, failed=0)
    assert [(e.state, e.condition.rule) for e in events] == [
        ("firing", "delivery_rate"),
        ("resolved", "delivery_rate"),
    ]
    rows = store.query("SELECT message FROM alerts ORDER BY id")
    return events, [r["message"] for r in rows], out.read_text().splitlines()


def assert_one_firing_one_resolved(fake: Robots, events) -> None:
    firing, resolved = (e.condition.message for e in events)
    shown = texts(fake)
    assert len(shown["dingtalk"]) == 2 and len(shown["feishu"]) == 2
    assert len(shown["wecom"]) == 3  # firing markdown, its mention text, resolved markdown
    for vendor in ("dingtalk", "feishu"):
        assert firing in shown[vendor][0] and resolved in shown[vendor][1]
    assert firing in shown["wecom"][0] and resolved in shown["wecom"][2]
    ding_first, ding_last = fake.seen["dingtalk"]
    assert ding_first["at"]["atMobiles"] == [MOBILE] and ding_first["at"]["atUserIds"] == [USER]
    assert ding_last["at"]["atMobiles"] == [] and ding_last["at"]["atUserIds"] == []
    assert f"@{MOBILE}" not in ding_last["markdown"]["text"]
    mention = fake.seen["wecom"][1]["text"]
    assert mention["mentioned_mobile_list"] == [MOBILE] and mention["mentioned_list"] == [USER]
    assert [m["msgtype"] for m in fake.seen["wecom"]] == ["markdown", "text", "markdown"]
    assert f"<at id={USER}></at>" in shown["feishu"][0]
    assert "<at " not in shown["feishu"][1]
    colours = [m["card"]["header"]["template"] for m in fake.seen["feishu"]]
    assert colours == ["red", "green"]
    for raw in fake.raw:  # the request lines legitimately carry the URL token; the bodies none
        body = raw.split("\n", 1)[1]
        assert not [s for s in SECRETS if s in body]
        assert DING_SECRET not in raw and FEISHU_SECRET not in raw


async def test_zh_profile_robots_and_every_sink_speak_chinese(tmp_path, fake, sink, caplog):
    events, rows, command = await outage_and_recovery(tmp_path, fake, sink, "zh", caplog)
    assert_one_firing_one_resolved(fake, events)
    firing, resolved = (e.condition.message for e in events)
    assert "到达率" in firing and CJK.search(resolved)
    assert rows == [firing, resolved] and command == [firing, resolved]  # stored, command
    assert [h["message"] for h in sink.json] == [firing, resolved]  # webhook
    shown = texts(fake)
    for vendor, messages in shown.items():
        assert all(CJK.search(m) for m in messages), vendor
    assert "告警触发：到达率" in shown["dingtalk"][0] and "告警恢复：到达率" in shown["feishu"][1]
    assert "账号" in shown["wecom"][0] and "ops / demo001" in shown["wecom"][0]
    assert "+08:00" in shown["dingtalk"][0] and "阈值 < 90%" in shown["dingtalk"][0]
    assert "`MA:0054` ×50" in shown["feishu"][0]  # the top failure code, with its meaning
    alert_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ALERT")]
    assert len(alert_lines) == 2 and not any(CJK.search(line) for line in alert_lines)  # English
    assert not [s for s in SECRETS if s in caplog.text]


async def test_en_profile_robots_speak_english_only(tmp_path, fake, sink, caplog):
    events, rows, command = await outage_and_recovery(tmp_path, fake, sink, "en", caplog)
    assert_one_firing_one_resolved(fake, events)
    shown = texts(fake)
    everything = [*rows, *command, *(h["message"] for h in sink.json), *chain(*shown.values())]
    assert everything and not [t for t in everything if CJK.search(t)]
    assert "Alert firing: delivery rate" in shown["dingtalk"][0]
    assert "Alert resolved: delivery rate" in shown["wecom"][2]


def test_auto_language_is_the_interface_language_when_the_alerter_is_built(tmp_path):
    store = Store(tmp_path / "l.db")
    try:
        i18n.use("zh")
        zh = Alerter("ops", store, config({}))
        fixed = Alerter("ops", store, config({"language": "en"}))
    finally:
        i18n.use("en")
    assert zh.settings["language"] == "zh" and fixed.settings["language"] == "en"
    assert Alerter("ops", store, config({})).settings["language"] == "en"


def _event() -> Event:
    condition = Condition("balance", "account", True, "balance 500", {"remaining": 500})
    return Event("firing", condition, time.time(), time.time(), "demo001")


async def test_a_sign_error_is_given_up_and_logged_masked(fake, caplog):
    urls = fake.urls()
    settings = config(
        {
            "dingtalk": urls["dingtalk"],
            "dingtalk_secret": "SECnot-the-robots-secret",
            "feishu": urls["feishu"],
            "feishu_secret": "not-the-bots-secret",
            "wecom": urls["wecom"].replace(WECOM_KEY, "wrong-key-0000"),
            "webhook_retries": 3,
        }
    )
    with caplog.at_level(logging.WARNING, "fivec_tui.alerts"):
        async with httpx.AsyncClient() as http:
            await deliver(_event(), "ops", settings, http)
    assert [len(fake.refused[v]) for v in ("dingtalk", "feishu", "wecom")] == [1, 1, 1]
    assert not any(fake.seen.values())
    log = caplog.text
    assert "alert dingtalk" in log and "errcode 310000: sign not match" in log
    assert "code 19021" in log and "errcode 93000" in log
    assert log.count("not retried") == 3 and "attempt" not in log
    assert "access_token=***" in log and "/bot/v2/hook/***" in log and "key=***" in log
    for secret in (*SECRETS, "SECnot-the-robots-secret", "not-the-bots-secret", "wrong-key-0000"):
        assert secret not in log


async def test_a_rate_limit_answer_is_retried(fake, caplog):
    fake.busy = {"dingtalk": 1, "wecom": 1, "feishu": 1}
    settings = robot_settings(fake, webhook_retries=2, mention=[])
    with caplog.at_level(logging.WARNING, "fivec_tui.alerts"):
        async with httpx.AsyncClient() as http:
            await deliver(_event(), "ops", settings, http)
    assert [len(fake.refused[v]) for v in ("dingtalk", "wecom", "feishu")] == [1, 1, 1]
    assert [len(fake.seen[v]) for v in ("dingtalk", "wecom", "feishu")] == [1, 1, 1]
    for vendor, code in (("dingtalk", "130101"), ("wecom", "45009"), ("feishu", "11232")):
        assert f"alert {vendor} " in caplog.text and f" {code}: " in caplog.text
    assert "attempt 1 failed" in caplog.text and "not retried" not in caplog.text
    assert not [s for s in SECRETS if s in caplog.text]


async def test_the_fakes_refuse_stale_or_forged_signatures(fake):
    """The fakes check the time as the vendors do: a signature over an hour old is refused."""
    text = robots.compose(_event(), "ops", "en")
    urls, who = fake.urls(), robots.Mentions()
    stale = time.time() - 2 * HOUR
    async with httpx.AsyncClient() as http:
        for url, body in (
            robots.dingtalk(urls["dingtalk"], DING_SECRET, text, who, stale),
            robots.dingtalk(urls["dingtalk"], DING_SECRET + "x", text, who, time.time()),
        ):
            assert (await http.post(url, json=body)).json()["errcode"] == 310000
        for url, body in (
            robots.feishu(urls["feishu"], FEISHU_SECRET, text, who, stale),
            robots.feishu(urls["feishu"], FEISHU_SECRET + "x", text, who, time.time()),
        ):
            assert (await http.post(url, json=body)).json()["code"] == 19021
        url, body = robots.dingtalk(urls["dingtalk"], DING_SECRET, text, who, time.time())
        assert (await http.post(url, json=body)).json()["errcode"] == 0
    sign = unquote_plus(url.rsplit("sign=", 1)[1])
    assert base64.b64decode(sign, validate=True) and "%2B" not in sign


def test_mentions_split_phone_numbers_from_user_ids():
    who = robots.Mentions.of(["13800138000", "+8613900139000", "ou_abc", "zhangsan", "all", " "])
    assert who.mobiles == ("13800138000", "+8613900139000")
    assert who.ids == ("ou_abc", "zhangsan") and who.everyone
    url, body = robots.dingtalk(
        "http://h/robot/send?access_token=t", "", robots.Text("firing", "t", ("x",)), who, 0.0
    )
    assert "timestamp" not in url and body["at"]["isAtAll"] is True
    wecom = robots.wecom("http://h/send?key=k", robots.Text("firing", "t", ("x",)), who)
    assert wecom[1][1]["text"]["mentioned_list"] == ["ou_abc", "zhangsan", "@all"]
    _, feishu = robots.feishu("http://h/hook/t", "", robots.Text("firing", "t", ("x",)), who, 0)
    assert "<at id=all></at>" in feishu["card"]["elements"][0]["content"]
    assert "13800138000" not in json.dumps(feishu)  # Feishu has no mention by phone number
    assert "sign" not in feishu


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://open.feishu.cn/open-apis/bot/v2/hook/shorttoken",
            "https://open.feishu.cn/open-apis/bot/v2/hook/***",
        ),
        (
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***",
        ),
        (
            "https://oapi.dingtalk.com/robot/send?access_token=abc",
            "https://oapi.dingtalk.com/robot/send?access_token=***",
        ),
    ],
)
def test_robot_urls_are_masked(url, shown):
    assert mask_url(url) == shown


def test_robot_settings_are_checked_and_secrets_not_shown():
    for bad in ({"language": "fr"}, {"mention": "13800138000"}, {"mention": [1]}, {"dingtalk": 5}):
        with pytest.raises(ValueError, match="alerts"):
            config(bad)
    profile = Profile("ops")
    profile.alerts = {"dingtalk_secret": DING_SECRET, "feishu": f"https://f/hook/{FEISHU_TOKEN}"}
    shown = json.dumps(profile.shown(), ensure_ascii=False)
    assert DING_SECRET not in shown and FEISHU_TOKEN not in shown


def test_a_status_code_cannot_post_markup_or_a_link_to_the_on_call_group():
    """A pushed status left its code span: an outsider posted a working phishing link and an
    @all through every robot as a "top failure code"."""
    hostile = "X` @ALL <AT ID=ALL></AT>\n\n[CLICK HERE](HTTP://EVIL.EXAMPLE/LOGIN)\n\n`Y"
    condition = Condition("delivery_rate", "account", True, f"rate low *{hostile}*")
    condition.codes = [(hostile, 80)]
    lines = robots.compose(Event("firing", condition, NOW, NOW, "demo001"), "ops", "en").lines
    assert len([line for line in lines if "EVIL" in line]) == 2  # the details, the code: no more
    for line in lines:
        if "EVIL" in line:
            body = line.split(":", 1)[1] if "Details" in line else line.removeprefix("- ")
            for mark in ("\n", "<", "[", "](", "://", "@"):
                assert mark not in body.replace("**", ""), (mark, line)
            if line.startswith("- `"):  # one code span, whole
                assert line.count("`") == 2


def test_robot_texts_give_times_in_the_display_zone():
    condition = Condition("balance", "account", False, "balance back", {"remaining": 5000})
    event = Event("resolved", condition, NOW, NOW - 600, "demo001")  # 2026-11-25 17:46:40 +08
    try:
        text = "\n".join(robots.compose(event, "ops", "en").lines)
        assert "2026-11-25 17:36:40 +08:00" in text and "2026-11-25 17:46:40 +08:00" in text
        when.use_zone("UTC")
        text = "\n".join(robots.compose(event, "ops", "en").lines)
        assert "2026-11-25 09:36:40 UTC" in text and "2026-11-25 09:46:40 UTC" in text
    finally:
        when.use_zone(when.PLATFORM_ZONE)
