"""Alert delivery: every event the :class:`~.alerts.Alerter` emits, to every sink.

The sinks are the log (in English), the shell command, the webhook and the DingTalk, WeCom
and Feishu robots of :mod:`.robots`.  The command, the webhook and the robots of one event are
sent together; failures are logged with URLs masked, never raised.  (The TUI shows the events
from the cache's ``alerts`` table.)
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable
from typing import Any

import httpx

from ..api.redact import mask_urls
from ..when import iso
from . import robots
from .alerts import Event, language

log = logging.getLogger("fivec_tui.alerts")

#: What the alert command inherits from the daemon: a shell that finds its tools and writes
#: Chinese text in the user's locale.  Nothing else (FIVEC_PASSWORD, FIVEC_APIKEY, a proxy
#: token...) reaches a command that may be a third-party script.
COMMAND_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ")


class Sinks:
    """The sinks a profile's alert settings name, with one HTTP client for their lifetime."""

    def __init__(
        self,
        profile: str,
        settings: dict[str, Any],
    ) -> None:
        self.profile = profile
        self.settings = settings
        self._http: httpx.AsyncClient | None = None

    async def send(self, events: list[Event]) -> None:
        """Deliver ``events`` one after the other, in the order they were emitted."""
        if events and self._http is None:
            self._http = httpx.AsyncClient()
        for event in events:
            await deliver(event, self.profile, self.settings, self._http)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def command_env(payload: dict[str, Any]) -> dict[str, str]:
    """The alert command's whole environment: :data:`COMMAND_ENV` plus ``FIVEC_ALERT_*``, with
    ``FIVEC_ALERT_TIME``, the event's time (``FIVEC_ALERT_AT``, Unix seconds) as a person reads
    it: ISO 8601 in the display zone, with its offset."""
    env = {k: os.environ[k] for k in COMMAND_ENV if k in os.environ}
    env.setdefault("PATH", os.defpath)
    env |= {f"FIVEC_ALERT_{k.upper()}": "" if v is None else str(v) for k, v in payload.items()}
    env["FIVEC_ALERT_TIME"] = iso(payload.get("at")) or ""
    return env


async def _run_command(command: str, payload: dict[str, Any]) -> None:
    proc = await asyncio.create_subprocess_shell(
        command,
        env=command_env(payload),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await proc.communicate()
    if proc.returncode:
        log.error(
            "alert command exited %s: %s",
            proc.returncode,
            mask_urls(stderr.decode(errors="replace")[:300]),
        )


async def deliver(
    event: Event, profile: str, settings: dict[str, Any], http: httpx.AsyncClient
) -> None:
    """Log one event, then run the command and POST the webhook and the robots, together."""
    cond = event.condition
    log.warning("ALERT %s %s: %s", event.state, cond.id, cond.english or cond.message)
    payload = event.payload(profile)
    sends: list[Awaitable[Any]] = []
    if settings["command"]:
        sends.append(_run_command(settings["command"], payload))
    if url := settings["webhook"]:
        retries = int(settings["webhook_retries"])
        sends.append(
            robots.post(http, "webhook", url, lambda: (url, payload), robots.verdict, retries)
        )
    sends += robots.sends(event, profile, settings, language(settings), http)
    await asyncio.gather(*sends)
