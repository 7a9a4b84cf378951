"""The one place a :class:`FivecClient` is built from a profile's settings.

The CLI, the TUI and the poll daemon all call :func:`client_for`, so every one of them gets
the profile's node, encoding, timeout and send timeout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api.client import FivecClient

if TYPE_CHECKING:
    from ..config import Profile


def client_for(profile: Profile, **options: Any) -> FivecClient:
    """The profile's client; ``options`` override its settings (``doctor``: a short timeout
    and a transport of its own)::

        async with client_for(profile) as client:
            balance = await client.balance()
    """
    settings: dict[str, Any] = {
        "encode": profile.encode,
        "timeout": profile.timeout,
        "send_timeout": profile.send_timeout,
        "secrets": (profile.password, profile.push.token),  # masked out of every answer too
    }
    return FivecClient(profile.credentials, profile.base_url, **(settings | options))
