"""The one async client for every platform endpoint, the SOAP send included.

>>> async with FivecClient(Credentials("user", md5_hex("pw"), "key"), "http://127.0.0.1:8000") as c:
...     balance = await c.balance()

Requests are POSTed as forms whose values are percent-encoded in the request's ``encode``
(secrets never end up in a URL or a log line).  Destructive pulls come in two steps,
``pull_*_body`` returning the body text and ``parse_*`` reading it, so that a caller can commit
the body before parsing it.  Sends are never retried: see :meth:`FivecClient.send`.

Whatever comes back leaves the client with the secrets masked (:class:`~.redact.Secrets`): a
server that echoes the request would otherwise hand the apikey and the password's md5 to
every error, log line, journal row and screen downstream.  A list answer that is no answer
at all (a page, an empty body, garbage, an echo) raises :class:`~.errors.UnreadableAnswer`
before anyone can keep it as data (:func:`~.parse.check_answer`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import httpx

from . import soap
from .account import Credentials
from .errors import ContentEncodingError, ParseError, TransportError
from .models import (
    Balance,
    BatchItem,
    BillingEntry,
    BlacklistResult,
    Record,
    Reply,
    Report,
    SendResult,
    Submission,
    Success,
    Unparsed,
)
from .parse import (
    check_answer,
    parse_balance,
    parse_billing,
    parse_blacklist,
    parse_records,
    parse_replies,
    parse_reports,
    parse_send,
    parse_success,
)
from .redact import Secrets, mask_urls
from .sms import check_content
from .unreached import why_unreached
from .wire import decode_body, normalize_encode, percent_encode, to_unix


class Path:
    """The platform's endpoints, relative to the base URL."""

    SEND = "/api/send/index.php"
    BATCH = "/api/send/sms_batch.php"
    QUERY = "/api/query/index.php"
    RECV = "/api/recv/index.php"
    REPLY = "/api/reply/index.php"
    BLACK = "/api/black/index.php"
    BIND = "/api/bind/index.php"
    USER = "/api/user/index.php"


def _form(params: dict[str, object], encode: str) -> bytes:
    clean = {k: str(v) for k, v in params.items() if v is not None and v != ""}
    return urlencode(clean, encoding="utf-8" if encode == "UTF-8" else "gbk").encode("ascii")


