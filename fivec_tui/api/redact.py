"""Showing URLs that carry credentials: host and path stay readable, the secrets become ``***``.

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

import re
from urllib.parse import urlsplit

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
