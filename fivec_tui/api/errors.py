"""Typed errors for every documented ``error:`` answer of the platform.

The platform answers HTTP 200 with ``error:<text>`` bodies.  Each documented text maps to its
own class, so callers can ``except ThroughputExceeded`` and back off, or ``except
UnauthorizedIP`` and explain; each carries what it means in English and Chinese.  Text nobody
documented becomes :class:`UnknownPlatformError` with the body kept whole.
"""

from __future__ import annotations

from ..i18n import N_, _
from ..i18n import current as language


class FivecError(Exception):
    """Root of every error this package raises on purpose."""


class ParseError(FivecError, ValueError):
    """A body that cannot be read as the expected shape.  ``raw`` keeps it whole."""

    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.raw = raw


class UnreadableAnswer(ParseError):
    """An answer that is not the platform's: a maintenance or WAF page, an empty body,
    garbage, an answer cut before its first item, the request echoed back.

    Nothing in it is data: a pull that gets one stops and backs off, and its body (``raw``,
    secrets masked by the client) is kept once for diagnosis, never parsed into rows.
    """


class ContentEncodingError(FivecError, ValueError):
    """Content that cannot be represented in the chosen ``encode``; raised before sending."""


#: Why a request did not reach the platform, in words a person acts on: by ``why`` of
#: :class:`TransportError`, with the host and port it tried (``{host}``).
UNREACHED = {
    "refused": N_("{host} refused the connection (nothing listens on that port, or a firewall)"),
    "dns": N_("the name of {host} was not found (DNS)"),
    "timeout": N_(
        "{host} did not take the connection in {detail} (a firewall drops it, or the host is down)"
    ),
    "no_answer": N_("{host} took the request but did not answer in {detail}"),
    "route": N_("no route to {host} (network or host unreachable)"),
    "tls": N_("the TLS handshake with {host} failed: {detail}"),
    "closed": N_("{host} closed the connection without an answer"),
    "status": N_("{host} answered HTTP {detail}, not the platform's 200"),
    "other": N_("{host}: {detail}"),
}


class TransportError(FivecError):
    """The platform could not be reached or answered with something that is not HTTP 200.

    Made by the client with ``where`` (the endpoint, first: job health recognises it), the
    host:port it tried and ``why`` (a key of :data:`UNREACHED`), it reads in the interface's
    language as platform errors do; a bare ``TransportError("text")`` is that text.
    """

    def __init__(
        self, message: str = "", *, why: str = "", host: str = "", detail: str = ""
    ) -> None:
        super().__init__(message)
        self.where, self.why, self.host, self.detail = message, why, host, detail

    def __str__(self) -> str:
        if not self.why:
            return self.where
        said = _(UNREACHED[self.why]).format(host=self.host, detail=self.detail)
        return f"{self.where}: {said}"


class PlatformError(FivecError):
    """An ``error:`` answer.  ``text`` is what came after ``error:``; ``raw`` the whole body."""

    text: str = ""
    meaning_en: str = "The platform refused the request."
    meaning_zh: str = "平台拒绝了请求"
    #: True when waiting and trying again can help.
    retryable: bool = False

    def __init__(self, text: str | None = None, raw: str = "") -> None:
        self.text = text if text is not None else type(self).text
        self.raw = raw or f"error:{self.text}"
        super().__init__(self.text)

    @property
    def meaning(self) -> str:
        """What the error means, in the interface's language."""
        return self.meaning_zh if language() == "zh" else self.meaning_en

    def __str__(self) -> str:
        return f"error:{self.text} — {self.meaning}"


class AuthError(PlatformError):
    """Credentials or account state: never fixes itself, a person must act."""


class RequestError(PlatformError):
    """A request the platform found incomplete or malformed."""


class MissingUsername(AuthError):
    text, meaning_en, meaning_zh = "Missing username", "The username is empty.", "用户名为空"


class MissingPassword(AuthError):
    text, meaning_en, meaning_zh = "Missing password", "The password is empty.", "密码为空"


class MissingApikey(AuthError):
    text, meaning_en, meaning_zh = "Missing apikey", "The apikey is empty.", "APIKEY为空"


class MissingRecipient(RequestError):
    text, meaning_en, meaning_zh = (
        "Missing recipient",
        "No recipient mobile number was given.",
        "收件人手机号码为空",
    )


class MissingContent(RequestError):
    text, meaning_en, meaning_zh = (
        "Missing message content",
        "The content is empty or its encoding is wrong.",
        "短信内容为空或编码不正确",
    )


class AccountBlocked(AuthError):
    text, meaning_en, meaning_zh = "Account is blocked", "The account is disabled.", "帐号被禁用"


class UnrecognizedEncoding(RequestError):
    text, meaning_en, meaning_zh = (
        "Unrecognized encoding",
        "The encode parameter was not recognised (use UTF-8 or GBK).",
        "编码未能识别",
    )


class BadCredentials(AuthError):
    text, meaning_en, meaning_zh = (
        "APIKEY or password error",
        "The apikey or the password is wrong.",
        "APIKEY或密码错误",
    )


