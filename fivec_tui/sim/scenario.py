"""Scenarios: what the simulated platform does, read from TOML files in ``data/scenarios``.

A scenario names the demo account, the background traffic of "other systems", the mix of
report outcomes (and phases that change it, such as a carrier outage), the reply stream,
push settings and faults per endpoint.  See ``data/scenarios/demo.toml`` for every key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..resources import data_dir
from ..toml_file import Refused, read_toml

#: The time multipliers a scenario runs at (its ``speed``, ``--speed``): slower stalls the demo
#: for hours, faster makes every delay vanish (and nan or infinity, nonsense).
SPEEDS = (0.01, 1000.0)
DEFAULT_MIX = {"DELIVRD": 0.95, "UNDELIV": 0.03, "EXPIRED": 0.02}
ENDPOINTS = ("send", "batch", "query", "recv", "reply", "black", "bind", "user", "webservice")
FAULT_KEYS = (
    "latency_ms",
    "timeout",
    "http_5xx",
    "reset",
    "garbage",
    "truncate",
    "bom",
    "crlf",
    "hang_s",
    "throttle",
    "answer_with",
    "answer_with_p",
)
#: Fault keys whose value is text, not a number: ``answer_with`` is a canned kind
#: (:data:`.answers.KINDS`) or the literal body to answer with.
TEXT_FAULT_KEYS = ("answer_with",)


class ScenarioError(ValueError):
    pass


@dataclass
class Phase:
    name: str
    start_s: float
    end_s: float
    prefixes: tuple[str, ...]
    mix: dict[str, float]


@dataclass
class Scenario:
    name: str
    description: str = ""
    account: dict[str, Any] = field(default_factory=dict)
    speed: float = 1.0
    throughput: int = 0
    keywords: tuple[str, ...] = ()
    never_report: float = 0.01
    delay_median: float = 2.0
    delay_sigma: float = 0.6
    mix: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    phases: list[Phase] = field(default_factory=list)
    chunk: int = 500
    #: True: every report line starts with ext; "mixed": every other chunk does.
    ext_prefix: bool | str = False
    traffic_rate: float = 0.0
    traffic_recipients: tuple[int, ...] = (1,)
    traffic_templates: tuple[str, ...] = ("您的验证码是{code}，5分钟内有效。【美联软通】",)
    mobile_pool: int = 5000
    reply_rate: float = 0.0
    reply_pool: tuple[str, ...] = ("好的",)
    reply_wire_pool: tuple[str, ...] = ()
    push_reports: bool = False
    push_replies: bool = False
    push_format: str = "string"
    blacklist: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: dict[str, dict[str, float | str]] = field(default_factory=dict)

    def mix_at(self, elapsed: float, mobile: str) -> dict[str, float]:
        for phase in self.phases:
            if phase.start_s <= elapsed < phase.end_s and (
                not phase.prefixes or mobile.startswith(phase.prefixes)
            ):
                return phase.mix
        return self.mix


def _mix(where: str, table: Any) -> dict[str, float]:
    if not isinstance(table, dict) or not table:
        raise ScenarioError(f"{where}: expected a table of status = weight")
    try:
        mix = {str(k): float(v) for k, v in table.items()}
    except (TypeError, ValueError):
        raise ScenarioError(f"{where}: weights must be numbers") from None
    if any(v < 0 for v in mix.values()) or sum(mix.values()) <= 0:
        raise ScenarioError(f"{where}: weights must be >= 0 with a positive sum")
    return mix


def _ext_prefix(value: Any) -> bool | str:
    if value == "mixed" or isinstance(value, bool):
        return value
    raise ScenarioError(f'reports.ext_prefix: true, false or "mixed", not {value!r}')


def checked_speed(value: Any) -> float:
    """``value`` as a speed within :data:`SPEEDS`, else :class:`ScenarioError`."""
    speed = float(value)
    if not SPEEDS[0] <= speed <= SPEEDS[1]:  # nan too: it compares false with both
        low, high = SPEEDS
        raise ScenarioError(f"speed: a multiplier from {low:g} to {high:g}, not {value!r}")
    return speed


def from_dict(data: dict[str, Any], name: str = "custom") -> Scenario:
    try:
        account = dict(data.get("account") or {})
        account.setdefault("username", "demo")
        account.setdefault("apikey", "d72f33697f8443b397bddba173e30410")
        account.setdefault("password", "demo123456")
        account.setdefault(
            "password_md5", hashlib.md5(str(account["password"]).encode()).hexdigest()
        )
        reports = data.get("reports") or {}
        traffic = data.get("traffic") or {}
        replies = data.get("replies") or {}
        push = data.get("push") or {}
        phases = [
            Phase(
                str(p.get("name", "phase")),
                float(p["start_s"]),
                float(p["end_s"]),
                tuple(p.get("prefixes", ())),
                _mix(f"phases[{i}].mix", p.get("mix")),
            )
            for i, p in enumerate(data.get("phases") or [])
        ]
        faults = {k: fault_table(k, v) for k, v in (data.get("faults") or {}).items()}
        return Scenario(
            name=str(data.get("name", name)),
            description=str(data.get("description", "")),
            account=account,
            speed=checked_speed(data.get("speed", 1.0)),
            throughput=int(data.get("throughput", 0)),
            keywords=tuple(data.get("keywords", ())),
            never_report=float(reports.get("never", 0.01)),
            delay_median=float(reports.get("delay_median_s", 2.0)),
            delay_sigma=float(reports.get("delay_sigma", 0.6)),
            mix=_mix("reports.mix", reports.get("mix", DEFAULT_MIX)),
            phases=phases,
            chunk=int(reports.get("chunk", 500)),
            ext_prefix=_ext_prefix(reports.get("ext_prefix", False)),
            traffic_rate=float(traffic.get("rate", 0.0)),
            traffic_recipients=tuple(int(n) for n in traffic.get("recipients", (1,))),
            traffic_templates=tuple(traffic.get("templates", Scenario.traffic_templates)),
            mobile_pool=int(traffic.get("mobile_pool", 5000)),
            reply_rate=float(replies.get("rate", 0.0)),
            reply_pool=tuple(replies.get("pool", ("好的",))),
            reply_wire_pool=tuple(replies.get("wire_pool", ())),
            push_reports=bool(push.get("reports", False)),
            push_replies=bool(push.get("replies", False)),
            push_format=str(push.get("format", "string")),
            blacklist=dict(data.get("blacklist") or {}),
            faults=faults,
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError(f"scenario {name}: {type(exc).__name__}: {exc}") from None


def fault_table(endpoint: str, table: Any) -> dict[str, float | str]:
    """One endpoint's faults checked: known keys, numbers (``answer_with``: text).

    The one reading of a fault table, for scenario files, ``/_sim/control`` and
    ``fivec-tui sim --fault``.
    """
    if endpoint not in ENDPOINTS:
        raise ScenarioError(f"faults.{endpoint}: unknown endpoint (use {', '.join(ENDPOINTS)})")
    if not isinstance(table, dict):
        raise ScenarioError(f"faults.{endpoint}: expected a table of fault = value")
    bad = set(table) - set(FAULT_KEYS)
    if bad:
        raise ScenarioError(f"faults.{endpoint}: unknown keys {sorted(bad)}")
    out: dict[str, float | str] = {}
    for key, value in table.items():
        if key in TEXT_FAULT_KEYS:
            if not isinstance(value, str):
                raise ScenarioError(f"faults.{endpoint}.{key}: expected text, not {value!r}")
            out[key] = value
            continue
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            raise ScenarioError(
                f"faults.{endpoint}.{key}: expected a number, not {value!r}"
            ) from None
    return out


def parse_faults(specs: list[str] | tuple[str, ...]) -> dict[str, dict[str, float | str]]:
    """``ENDPOINT:KEY=VALUE`` strings (``fivec-tui sim --fault``) as fault tables.

    ``all`` stands for every endpoint; one key a string, so that a literal ``answer_with``
    body may hold commas and colons:

    >>> parse_faults(["recv:answer_with=waf", "all:latency_ms=50"])["recv"]
    {'answer_with': 'waf', 'latency_ms': 50.0}
    """
    tables: dict[str, dict[str, str]] = {}
    for spec in specs:
        endpoint, colon, setting = spec.partition(":")
        key, equals, value = setting.partition("=")
        if not (colon and equals and key):
            raise ScenarioError(f"--fault {spec!r}: expected ENDPOINT:KEY=VALUE")
        for name in ENDPOINTS if endpoint == "all" else (endpoint,):
            tables.setdefault(name, {})[key] = value
    return {k: fault_table(k, v) for k, v in tables.items()}


def available() -> list[str]:
    return sorted(p.stem for p in (data_dir() / "scenarios").glob("*.toml"))


def load(name_or_path: str) -> Scenario:
    """A shipped scenario by name (``demo``, ``quiet``, ``flood``, ``hostile``) or a file."""
    path = Path(name_or_path)
    if not path.suffix:
        path = data_dir() / "scenarios" / f"{name_or_path}.toml"
    try:
        data = read_toml(path)  # bounded: size, depth, a FIFO (the config's reader)
    except FileNotFoundError:
        raise ScenarioError(
            f"no scenario {name_or_path!r}; shipped: {', '.join(available())}"
        ) from None
    except Refused as exc:
        raise ScenarioError(str(exc)) from None
    return from_dict(data, path.stem)
