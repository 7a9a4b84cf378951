"""The effective settings of one account, as every layer reads them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any

from ..api import Credentials, mask
from ..api.redact import mask_url
from ..i18n import _
from .kinds import ConfigError
from .schema import Alerts, App, Intervals, ProfileTable, Push, Slo, Streams, defaults, kind

DEFAULT_STREAMS = defaults(Streams)
DEFAULT_INTERVALS = defaults(Intervals)
_TABLE = defaults(ProfileTable)
#: Shown as they are by ``config show`` (with their kind's ``show``), in this order.
_PLAIN = (
    "encode",
    "timeout",
    "send_timeout",
    "retention_days",
    "keep_raw_days",
    "backfill_hours",
    "read_only",
)
#: How an unset value is shown: ``None`` leaves the consumer's built-in default in force.
_UNSET = {None: "(built-in)", "": "(unset)"}


@dataclass
class Acting:
    """How this run may act on the platform, whatever the account: what ``[app]`` and the
    command line say, put on each profile by the command that reads them (the defaults are
    the schema's, for profiles made in code: the demo, tests)."""

    #: Why actions are off, as the person set it (``--read-only``, ``[app] read_only``,
    #: ``[profiles.NAME] read_only``); "" when they are on.
    read_only: str = ""
    duplicate_window_s: float = defaults(App)["duplicate_window_s"]
    audit_retention_days: int = defaults(App)["audit_retention_days"]


@dataclass
class Profile:
    """The effective settings of one account.

    ``sources`` says where each value came from, by dotted name (``alerts.rate_below``):
    ``file PATH``, ``env FIVEC_…`` or ``flag --…``; a name missing from it is a default.
    ``warnings`` are what the reader should be told (unknown keys, a readable file).
    """

    name: str
    username: str = ""
    password_md5: str = field(default="", repr=False)
    apikey: str = field(default="", repr=False)
    #: The plain password when one was given (the SOAP send takes only that); memory only.
    password: str = field(default="", repr=False)
    base_url: str = "https://m.5c.com.cn"
    encode: str = _TABLE["encode"]
    timeout: float = _TABLE["timeout"]
    send_timeout: float = _TABLE["send_timeout"]
    retention_days: int = _TABLE["retention_days"]
    keep_raw_days: int = _TABLE["keep_raw_days"]
    backfill_hours: int = _TABLE["backfill_hours"]
    #: ``[profiles.NAME] read_only`` as the file says it (what applies: ``acting.read_only``).
    read_only: bool = _TABLE["read_only"]
    #: Stream name -> pull, push, watch or off; job name -> seconds (see :mod:`.schema`).
    streams: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_STREAMS))
    intervals: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_INTERVALS))
    push: Push = field(default_factory=Push)
    alerts: Alerts = field(default_factory=Alerts)
    slo: Slo = field(default_factory=Slo)
    acting: Acting = field(default_factory=Acting)
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.username, self.password_md5, self.apikey)

    def secrets(self) -> tuple[str, ...]:
        return (*self.credentials.secrets(), *((self.password,) if self.password else ()))

    def require_account(self) -> None:
        missing = [k for k in ("username", "password_md5", "apikey") if not getattr(self, k)]
        if missing:
            raise ConfigError(
                _(
                    "profile {name!r} has no {keys}: run `fivec-tui config init` or set "
                    "FIVEC_USERNAME, FIVEC_PASSWORD (or FIVEC_PASSWORD_MD5) and FIVEC_APIKEY"
                ).format(name=self.name, keys=", ".join(missing))
            )

    def shown(self) -> dict[str, tuple[str, str]]:
        """Every setting as ``name -> (display value, source)``, secrets and URLs masked."""
        rows = {
            "username": self.username or "(unset)",
            "password_md5": mask(self.password_md5),
            "apikey": mask(self.apikey),
            "base_url": mask_url(self.base_url),
        }
        rows |= {key: kind(ProfileTable, key).show(getattr(self, key)) for key in _PLAIN}
        rows |= _shown("streams", Streams, self.streams)
        rows |= _shown("intervals", Intervals, self.intervals)
        rows |= _shown("push", Push, self.push)
        rows |= _shown("alerts", Alerts, self.alerts)
        rows |= _shown("slo", Slo, self.slo)
        return {k: (v, self.sources.get(k, "default")) for k, v in rows.items()}


def _shown(prefix: str, cls: type, values: Any) -> dict[str, str]:
    """A table flattened to dotted names, each value shown by its kind.

    ``values`` may be a dict of some keys: code (the demo, tests) sets tables that way.
    """
    values = asdict(values) if is_dataclass(values) else {**defaults(cls), **values}
    rows: dict[str, str] = {}
    for f in fields(cls):
        name, value = f"{prefix}.{f.name}", values[f.name]
        if "table" in f.metadata:
            rows |= _shown(name, f.metadata["table"], value)
        else:
            shown = _UNSET.get(value) if value is None or value == "" else None
            rows[name] = shown or f.metadata["kind"].show(value)
    return rows