class UnauthorizedIP(AuthError):
    text, meaning_en, meaning_zh = (
        "Unauthorized IP address",
        "This machine's IP address is not bound to the account.",
        "未授权 IP 地址",
    )


class InsufficientBalance(PlatformError):
    text, meaning_en, meaning_zh = (
        "Account balance is insufficient",
        "The account balance is too low for this send.",
        "余额不足",
    )


class ThroughputExceeded(PlatformError):
    text, meaning_en, meaning_zh = (
        "Throughput Rate Exceeded",
        "Too many requests; slow down and try again later.",
        "发送频率受限",
    )
    retryable = True


class InvalidMd5Length(AuthError):
    text, meaning_en, meaning_zh = (
        "Invalid md5 password length",
        "password_md5 is not 32 characters long.",
        "MD5密码长度非 32位",
    )


class MissingFrom(RequestError):
    text, meaning_en, meaning_zh = (
        "Missing from parameter",
        "The start time is missing.",
        "缺少开始日期",
    )


class MissingTo(RequestError):
    text, meaning_en, meaning_zh = (
        "Missing to parameter",
        "The end time is missing.",
        "缺少结束日期",
    )


class NotRemovable(PlatformError):
    text, meaning_en, meaning_zh = (
        "Non black number or no allow operation",
        "The number is not blacklisted, or its removal is not allowed "
        "(complaint blacklists and marketing accounts cannot remove).",
        "解除失败，该号码不是黑名单或不允许解除",
    )


class UsernameExists(RequestError):
    text, meaning_en, meaning_zh = (
        "Username already exists",
        "A sub-account with that name already exists.",
        "创建失败,用户名重复",
    )


class MissingChildUsername(RequestError):
    text, meaning_en, meaning_zh = (
        "Missing childUsername parameter",
        "The sub-account username is missing.",
        "创建失败,缺少子帐号用户名",
    )


class ChildUsernameTooShort(RequestError):
    text, meaning_en, meaning_zh = (
        "childUsername minimum length of 6 bits",
        "The sub-account username must be at least 6 characters.",
        "创建失败,长度不能低于 6 位",
    )


class ChildUsernameTooLong(RequestError):
    text, meaning_en, meaning_zh = (
        "childUsername max length of 15 bits",
        "The sub-account username must be at most 15 characters.",
        "创建失败,长度不能高于 15 位",
    )


class MissingRegPassword(RequestError):
    text, meaning_en, meaning_zh = (
        "Missing regPassword parameter",
        "The sub-account password is missing.",
        "创建失败,缺少子帐号密码",
    )


class ChildLimitReached(PlatformError):
    text, meaning_en, meaning_zh = (
        "Child account reached the upper limit",
        "No more sub-accounts can be created; ask your account manager.",
        "创建失败,子帐号数量达到上限",
    )


class ChildUsernameInvalid(RequestError):
    text, meaning_en, meaning_zh = (
        "RegUsername contains special characters",
        "The sub-account username may not contain punctuation.",
        "创建失败,注册用户名包含特殊字符",
    )


class RegPasswordInvalid(RequestError):
    text, meaning_en, meaning_zh = (
        "regPassword contains special characters",
        "The sub-account password may not contain punctuation.",
        "创建失败,注册密码不允许包含标点符号",
    )


class BlackKeywords(PlatformError):
    """``error:Black keywords is:<words>``: the content holds words the platform blocks."""

    meaning_en = "The content contains blocked keywords."
    meaning_zh = "内容包含屏蔽关键词"
    prefix = "Black keywords is:"

    @property
    def keywords(self) -> str:
        return self.text[len(self.prefix) :]


class SubmitFailed(PlatformError):
    """``error:<msgid>``: the submission was refused but carries a msgid to trace it."""

    meaning_en = "The submission failed; the msgid identifies it for the provider."
    meaning_zh = "提交失败"

    @property
    def msgid(self) -> str:
        return self.text


class UnknownPlatformError(PlatformError):
    meaning_en = "The platform answered with an error this tool does not know."
    meaning_zh = "未知错误"


def _documented() -> dict[str, type[PlatformError]]:
    table: dict[str, type[PlatformError]] = {}
    stack: list[type[PlatformError]] = [PlatformError]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__dict__.get("text"):
            table[cls.text.lower()] = cls
    return table


DOCUMENTED_ERRORS: dict[str, type[PlatformError]] = _documented()


def error_for(text: str, raw: str = "") -> PlatformError:
    """The exception for an ``error:`` body's text (what follows the first colon)."""
    text = text.strip()
    cls = DOCUMENTED_ERRORS.get(text.lower())
    if cls is not None:
        return cls(cls.text, raw)
    if text.lower().startswith(BlackKeywords.prefix.lower()):
        return BlackKeywords(text, raw)
    if text.isdigit():
        return SubmitFailed(text, raw)
    return UnknownPlatformError(text, raw)
