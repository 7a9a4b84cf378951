"""Secrets out of what is shown: URLs that carry credentials, and answers that echo them.

URLs: host and path stay readable, the secrets become ``***``.

Forward, webhook and chat robot URLs are the user's own and often hold a credential:
``user:pass@``, an ``?access_token=`` (DingTalk), a ``?key=`` (WeCom), a ``sign=``, or a token
as a path segment (our own push receiver's ``/push/<token>/``, Feishu's ``/bot/v2/hook/<token>``,
Slack's ``/services/T…/B…/<secret>``).  Everything that logs or shows such a URL goes through :func:`mask_url` (one URL) or :func:`mask_urls` (free text, e.g.
an httpx error that quotes the URL).  It errs on the side of masking: a long path segment of
letters and digits is hidden even when it is not a secret.

    >>> mask_url("https://bot:s3cret@hooks.example.com/push/abcdefghijklmnop/reports?key=k1&x=2")
    'https://bot:***@hooks.example.com/push/***/reports?key=***&x=2'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, urlsplit

MASK = "***"
#: A query or fragment parameter whose name contains one of these holds a secret.
SECRET_PARAMS = ("key", "token", "secret", "pass", "pwd", "sig", "auth", "session")
#: A path segment that looks like a token: 16+ URL-safe characters, letters and digits mixed.
_TOKEN_SEGMENT = re.compile(r"(?=[\w.~-]*\d)(?=[\w.~-]*[A-Za-z])[A-Za-z0-9_.~-]{16,}")
#: A path segment right after one of these is a token whatever it looks like.
_TOKEN_AFTER = ("push", "hook")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


def _params(raw: str) -> str:
    """``a=1&token=x`` with each secret value masked, the rest byte for byte."""
    out = []
    for pair in raw.split("&"):
        name, eq, value = pair.partition("=")
        secret = eq and value and any(word in name.lower() for word in SECRET_PARAMS)
        out.append(f"{name}={MASK}" if secret else pair)
    return "&".join(out)


def _path(path: str) -> str:
    segments = path.split("/")
    for i, segment in enumerate(segments):
        after_marker = i > 0 and segments[i - 1] in _TOKEN_AFTER and segment
        if after_marker or _TOKEN_SEGMENT.fullmatch(segment):
            segments[i] = MASK
    return "/".join(segments)


def mask_url(url: str) -> str:
    """``url`` with its password, token-like path segments and secret parameters masked.

    Not a URL (no ``scheme://``) or one that does not parse: everything after the host is
    masked, since there is no telling where a secret sits in it.
    """
    text = str(url)
    scheme, sep, _ = text.partition("://")
    if not sep:
        return MASK if text else text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return f"{scheme}://{MASK}"
    netloc = parts.netloc
    userinfo, at, host = netloc.rpartition("@")
    if at:
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if colon else f"{MASK}@{host}"
    shown = f"{parts.scheme}://{netloc}{_path(parts.path)}"
    if parts.query or text.split("#", 1)[0].endswith("?"):
        shown += f"?{_params(parts.query)}"
    if parts.fragment:
        shown += f"#{_params(parts.fragment)}"
    return shown


def mask_urls(text: str) -> str:
    """Free text (an error message, a shell command) with every URL in it masked."""
    return _URL.sub(lambda m: mask_url(m.group(0)), str(text))


# -- secrets in answers ---------------------------------------------------------------------
#: A secret this short, or digits no longer than a msgid, could be a piece of a mobile or a
#: msgid in a real answer, and masking it there would change data: such a secret is masked
#: only where the request that carried it is answered (see :meth:`Secrets.distinctive`).
DISTINCT_LEN = 8
MSGID_MAX = 20
_PCT_ESCAPE = re.compile(rb"%[0-9A-F]{2}")


def _forms(secret: str) -> set[bytes]:
    """``secret`` in every form a server may send it back in."""
    # Here, not at the top: config loads this module before the TUI's first frame, and
    # xml.sax.saxutils brings urllib.request, http.client and email (~10 ms) with it.
    from xml.sax.saxutils import escape

    out = set()
    for text in {secret, secret.upper(), secret.lower()}:
        for codec in ("utf-8", "gbk"):
            try:
                raw = text.encode(codec)
            except UnicodeEncodeError:
                continue
            encoded = {quote(raw, safe="").encode(), quote_plus(raw).encode()}
            encoded |= {_PCT_ESCAPE.sub(lambda m: m.group(0).lower(), e) for e in encoded}
            out |= {raw, *encoded}
        out.add(json.dumps(text).strip('"').encode())
        out.add(escape(text, {'"': "&quot;", "'": "&apos;"}).encode())
    return out


class Secrets:
    """Secrets masked out of whatever a server sends back, before anything reads it.

    A server that echoes the request (a misconfigured proxy, a test box) sends back the
    credentials it was sent: each secret is replaced by ``***`` in every form it can come back
    in (as sent, upper- and lower-case, percent-encoded in UTF-8 or GBK, JSON- and
    XML-escaped).

    >>> Secrets(["s3cret-Key"]).mask(b"apikey=s3cret-Key&x=S3CRET-KEY")
    b'apikey=***&x=***'
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = tuple(s for s in secrets if s)
        forms = {form for s in self.secrets for form in _forms(s)}
        self._forms = sorted(forms, key=len, reverse=True)  # longest first: no half masks

    @staticmethod
    def distinctive(secret: str) -> bool:
        """Whether ``secret`` can be masked out of every answer without touching data."""
        return len(secret) >= DISTINCT_LEN and not (secret.isdigit() and len(secret) <= MSGID_MAX)

    def mask(self, data: bytes) -> bytes:
        for form in self._forms:
            if form in data:
                data = data.replace(form, MASK.encode())
        return data

    def mask_text(self, text: str) -> str:
        raw = text.encode("utf-8", "surrogateescape")
        return self.mask(raw).decode("utf-8", "surrogateescape")

    def also(self, *more: str) -> Secrets:
        """These secrets and ``more``."""
        return Secrets((*self.secrets, *more))
