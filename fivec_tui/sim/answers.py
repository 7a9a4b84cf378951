"""Answers that are not the platform's: the ``answer_with`` fault.

Between a client and the platform there can be a maintenance page, a WAF, a broken proxy or a
misconfigured test box, and each answers HTTP 200 with something that is not an answer
(``platform-notes.md``, "answers that are not answers").  The fault's value is one of the
canned :data:`KINDS` or, for anything else, the literal body to answer with.

What a test compares against the cache depends on whether the platform saw the request:

- ``html`` (a maintenance page), ``waf`` (a block page), ``empty``, ``echo`` (a test box
  that echoes the request, credentials included) and a literal body are answered *in front
  of* the platform: the endpoint never runs, so a destructive pull takes nothing;
- ``garbage`` and ``truncated`` damage the platform's own answer on its way back: the
  endpoint ran, so a report chunk or the replies it handed out are gone from the platform
  (``SimServer.damaged_chunks`` says which report chunks).
"""

from __future__ import annotations

import json
import random

from aiohttp import web

from . import wire

#: Canned kinds, and whether the platform handles the request behind each one.
KINDS = {
    "html": False,
    "waf": False,
    "empty": False,
    "echo": False,
    "garbage": True,
    "truncated": True,
}

MAINTENANCE = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>系统维护中</title>'
    "<style>body{font-family:Arial,sans-serif;color:#333;margin:40px;}</style></head>\n"
    "<body><h1>系统维护中 / Under maintenance</h1><p>平台正在升级，请稍后再试。"
    "We will be back shortly.</p></body></html>\n"
)
WAF = (
    "<html>\n<head><title>405</title></head>\n<body>\n<center><h1>405</h1></center>\n"
    "<p>您的访问请求可能对网站造成安全威胁，请求已被阻断。Your request has been blocked.</p>\n"
    "<p>Event ID: 76f2a0c1e3b24d8f9a51c0de</p>\n</body>\n</html>\n"
)


def reaches_platform(answer: str) -> bool:
    """Whether the platform handles a request answered with ``answer`` (a kind or a body)."""
    return KINDS.get(answer, False)


async def stand_in(answer: str, request: web.Request) -> web.Response:
    """What answers in front of the platform, HTTP 200, the endpoint never run."""
    if answer == "html":
        body = MAINTENANCE
    elif answer == "waf":
        body = WAF
    elif answer == "empty":
        body = ""
    elif answer == "echo":
        body = await echo(request)
    else:
        body = answer
    page = answer in ("html", "waf")
    return web.Response(
        text=body, content_type="text/html" if page else "text/plain", charset="utf-8"
    )


async def echo(request: web.Request) -> str:
    """The request as a test box (httpbin's ``/anything``) shows it: query, form and raw body."""
    raw = await request.read() if request.method == "POST" else b""
    fields = wire.form_fields(
        request.rel_url.raw_query_string, request.headers.get("Content-Type", ""), raw
    )
    return json.dumps(
        {
            "method": request.method,
            "url": str(request.rel_url),
            "args": dict(request.rel_url.query),
            "form": {k: v.decode("utf-8", "replace") for k, v in fields.items()},
            "data": raw.decode("utf-8", "replace"),
        },
        ensure_ascii=False,
        indent=2,
    )


def damaged(answer: str, body: bytes, rng: random.Random) -> bytes:
    """The platform's answer ``body`` as ``garbage`` or ``truncated`` delivers it."""
    if answer == "garbage":
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    return body[: rng.randrange(1, len(body))] if len(body) > 1 else b""
