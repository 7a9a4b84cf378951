"""Profiles: one TOML file, one ``[profiles.NAME]`` table per account.

Precedence, lowest first: built-in defaults, the file, ``FIVEC_*`` environment variables,
command-line flags.  Every effective value remembers where it came from so that
``config show`` can say so.  A plain ``password`` is hashed to ``password_md5`` in memory and
never written anywhere.  The file is read with tomllib (fast start) and written only through
tomlkit (:func:`write_profile`), which edits it in place: a user's comments survive.

.. code-block:: toml

    default_profile = "prod"

    [profiles.prod]
    username = "acme"
    password_md5 = "e10adc3949ba59abbe56e057f20f883e"
    apikey = "..."
    node = "main"            # main, bj, hk, us, euro, or a full base URL
    encode = "UTF-8"
    timeout = 15
    send_timeout = 30
    retention_days = 30

    [profiles.prod.streams]  # pull, push or off
    reports = "pull"
    replies = "pull"

    [profiles.prod.intervals]  # seconds
    reports = 5
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from .api import Credentials, mask, md5_hex, resolve_base_url
from .api.redact import mask_url, mask_urls
from .api.wire import normalize_encode

APP_NAME = "fivec-tui"
SECRET_KEYS = ("password", "password_md5", "apikey")
STREAM_MODES = ("pull", "push", "watch", "off")  # watch: replies via queryByCondition only
DEFAULT_STREAMS = {"reports": "pull", "replies": "pull", "records": "pull", "balance": "pull"}
DEFAULT_INTERVALS = {
    "reports": 5.0,
    "replies": 10.0,
    "records": 30.0,
    "balance": 60.0,
    "reconcile_replies": 600.0,  # replies read again by time (pull mode): what a crash took
}
ENV = {
    "username": "FIVEC_USERNAME",
    "password": "FIVEC_PASSWORD",
    "password_md5": "FIVEC_PASSWORD_MD5",
    "apikey": "FIVEC_APIKEY",
    "base_url": "FIVEC_BASE_URL",
}


class ConfigError(ValueError):
    """A config file or value that cannot be used; the message says where and why."""


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_config_path(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env["FIVEC_CONFIG"]) if env.get("FIVEC_CONFIG") else config_dir() / "config.toml"


@dataclass
class Profile:
    """The effective settings of one account."""

    name: str
    username: str = ""
    password_md5: str = field(default="", repr=False)
    apikey: str = field(default="", repr=False)
    #: The plain password when one was given (the SOAP send takes only that); memory only.
    password: str = field(default="", repr=False)
    base_url: str = "https://m.5c.com.cn"
    encode: str = "UTF-8"
    timeout: float = 15.0
    send_timeout: float = 30.0
    retention_days: int = 30
    streams: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_STREAMS))
    intervals: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_INTERVALS))
    #: Push receiver: listen address, secret path token, allowlist, body cap, forward URLs.
    push: dict[str, Any] = field(default_factory=dict)
    alerts: dict[str, Any] = field(default_factory=dict)
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
                f"profile {self.name!r} has no {', '.join(missing)}: run `fivec-tui config init` "
                "or set FIVEC_USERNAME, FIVEC_PASSWORD (or FIVEC_PASSWORD_MD5) and FIVEC_APIKEY"
            )

    def shown(self) -> dict[str, tuple[str, str]]:
        """Every setting as ``name -> (display value, source)``, secrets masked."""
        rows = {
            "username": self.username or "(unset)",
            "password_md5": mask(self.password_md5),
            "apikey": mask(self.apikey),
            "base_url": mask_url(self.base_url),
            "encode": self.encode,
            "timeout": f"{self.timeout:g}s",
            "send_timeout": f"{self.send_timeout:g}s",
            "retention_days": str(self.retention_days),
        }
        rows |= {f"streams.{k}": v for k, v in self.streams.items()}
        rows |= {f"intervals.{k}": f"{v:g}s" for k, v in self.intervals.items()}
        rows |= _shown_table("push", self.push)
        rows |= _shown_table("alerts", self.alerts)
        return {k: (v, self.sources.get(k.split(".")[0], "default")) for k, v in rows.items()}


def _shown_table(prefix: str, table: dict[str, Any]) -> dict[str, str]:
    """A nested table flattened to dotted names; tokens and secrets masked, URLs shown masked."""
    rows: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict):
            rows |= _shown_table(name, value)
        elif any(w in key.lower() for w in ("token", "secret")) or key in SECRET_KEYS:
            rows[name] = mask(str(value))
        elif isinstance(value, list):
            rows[name] = ", ".join(mask_urls(str(v)) for v in value)
        else:
            rows[name] = mask_urls(str(value))
    return rows


def read_file(path: Path) -> dict[str, Any]:
    """The parsed TOML, ``{}`` when the file does not exist, ConfigError when unreadable."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def permission_warning(path: Path, data: dict[str, Any]) -> str | None:
    """Warn like ssh does when a file holding secrets is readable by group or others."""
    has_secret = any(
        isinstance(p, dict) and any(p.get(k) for k in SECRET_KEYS)
        for p in (data.get("profiles") or {}).values()
    )
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if has_secret and mode & (stat.S_IRWXG | stat.S_IRWXO):
        return (
            f"WARNING: UNPROTECTED CONFIG FILE! Permissions {stat.S_IMODE(mode):04o} for "
            f"'{path}' are too open: it holds secrets. Run: chmod 600 '{path}'"
        )
    return None


