"""The simulator's HTTP face: the platform's endpoints, fault injection, inspection.

Endpoints answer as the API document says (HTTP 200 with ``success:``/``error:`` bodies;
a ``format=json`` send gets ``{"status":"success","msg":"<msgid>"}``, as the platform
answers it).  ``/_sim/state`` (GET) and ``/_sim/control`` (POST JSON) are for tests and
demos only; with a ``control_token`` they answer only requests that carry it
(``Authorization: Bearer TOKEN``), so that another user of the machine cannot drive the
demo's simulator (``fivec-tui sim`` always has one).

Requests are read as the platform (PHP) reads them: see :mod:`fivec_tui.sim`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import asdict, replace
from functools import partial
from typing import Any

from aiohttp import web

from . import answers, soap, subaccounts, wire
from .scenario import ScenarioError, fault_table
from .state import Account, Platform, SimError
from .wire import field as _s

Handler = Callable[[web.Request, dict[str, bytes]], Awaitable[str]]
ROUTES = {
    "/api/send/index.php": "send",
    "/api/send/sms_batch.php": "batch",
    "/api/query/index.php": "query",
    "/api/recv/index.php": "recv",
    "/api/reply/index.php": "reply",
    "/api/black/index.php": "black",
    "/api/bind/index.php": "bind",
    "/api/user/index.php": "user",
}
#: Every path the platform serves: each endpoint's folder is its index.php, plus SOAP.
PATHS = {
    **ROUTES,
    **{path.removesuffix("index.php"): name for path, name in ROUTES.items() if name != "batch"},
    soap.PATH: "webservice",
}


def _ts(value: str, missing: str) -> float:
    if not value:
        raise SimError(missing)
    try:
        return float(int(value))
    except ValueError:
        raise SimError(missing) from None


class SimServer:
    """The platform's HTTP endpoints over a :class:`Platform`."""

    def __init__(self, platform: Platform, seed: int = 0, control_token: str = "") -> None:
        self.platform = platform
        self.control_token = control_token
        self.fault_rng = random.Random(seed ^ 0x5C5C)
        self.faults: dict[str, dict[str, float | str]] = {
            k: dict(v) for k, v in platform.scenario.faults.items()
        }
        self.push_urls: dict[str, str] = {}
        #: Indexes into platform.served_chunks of report chunks garbled, cut or never answered.
        self.damaged_chunks: set[int] = set()
        #: Requests per endpoint that reached the platform (its handler ran).
        self.requests: dict[str, int] = {}
        #: Requests per endpoint that reached this server, those a fault answered included.
        self.arrived: dict[str, int] = {}
        #: Per endpoint, the ``answer_with`` answers given, by kind ("body" for a literal).
        self.answered: dict[str, dict[str, int]] = {}
        self.log: list[dict[str, Any]] = []
        self.app = web.Application(middlewares=[self._faults], client_max_size=32 * 1024 * 1024)
        handlers: dict[str, Handler] = {
            "send": self.send,
            "batch": self.batch,
            "query": self.query,
            "recv": self.recv,
            "reply": self.reply,
            "black": self.black,
            "bind": self.bind,
            "user": self.user,
        }
        for path, name in PATHS.items():
            if name == "webservice":
                self.app.router.add_route("*", path, partial(soap.serve, self))
                continue
            self.app.router.add_route("*", path, self._endpoint(name, handlers[name]))
            if path.endswith("/"):
                self.app.router.add_route("*", path.rstrip("/"), self._to_folder)
        self.app.router.add_get("/_sim/state", self.state)
        self.app.router.add_post("/_sim/control", self.control)

    # -- plumbing -------------------------------------------------------------------------
    def _endpoint(self, name: str, handler: Handler):
        async def run(request: web.Request) -> web.Response:
            fields = wire.form_fields(
                request.rel_url.raw_query_string,
                request.headers.get("Content-Type", ""),
                await request.read() if request.method == "POST" else b"",  # $_POST: POST only
            )
            self.requests[name] = self.requests.get(name, 0) + 1
            try:
                cs = wire.charset(_s(fields, "encode") or None)
            except SimError:
                cs = "gbk"
            try:
                body = await handler(request, fields)
            except SimError as exc:
                body = f"error:{exc}"
            if name == "send" and _s(fields, "format").lower() == "json":
                status, _, msg = body.partition(":")
                body = json.dumps({"status": status, "msg": msg}, separators=(",", ":"))
            self.log.append({"endpoint": name, "body": body[:200]})
            del self.log[:-1000]
            return web.Response(
                body=body.encode(cs, errors="replace"), content_type="text/plain", charset=cs
            )

        return run

    async def _to_folder(self, request: web.Request) -> web.Response:
        """``/api/send`` → ``/api/send/``, as a web server answers a folder without its slash."""
        query = request.rel_url.raw_query_string
        raise web.HTTPMovedPermanently(request.path + "/" + (f"?{query}" if query else ""))

    @web.middleware
    async def _faults(self, request: web.Request, handler) -> web.StreamResponse:
        name = PATHS.get(request.path)
        if name:
            self.arrived[name] = self.arrived.get(name, 0) + 1
        spec = self.faults.get(name or "", {})
        if not spec:
            return await handler(request)
        rng = self.fault_rng
        if spec.get("latency_ms"):
            await asyncio.sleep(spec["latency_ms"] / 1000 * rng.uniform(0.5, 1.5))
        if rng.random() < spec.get("http_5xx", 0):
            return web.Response(status=rng.choice((500, 502, 503)), text="Bad Gateway")
        if rng.random() < spec.get("throttle", 0):  # refused before handling: nothing sent
            return web.Response(text="error:Throughput Rate Exceeded", content_type="text/plain")
        if rng.random() < spec.get("reset", 0):
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        damage = ""
        if "answer_with" in spec and rng.random() < spec.get("answer_with_p", 1.0):
            answer = str(spec["answer_with"])
            counts = self.answered.setdefault(name or "", {})
            kind = answer if answer in answers.KINDS else "body"
            counts[kind] = counts.get(kind, 0) + 1
            if not answers.reaches_platform(answer):
                return await answers.stand_in(answer, request)
            damage = answer
        chunks = len(self.platform.served_chunks)
        response = await handler(request)
        assert isinstance(response, web.Response)
        served_a_chunk = len(self.platform.served_chunks) > chunks
        body = response.body if isinstance(response.body, bytes) else b""
        if rng.random() < spec.get("timeout", 0):
            # The request was handled (a send went out), only the answer never comes back.
            self._damaged(served_a_chunk, chunks)
            await asyncio.sleep(spec.get("hang_s", 60))
        if not damage and rng.random() < spec.get("garbage", 0):
            damage = "garbage"
        elif not damage and rng.random() < spec.get("truncate", 0) and len(body) > 1:
            damage = "truncated"
        if damage:
            body = answers.damaged(damage, body, rng)
            self._damaged(served_a_chunk, chunks)
        if rng.random() < spec.get("bom", 0):
            body = b"\xef\xbb\xbf" + body
        if rng.random() < spec.get("crlf", 0):
            body = b"\r\n" + body + b"\r\n"
        response.body = body
        return response

    def _damaged(self, served_a_chunk: bool, index: int) -> None:
        """Remember a report chunk whose body never reached the client intact."""
        if served_a_chunk:
            self.damaged_chunks.add(index)

    def authenticate(
        self, request: web.Request, fields: dict[str, str], password: bytes
    ) -> Account:
        """Authenticate by ``password_md5``, or by the plain ``password`` hashed here."""
        md5 = fields.get("password_md5", "")
        if not md5 and password:
            md5 = hashlib.md5(password).hexdigest()
        return self.platform.authenticate(
            fields.get("username", ""), md5, fields.get("apikey", ""), request.remote or ""
        )

    def _auth(self, request: web.Request, fields: dict[str, bytes]) -> Account:
        return self.authenticate(
            request,
            {k: _s(fields, k) for k in ("username", "password_md5", "apikey")},
            fields.get("password", b"").strip(),
        )

    # -- sending --------------------------------------------------------------------------
    async def send(self, request: web.Request, fields: dict[str, bytes]) -> str:
        fmt = _s(fields, "format").lower()
        if fmt in ("json", "xml"):
            doc = wire.parse_data(fmt, fields.get("data", b""))
            account = self.authenticate(request, doc, doc.get("password", "").encode("utf-8"))
            cs = wire.charset(doc.get("encode"))
            mobiles, content = doc.get("mobile", ""), wire.unquote_in(doc.get("content", ""), cs)
            start, ext, templet = (
                doc.get("startTime", ""),
                doc.get("ext", ""),
                doc.get("templet_code", ""),
            )
        else:
            account = self._auth(request, fields)
            cs = wire.charset(_s(fields, "encode") or None)
            mobiles = _s(fields, "mobile")
            content = wire.content_text(fields.get("content", b""), cs)
            start, ext, templet = _s(fields, "startTime"), _s(fields, "ext"), ""
        if templet:
            content = self._render(templet, content)
        when = float(start) if start.isdigit() else 0.0
        msg = self.platform.submit(account, wire.numbers(mobiles), content, when, ext)
        return f"success:{msg.msgid}"

    def _render(self, code: str, content: str) -> str:
        try:
            variables = json.loads(content)
        except ValueError:
            raise SimError("Missing message content") from None
        if not isinstance(variables, dict):
            raise SimError("Missing message content")
        text = f"模板{code}:" + "".join(
            f"{k}={v};" for k, v in variables.items() if k != "{短信签名}"
        )
        return text + str(variables.get("{短信签名}") or "【美联软通】")

    async def batch(self, request: web.Request, fields: dict[str, bytes]) -> str:
        account_fields, items = wire.parse_batch(fields.get("data", b""))
        password = account_fields.get("password", "").encode("utf-8")
        account = self.authenticate(request, account_fields, password)
        cs = wire.charset(account_fields.get("encode"))
        if not items:
            raise SimError("Missing recipient")
        # One request, one look at the send frequency (§3.1.2 "发送频率受限"), before any item
        # is taken: a refusal sends nothing, as the platform's does.  Counting each item as a
        # request refused every batch larger than the limit and kept the items before it.
        self.platform.check_throughput()
        first = None
        for item in items:
            numbers = [m for m in item.get("mobile", "").replace(";", ",").split(",") if m]
            start = item.get("startTime", "0")
            msg = self.platform.submit(
                account,
                numbers,
                wire.unquote_in(item.get("content", ""), cs),
                float(start) if start.isdigit() else 0.0,
                background=True,
            )
            first = first or msg
        return f"success:{first.msgid}"

    # -- queries --------------------------------------------------------------------------
    async def query(self, request: web.Request, fields: dict[str, bytes]) -> str:
        account = self._auth(request, fields)
        action = _s(fields, "action")
        if not action:
            return f"{account.balance:.3f}/{account.total:.3f}"
        start = _ts(_s(fields, "from"), "Missing from parameter")
        end = _ts(_s(fields, "to"), "Missing to parameter")
        cs = wire.charset(_s(fields, "encode") or None)
        if action == "record":
            return wire.records_body(
                self.platform.records_between(account.username, start, end), cs
            )
        if action == "billing":
            agent = _s(fields, "agent_username")
            names = [account.username] + [
                a.username for a in self.platform.accounts.values() if a.parent == account.username
            ]
            if agent:
                names = [n for n in names if n == agent]
            rows = [self.platform.accounts[n] for n in names]
            return (
                "".join(
                    f"username:{a.username},"
                    f"sum:{self.platform.billed(a.username, start, end)}/0/0/0,"
                    f"balance:{a.total:.0f}|{a.balance:.0f}/0.000|0.000/0|0/0|0;"
                    for a in rows
                )
                or "no record"
            )
        raise SimError(f"Unknown action {action}")

    async def recv(self, request: web.Request, fields: dict[str, bytes]) -> str:
        account = self._auth(request, fields)
        if _s(fields, "mobile") or _s(fields, "from"):
            start = _ts(_s(fields, "from"), "Missing from parameter")
            end = _ts(_s(fields, "to"), "Missing to parameter")
            mobiles = [m for m in _s(fields, "mobile").split(",") if m]
            if not mobiles:
                raise SimError("Missing recipient")
            return wire.reports_body(self.platform.reports_for(mobiles, start, end), False)
        reports = self.platform.pull_reports(account.username, self.platform.scenario.chunk)
        prefix = self.platform.scenario.ext_prefix
        with_ext = prefix is True or (prefix == "mixed" and self.requests["recv"] % 2 == 0)
        return wire.reports_body(reports, with_ext)

    async def reply(self, request: web.Request, fields: dict[str, bytes]) -> str:
        self._auth(request, fields)
        cs = wire.charset(_s(fields, "encode") or None)
        if _s(fields, "action") == "queryByCondition":
            start = _ts(_s(fields, "from"), "Missing from parameter")
            end = _ts(_s(fields, "to"), "Missing to parameter")
            mobiles = [m for m in _s(fields, "mobile").split(",") if m.strip()]
            return wire.replies_body(self.platform.replies_between(start, end, mobiles), cs)
        replies = self.platform.pull_replies(
            self.platform.scenario.chunk, debug=_s(fields, "debug") == "1"
        )
        if _s(fields, "matchApiMsgId") == "1":
            replies = [self._matched(r) for r in replies]
        return wire.replies_body(replies, cs)

    def _matched(self, reply):
        for report in reversed(self.platform.reports_by_mobile.get(reply.mobile, [])):
            return replace(reply, reply_id=report[1])
        return reply

    # -- blacklist, binding, sub-accounts -------------------------------------------------
    async def black(self, request: web.Request, fields: dict[str, bytes]) -> str:
        account = self._auth(request, fields)
        mobile = _s(fields, "mobile")
        if not mobile:
            raise SimError("Missing recipient")
        if _s(fields, "action") == "add":
            self.platform.blacklist_remove(account, mobile)
            return "success:Added white number"
        entry = self.platform.blacklist_check(account, mobile)
        if entry is None:
            return "success:Non black number"
        return f"success:Black number;Desc:{entry.desc};Addtime:{wire.beijing(entry.added_at)}"

    async def bind(self, request: web.Request, fields: dict[str, bytes]) -> str:
        account = self._auth(request, fields)
        ips = [ip.strip() for ip in _s(fields, "ip").split(",") if ip.strip()]
        account.bound_ips = ips
        return "success:Bind IP success" if ips else "success:Unbind IP success"

    async def user(self, request: web.Request, fields: dict[str, bytes]) -> str:
        return subaccounts.user(self.platform, self._auth(request, fields), fields)

    # -- inspection -----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        p = self.platform
        p.release_due()
        return {
            "scenario": p.scenario.name,
            "requests": dict(self.requests),
            "counters": dict(p.counters),
            "queued_reports": {u: len(q) for u, q in p.report_queue.items()},
            "pending_reports": p.pending_reports,
            "served_reports": len(p.served),
            "replies": len(p.replies),
            "unconsumed_replies": sum(not r.consumed for r in p.replies),
            "balance": str(p.main.balance),
            "submissions": {
                "numbers": len(p.submissions),
                "total": p.submissions.total(),
                "repeated": sum(1 for n in p.submissions.values() if n > 1),
            },
            "faults": self.faults,
            "arrived": dict(self.arrived),
            "answered": {k: dict(v) for k, v in self.answered.items()},
            "served_chunks": len(p.served_chunks),
            "damaged_chunks": sorted(self.damaged_chunks),
            "push_urls": self.push_urls,
        }

    def _refused(self, request: web.Request) -> web.Response | None:
        """403 unless the request carries the control token (when there is one)."""
        if not self.control_token:
            return None
        given = request.headers.get("Authorization", "").encode("utf-8", "replace")
        if hmac.compare_digest(given, f"Bearer {self.control_token}".encode()):
            return None
        return web.json_response({"error": "control token required"}, status=403)

    async def state(self, request: web.Request) -> web.Response:
        return self._refused(request) or web.json_response(self.snapshot())

    async def control(self, request: web.Request) -> web.Response:
        """``{"faults": {endpoint: {...}}, "reply": {"mobile", "content"}, "push": {...},
        "messages": [msgid, ...]}``: the state after the changes, with the messages asked for
        (as sent: content, recipients, times) under ``"messages"``."""
        if refused := self._refused(request):
            return refused
        try:
            doc = await request.json()
        except ValueError:
            return web.json_response({"error": "expected JSON"}, status=400)
        if "faults" in doc:
            try:
                self.faults = {k: fault_table(k, v) for k, v in dict(doc["faults"]).items()}
            except (ScenarioError, TypeError, ValueError) as exc:
                return web.json_response({"error": str(exc)}, status=400)
        if "reply" in doc:
            r = doc["reply"]
            self.platform.add_reply(
                str(r["mobile"]), str(r.get("content", "")), ext=str(r.get("ext", "0"))
            )
        if "push" in doc:
            self.push_urls.update({k: str(v) for k, v in doc["push"].items()})
        state = self.snapshot()
        if "messages" in doc:
            found = (self.platform.messages.get(str(m)) for m in doc["messages"])
            state["messages"] = {m.msgid: asdict(m) for m in found if m is not None}
        return web.json_response(state)