class FivecClient:
    """Async client.  Use as an async context manager, or call :meth:`aclose`."""

    def __init__(
        self,
        credentials: Credentials,
        base_url: str,
        *,
        encode: str = "UTF-8",
        timeout: float = 15.0,
        send_timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        """``secrets``: more to mask out of answers than the credentials (the plain password,
        a push token); each is masked out of every answer when :meth:`Secrets.distinctive`."""
        self.credentials = credentials
        mine = (*credentials.secrets(), *secrets)
        self.secrets = Secrets(filter(Secrets.distinctive, mine))
        self.base_url = base_url.rstrip("/")
        self.encode = normalize_encode(encode)
        self.send_timeout = send_timeout
        #: The platform's ``Date`` header of its last answer, with this machine's time then
        #: (``doctor`` compares the clocks).
        self.last_date: tuple[float, str] | None = None
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
            headers={"User-Agent": "fivec-tui"},
            follow_redirects=False,
            event_hooks={"response": [self._note_date]},
        )

    async def _note_date(self, response: httpx.Response) -> None:
        if date := response.headers.get("date"):
            self.last_date = (time.time(), date)

    async def __aenter__(self) -> FivecClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- transport ------------------------------------------------------------------------
    def _request(
        self, path: str, params: dict[str, object], enc: str, *, auth: bool, timeout: float | None
    ):
        body = {**(self.credentials.params() if auth else {}), **params}
        return self._http.post(
            path,
            content=_form(body, enc),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )

    @property
    def host(self) -> str:
        """The host and port requests go to, as a person checks them (no credentials)."""
        url = httpx.URL(self.base_url)
        host = f"[{url.host}]" if ":" in url.host else url.host
        return f"{host}:{url.port or (443 if url.scheme == 'https' else 80)}"

    def _unreachable(self, path: str, exc: httpx.HTTPError) -> TransportError:
        """Which host and port, and why, in words (refused, timed out, DNS, ...)."""
        why, detail = why_unreached(exc, self._http.timeout)
        detail = self.secrets.mask_text(mask_urls(detail))
        return TransportError(path, why=why, host=self.host, detail=detail)

    async def _post(self, path: str, params: dict[str, object], *, auth: bool = True) -> str:
        """The answer's text, secrets masked; a network error or a status but 200 raises."""
        enc = self.encode
        try:
            response = await self._request(path, params, enc, auth=auth, timeout=None)
        except httpx.HTTPError as exc:
            raise self._unreachable(path, exc) from None
        if response.status_code != 200:
            raise TransportError(path, why="status", host=self.host, detail=response.status_code)
        return decode_body(self.secrets.mask(response.content), enc)

    # -- sending --------------------------------------------------------------------------
    def _send_fields(self, sub: Submission, encode: str) -> dict[str, object]:
        return {
            "mobile": ",".join(sub.mobiles),
            "startTime": to_unix(sub.start_time) if sub.start_time else None,
            "ext": sub.ext or None,
            "encode": encode,
        }

    async def send(
        self,
        mobiles: Sequence[str],
        content: str,
        *,
        encode: str | None = None,
        start_time: datetime | None = None,
        ext: str = "",
        form: str = "params",
        templet_code: str = "",
        variables: dict[str, object] | None = None,
    ) -> SendResult:
        """Send one content to many numbers.

        ``form`` is ``params`` (plain form fields), ``json`` or ``xml`` (the ``data=``
        forms); ``templet_code`` with ``variables`` sends a template (always JSON).  A request
        whose answer never came returns ``outcome='unknown'``: it is never retried here.
        """
        enc = normalize_encode(encode or self.encode)
        if templet_code:
            form = "json"
            content = json.dumps(variables or {}, ensure_ascii=True, separators=(",", ":"))
        check_content(content, enc)
        sub = Submission(tuple(mobiles), content, enc, form, start_time, ext, templet_code)
        fields = self._send_fields(sub, enc)
        if form == "params":
            # Encoded here and again by the form, as §3.1 asks: the platform URL-decodes
            # content once more after the form, so a single encoding would lose "+" and "%xx".
            params: dict[str, object] = {**fields, "content": percent_encode(content, enc)}
        elif form == "json":
            doc = {
                "type": "send",
                **self.credentials.params(),
                **{k: str(v) for k, v in fields.items() if v is not None},
                "content": percent_encode(content, enc),
            }
            if templet_code:
                doc["templet_code"] = templet_code
            params = {"format": "json", "data": json.dumps(doc, ensure_ascii=False)}
        elif form == "xml":
            doc_fields = {
                "type": "send",
                **self.credentials.params(),
                **{k: str(v) for k, v in fields.items() if v is not None},
                "content": percent_encode(content, enc),
            }
            inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in doc_fields.items())
            params = {
                "format": "xml",
                "data": f"<?xml version='1.0' encoding='UTF-8' ?><sms>{inner}</sms>",
            }
        else:
            raise ValueError(f"unknown send form {form!r}")
        return await self._submit(Path.SEND, params, sub, enc, auth=form == "params")

    async def send_batch(
        self, items: Iterable[BatchItem], *, encode: str | None = None
    ) -> SendResult:
        """Many different messages in one ``sms_batch.php`` request (domestic only)."""
        enc = normalize_encode(encode or self.encode)
        batch = list(items)
        if not batch:
            raise ContentEncodingError("an empty batch")
        xml_items = []
        for item in batch:
            check_content(item.content, enc)
            start = to_unix(item.start_time) if item.start_time else 0
            xml_items.append(
                f"<item><mobile>{escape(','.join(item.mobiles))}</mobile>"
                f"<content>{percent_encode(item.content, enc)}</content>"
                f"<startTime>{start}</startTime></item>"
            )
        account = "".join(
            f"<{k}>{escape(v)}</{k}>"
            for k, v in {**self.credentials.params(), "encode": enc}.items()
        )
        data = (
            f'<?xml version="1.0" encoding="utf-8"?><sms><account>{account}</account>'
            f"<sms_list>{''.join(xml_items)}</sms_list></sms>"
        )
        mobiles = tuple(m for item in batch for m in item.mobiles)
        sub = Submission(mobiles, f"({len(batch)} messages)", enc, "batch")
        return await self._submit(Path.BATCH, {"format": "xml", "data": data}, sub, enc, auth=False)

    async def send_soap(self, mobiles: Sequence[str], content: str, password: str) -> SendResult:
        """The WebService send of §3.4, which takes the plain ``password``; UTF-8 text only.

        Same outcomes as :meth:`send`: never retried, ``unknown`` when it may have gone out.
        """
        check_content(content, "UTF-8")
        sub = Submission(tuple(mobiles), content, "UTF-8", "soap")
        c = self.credentials
        body = soap.envelope(c.apikey, c.username, password, ",".join(mobiles), content)
        request = self._http.post(
            soap.PATH, content=body, headers=soap.HEADERS, timeout=self.send_timeout
        )
        # this request carried the plain password: its answer is masked for it, however short
        secrets = self.secrets.also(password)
        return await self._outcome(soap.PATH, sub, request, soap.parse_response, secrets)

    async def _submit(
        self, path: str, params: dict[str, object], sub: Submission, enc: str, *, auth: bool
    ) -> SendResult:
        request = self._request(path, params, enc, auth=auth, timeout=self.send_timeout)
        return await self._outcome(path, sub, request, lambda body: decode_body(body, enc))

    async def _outcome(
        self,
        path: str,
        sub: Submission,
        request: Awaitable[httpx.Response],
        read: Callable[[bytes], str],
        secrets: Secrets | None = None,
    ) -> SendResult:
        """A send's one request, awaited once; whatever may have gone out is never retried."""
        secrets = secrets or self.secrets
        try:
            response = await request
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # Never connected: nothing can have been sent.
            raise self._unreachable(path, exc) from None
        except httpx.HTTPError as exc:
            detail = secrets.mask_text(mask_urls(f"{type(exc).__name__}: {exc}"))
            return SendResult("unknown", sub, detail=detail)
        if response.status_code != 200:
            return SendResult("unknown", sub, detail=f"HTTP {response.status_code}")
        text = ""
        try:
            text = read(secrets.mask(response.content))
            msgid = parse_send(text)
        except ParseError as exc:  # it reached the platform and was answered: it may be sent
            detail = f"unreadable answer: {exc}"
            return SendResult("unknown", sub, raw=text or exc.raw, detail=detail)
        return SendResult("accepted", sub, msgid, text)

    # -- queries --------------------------------------------------------------------------
    async def balance(self) -> Balance:
        return parse_balance(await self._post(Path.QUERY, {}))

    async def records(self, start: datetime, end: datetime) -> list[Record | Unparsed]:
        """Every message the account sent between ``start`` and ``end`` (repeatable)."""
        body = await self._post(
            Path.QUERY,
            {"action": "record", "from": to_unix(start), "to": to_unix(end), "encode": self.encode},
        )
        return parse_records(check_answer("records", body), self.encode)

    async def billing(
        self, start: datetime, end: datetime, agent_username: str = ""
    ) -> list[BillingEntry | Unparsed]:
        body = await self._post(
            Path.QUERY,
            {
                "action": "billing",
                "from": to_unix(start),
                "to": to_unix(end),
                "agent_username": agent_username,
                "encode": self.encode,
            },
        )
        return parse_billing(check_answer("billing", body))

    async def pull_reports_body(self) -> str:
        """DESTRUCTIVE: the next chunk of status reports, as checked body text (commit it
        first); ``error:`` and unreadable answers raise."""
        return check_answer("reports", await self._post(Path.RECV, {"encode": self.encode}))

    async def reports_for_body(self, mobiles: Sequence[str], start: datetime, end: datetime) -> str:
        """Reports of some numbers in a window, as checked body text (possibly destructive:
        commit it)."""
        body = await self._post(
            Path.RECV,
            {"from": to_unix(start), "to": to_unix(end), "mobile": ",".join(mobiles)},
        )
        return check_answer("reports", body)

    async def reports_for(
        self, mobiles: Sequence[str], start: datetime, end: datetime
    ) -> list[Report | Unparsed]:
        return parse_reports(await self.reports_for_body(mobiles, start, end))

    async def pull_replies_body(self, *, debug: bool = False, match_msgid: bool = False) -> str:
        """DESTRUCTIVE unless ``debug``: the next replies, as checked body text (commit it
        first)."""
        body = await self._post(
            Path.REPLY,
            {
                "encode": self.encode,
                "debug": 1 if debug else None,
                "matchApiMsgId": 1 if match_msgid else None,
            },
        )
        return check_answer("replies", body)

    async def replies_between(
        self, start: datetime, end: datetime, mobiles: Sequence[str] = ()
    ) -> list[Reply | Unparsed]:
        """``queryByCondition``: replies in a window, repeatable."""
        body = await self._post(
            Path.REPLY,
            {
                "encode": self.encode,
                "action": "queryByCondition",
                "from": to_unix(start),
                "to": to_unix(end),
                "mobile": ",".join(mobiles),
            },
        )
        return parse_replies(check_answer("replies", body), self.encode)

    # -- blacklist, binding, sub-accounts -------------------------------------------------
    async def blacklist_check(self, mobile: str) -> BlacklistResult:
        body = await self._post(Path.BLACK, {"action": "check", "mobile": mobile})
        return parse_blacklist(body, mobile)

    async def blacklist_remove(self, mobile: str) -> Success:
        """Ask to whitelist a blacklisted number (opt-outs only; complaints cannot be)."""
        return parse_success(await self._post(Path.BLACK, {"action": "add", "mobile": mobile}))

    async def bind_ip(self, ips: Sequence[str], action: str = "0") -> Success:
        return parse_success(await self._post(Path.BIND, {"ip": ",".join(ips), "action": action}))

    async def user_create(
        self, child: str, password: str, contact_mobile: str, company: str = ""
    ) -> Success:
        params = {
            "action": "reg",
            "childUsername": child,
            "regPassword": password,
            "regCompanyName": company,
            "regContactMobile": contact_mobile,
        }
        return parse_success(await self._post(Path.USER, params))

    async def user_lock(self, child: str, lock: bool = True) -> Success:
        params = {"action": "lock", "childUsername": child, "lockUserValue": 1 if lock else -1}
        return parse_success(await self._post(Path.USER, params))

    async def user_info(self, child: str, *, status: bool = True, apikey: bool = False) -> Success:
        params = {
            "action": "info",
            "childUsername": child,
            "queryStatus": 1 if status else None,
            "queryApikey": 1 if apikey else None,
        }
        return parse_success(await self._post(Path.USER, params))

    async def user_charge(self, child: str, amount: int) -> Success:
        params = {"action": "charge", "childUsername": child, "chargeNumber": amount}
        return parse_success(await self._post(Path.USER, params))