def _typed(where: str, value: Any, kind: type, name: str) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ConfigError(f"{where}.{name}: expected {kind.__name__}, got {value!r}")
    if kind is float and not value > 0:
        raise ConfigError(f"{where}.{name}: must be positive, got {value!r}")
    return value


_FIELDS: dict[str, type] = {
    "username": str,
    "password": str,
    "password_md5": str,
    "apikey": str,
    "node": str,
    "base_url": str,
    "https": bool,
    "encode": str,
    "timeout": float,
    "send_timeout": float,
    "retention_days": int,
    "streams": dict,
    "intervals": dict,
    "push": dict,
    "alerts": dict,
}


def _apply(profile: Profile, where: str, table: dict[str, Any], source: str) -> None:
    unknown = sorted(set(table) - set(_FIELDS))
    if unknown:
        profile.warnings.append(f"{where}: unknown settings ignored: {', '.join(unknown)}")
    values = {k: _typed(where, v, _FIELDS[k], k) for k, v in table.items() if k in _FIELDS}
    if "password" in values:
        values["password_md5"] = md5_hex(values["password"])
    elif "password_md5" in values:
        values["password"] = ""  # an md5 given later replaces an earlier plain password
    if "password_md5" in values:
        pw = values["password_md5"].strip()
        if len(pw) != 32 or any(c not in "0123456789abcdefABCDEF" for c in pw):
            raise ConfigError(f"{where}.password_md5: expected 32 hex characters")
        values["password_md5"] = pw.lower()
    if "node" in values or "https" in values or "base_url" in values:
        node = values.pop("base_url", None) or values.pop("node", None)
        https = values.pop("https", True)
        if node is not None:
            try:
                values["base_url"] = resolve_base_url(node, https)
            except ValueError as exc:
                raise ConfigError(f"{where}.node: {exc}") from None
    if "encode" in values:
        try:
            values["encode"] = normalize_encode(values["encode"])
        except ValueError as exc:
            raise ConfigError(f"{where}.encode: {exc}") from None
    for key in ("streams", "intervals"):
        if key in values:
            merged = dict(getattr(profile, key))
            for name, v in values.pop(key).items():
                if name not in (DEFAULT_STREAMS if key == "streams" else DEFAULT_INTERVALS):
                    raise ConfigError(f"{where}.{key}.{name}: unknown {key[:-1]}")
                if key == "streams" and v not in STREAM_MODES:
                    raise ConfigError(f"{where}.streams.{name}: use one of {STREAM_MODES}")
                merged[name] = v if key == "streams" else _typed(f"{where}.{key}", v, float, name)
            setattr(profile, key, merged)
            profile.sources[key] = source
    for k, v in values.items():
        setattr(profile, k, v)
        profile.sources[k] = source


