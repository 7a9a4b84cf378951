"""An account's identity: credentials, node addresses, and showing secrets safely.

Kept apart from the HTTP client so that config, store and app can use it without loading httpx.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

NODES = {
    "main": "m.5c.com.cn",
    "bj": "bj.5c.com.cn",
    "hk": "hk.5c.com.cn",
    "us": "us.5c.com.cn",
    "euro": "euro.5c.com.cn",
}


def md5_hex(password: str) -> str:
    """The 32-char lowercase md5 the platform takes as ``password_md5``."""
    return hashlib.md5(password.encode("utf-8")).hexdigest()


def mask(secret: str) -> str:
    """Show that a secret is set without showing it."""
    if not secret:
        return "(unset)"
    return f"{secret[:2]}…{'*' * 6} ({len(secret)} chars)"


@dataclass(frozen=True)
class Credentials:
    username: str
    password_md5: str = field(repr=False)
    apikey: str = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"Credentials(username={self.username!r}, password_md5={mask(self.password_md5)!r}, "
            f"apikey={mask(self.apikey)!r})"
        )

    def params(self) -> dict[str, str]:
        return {
            "username": self.username,
            "password_md5": self.password_md5.lower(),
            "apikey": self.apikey,
        }

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.password_md5, self.apikey) if s)


def resolve_base_url(node: str, https: bool = True) -> str:
    """A node name (``main``, ``bj``, ``hk``, ``us``, ``euro``) or a full URL to a base URL."""
    value = node.strip()
    if value in NODES:
        return f"{'https' if https else 'http'}://{NODES[value]}"
    if value.startswith(("http://", "https://")):
        _check_url(value, node)
        return value.rstrip("/")
    raise ValueError(f"unknown node {node!r}: use one of {', '.join(NODES)} or a full URL")


def _check_url(value: str, node: str) -> None:
    """A URL httpx would refuse (``http://[::1``, ``https://[zz]/``, a port past 65535) is
    said here, as a config error, not as httpx's traceback at the first request."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (read for its check: not a number, or out of range)
        if "[" in parts.netloc:
            ipaddress.IPv6Address(parts.hostname or "")
    except ValueError as exc:
        raise ValueError(f"not a URL {node!r}: {exc}") from None
    if not parts.hostname:
        raise ValueError(f"no host in the URL {node!r}")