def load_profile(
    path: Path | None = None,
    name: str | None = None,
    *,
    env: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Profile:
    """The effective profile: defaults < file < environment < ``overrides`` (flags)."""
    env = dict(os.environ) if env is None else env
    path = path or default_config_path(env)
    data = read_file(path)
    profiles = data.get("profiles") or {}
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: [profiles] must be a table")
    name = name or env.get("FIVEC_PROFILE") or data.get("default_profile") or "default"
    if not isinstance(name, str):
        raise ConfigError(f"{path}: default_profile must be a string")
    profile = Profile(name)
    if warning := permission_warning(path, data):
        profile.warnings.append(warning)
    table = profiles.get(name)
    if table is None and profiles and name != "default":
        raise ConfigError(f"{path}: no profile {name!r} (have: {', '.join(profiles)})")
    if table is not None:
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: profiles.{name} must be a table")
        _apply(profile, f"profiles.{name}", table, f"file {path}")
    env_values = {k: env[v] for k, v in ENV.items() if env.get(v)}
    for key, value in env_values.items():
        _apply(profile, "environment", {key: value}, f"env {ENV[key]}")
    for key, value in (overrides or {}).items():
        if value is not None:
            _apply(profile, "flags", {key: value}, f"flag --{key.replace('_', '-')}")
    return profile


def validate_profile(name: str, values: dict[str, Any]) -> Profile:
    """The profile ``values`` (a ``[profiles.NAME]`` table) make; ConfigError if one is bad."""
    profile = Profile(name)
    _apply(profile, f"profiles.{name}", values, "flags")
    return profile


#: Writing one key makes another one stale: it would otherwise win over the new value.
_SUPERSEDES = {"password_md5": ("password",), "password": ("password_md5",), "node": ("base_url",)}


def _toml_item(old: Any, value: Any) -> Any:
    """``value`` as a TOML item; a replaced string keeps its quoting ('literal' or "basic")."""
    import tomlkit
    from tomlkit.items import String, StringType

    literal = isinstance(old, String) and old.type == StringType.SLL
    if literal and isinstance(value, str) and not any(c in value for c in "'\n\r"):
        return tomlkit.string(value, literal=True)
    return tomlkit.item(value)


def write_profile(path: Path, name: str, values: dict[str, Any]) -> None:
    """Add one profile, or update the given keys of an existing one, editing the file in place.

    Comments, order, quoting, other tables (``[app]``, ``[keys]``) and keys this version does
    not know survive byte for byte (tomlkit); nested values become TOML tables and arrays.  A
    plain ``password`` is never written.  The file is replaced atomically, with mode 0600.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    values = {k: v for k, v in values.items() if k != "password" and v not in (None, "")}
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        text = ""
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(f"{path}: invalid TOML, not rewritten: {exc}") from None
    if "default_profile" not in doc:
        doc["default_profile"] = name
    if "profiles" not in doc:
        doc["profiles"] = tomlkit.table(is_super_table=True)
    profiles = doc["profiles"]
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: [profiles] must be a table")
    if name not in profiles:
        profiles[name] = tomlkit.table()
    table = profiles[name]
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: profiles.{name} must be a table")
    for key, value in values.items():
        for stale in _SUPERSEDES.get(key, ()):
            table.pop(stale, None)
        table[key] = _toml_item(table.get(key), value)
    try:
        _write_private(path, tomlkit.dumps(doc).encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror}") from None


def _write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically; the file is 0600, a new directory 0700."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
