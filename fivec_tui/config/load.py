"""Reading the config: the file once (tomllib), every value checked against :mod:`.schema`.

Precedence, lowest first: the schema's defaults, the file, ``FIVEC_*`` environment variables,
command-line flags.  Errors name the file, the table and the key; unknown keys are warnings
(carried in ``warnings`` for the command to print), except in ``streams`` and ``intervals``,
where a misspelt name would silently keep the default.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, Field, asdict, fields
from pathlib import Path
from typing import Any, TypeVar

from ..api import md5_hex, resolve_base_url
from ..i18n import N_, _
from ..text import visible
from ..toml_file import Refused, read_toml
from .kinds import FLAG, TEXT, TEXT_TABLE, ConfigError, Kind, Where, number
from .paths import default_config_path
from .profile import Profile
from .schema import App, ProfileTable, kind

T = TypeVar("T")
SECRET_KEYS = ("password", "password_md5", "apikey")
ENV = {
    "username": "FIVEC_USERNAME",
    "password": "FIVEC_PASSWORD",
    "password_md5": "FIVEC_PASSWORD_MD5",
    "apikey": "FIVEC_APIKEY",
    "base_url": "FIVEC_BASE_URL",
}
TOP_LEVEL = ("default_profile", "profiles", "app", "keys")
#: What a table's keys are called in "unknown ..." (a table's ``unknown``, :mod:`.schema`),
#: listed so that they are translated.
NOUNS = (N_("setting"), N_("stream"), N_("interval"))
THEME = N_("theme setting")


def read_file(path: Path, given: str = "") -> dict[str, Any]:
    """The parsed TOML, ``{}`` when the file does not exist, ConfigError when unreadable
    (:func:`fivec_tui.toml_file.read_toml`: what is not a regular file, too large, too deep).

    ``given``: how the path was named (``--config``, ``FIVEC_CONFIG``), when it was: a file
    named so must exist, a typo never passing for an empty config.  Only the default path
    may be missing (a fresh install, credentials in the environment).
    """
    try:
        return read_toml(path)
    except FileNotFoundError:
        if given:
            raise ConfigError(
                _("{path}: no such file (given by {given})").format(path=path, given=given)
            ) from None
        return {}
    except Refused as exc:
        raise ConfigError(str(exc)) from None


def permission_warning(path: Path, data: dict[str, Any]) -> str | None:
    """Warn like ssh does when a file holding secrets is readable by group or others."""
    has_secret = any(
        isinstance(p, dict) and any(p.get(k) for k in SECRET_KEYS)
        for p in (data.get("profiles") or {}).values()
    ) if isinstance(data.get("profiles"), dict) else False  # fmt: skip
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


def _table(where: Where, key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise where.error(key, _("must be a table"))
    return value


class Reading:
    """What reading tables collects besides the values: their sources and the warnings.
    ``strict``: unknown keys are errors, not warnings."""

    def __init__(
        self, source: str, sources: dict[str, str], warnings: list[str], strict: bool = False
    ) -> None:
        self.source, self.sources, self.warnings, self.strict = source, sources, warnings, strict

    def table(self, cls: type, data: dict[str, Any], where: Where, prefix: str = "") -> dict:
        """The keys ``data`` sets, each checked by its kind; a sub-table becomes its class."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown and (self.strict or hasattr(cls, "unknown")):
            noun = getattr(cls, "unknown", "setting")
            problem = _("unknown {noun} (known: {keys})")
            raise where.error(unknown[0], problem.format(noun=_(noun), keys=", ".join(known)))
        if unknown:
            self.warnings.append(
                where.warning(_("unknown settings ignored: {keys}").format(keys=", ".join(unknown)))
            )
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                continue
            name, meta = f"{prefix}{key}", known[key].metadata
            if sub := meta.get("table"):
                sub_values = self.table(sub, _table(where, key, value), where / key, f"{name}.")
                values[key] = whole(sub, sub_values, where / key)
            else:
                values[key] = where.check(meta["kind"], key, value)
                self.sources[name] = self.source
        return values


def checked(cls: type, key: str, value: Any, label: str) -> Any:
    """``value`` for the ``key`` of table ``cls``, given outside the file (an environment
    variable or a flag, named by ``label``), checked like the file's."""
    return Where().check(kind(cls, key), label, value)


def table_from(cls: type[T], values: Mapping[str, Any], table: str) -> T:
    """Table ``cls`` from ``values`` (some of its keys, as code and tests write them), checked
    like the file's; an unknown key is an error here, there being nobody to warn."""
    reading = Reading("code", {}, [], strict=True)
    where = Where(table=table)
    return whole(cls, reading.table(cls, dict(values), where), where)


def whole(cls: type[T], values: dict[str, Any], where: Where) -> T:
    """Table ``cls`` from its checked ``values``, and the defaults for the rest; ConfigError
    for what its keys say together that each alone could not (its ``problems()``)."""
    made = cls(**values)
    for key, problem in getattr(made, "problems", list)():
        raise where.error(key, problem)
    return made


def _apply(profile: Profile, values: dict[str, Any], source: str) -> None:
    """Checked values of one layer onto ``profile``: the password hashed, the node resolved."""
    if "password" in values:
        values["password_md5"] = md5_hex(values["password"])
    elif "password_md5" in values:
        values["password"] = ""  # an md5 given later replaces an earlier plain password
    node, url = values.pop("node", None), values.pop("base_url", None)
    https = values.pop("https", None)
    if node is not None or url is not None or https is not None:
        values["base_url"] = resolve_base_url(url or node or "main", https is not False)
    for key, value in values.items():
        if key in ("streams", "intervals"):
            value = asdict(value)  # every name, the file's over the defaults
        elif key not in ("push", "alerts", "slo"):  # tables: each key's source is kept as read
            profile.sources[key] = source
        setattr(profile, key, value)


class ConfigFile:
    """One config file, read and checked: ``[app]``, ``[keys]``, and the profiles on demand.
    ``sources`` holds those of ``app.*`` and ``keys.*``."""

    def __init__(
        self,
        path: Path,
        data: dict[str, Any],
        app: App,
        keys: dict[str, str],
        sources: dict[str, str],
        warnings: list[str],
    ) -> None:
        self.path, self.data, self.app, self.keys = path, data, app, keys
        self.sources, self.warnings = sources, warnings

    def shown(self) -> dict[str, tuple[str, str]]:
        """``[app]`` and ``[keys]`` as ``name -> (display value, source)``, like a profile's."""
        rows = {f"app.{key}": kind(App, key).show(value) for key, value in asdict(self.app).items()}
        rows |= {f"keys.{binding}": key for binding, key in self.keys.items()}
        return {name: (value, self.sources.get(name, "default")) for name, value in rows.items()}

    def profile(
        self,
        name: str | None = None,
        *,
        env: dict[str, str] | None = None,
        overrides: dict[str, Any] | None = None,
    ) -> Profile:
        """The effective profile: defaults < file < environment < ``overrides`` (flags)."""
        env = dict(os.environ) if env is None else env
        where = Where(str(self.path))
        profiles = _table(where, "profiles", self.data.get("profiles", {}))
        default = where.check(TEXT, "default_profile", self.data.get("default_profile", ""))
        name = name or env.get("FIVEC_PROFILE") or default or "default"
        check_profile_name(name)
        profile = Profile(name, warnings=list(self.warnings))
        table = profiles.get(name)
        if table is None and profiles and name != "default":
            raise ConfigError(
                _("{path}: no profile {name!r} (have: {names})").format(
                    path=self.path, name=name, names=", ".join(profiles)
                )
            )
        if table is not None:
            source = f"file {self.path}"
            reading = Reading(source, profile.sources, profile.warnings)
            table = _table(where / "profiles", name, table)
            _apply(profile, reading.table(ProfileTable, table, where / f"profiles.{name}"), source)
        layers = [(k, var, env[var], f"env {var}") for k, var in ENV.items() if env.get(var)]
        for key, value in (overrides or {}).items():
            if value is not None:
                flag = f"--{key.replace('_', '-')}"
                layers.append((key, flag, value, f"flag {flag}"))
        for key, label, value, source in layers:
            _apply(profile, {key: checked(ProfileTable, key, value, label)}, source)
        return profile


def read_config(
    path: Path | None = None, env: dict[str, str] | None = None, given: str = ""
) -> ConfigFile:
    """The file at ``path`` (default: ``FIVEC_CONFIG`` or the platform's), read and checked;
    ``given``: how ``path`` was named, if it was (see :func:`read_file`)."""
    path = path or default_config_path(env)
    data = read_file(path, given)
    where = Where(str(path))
    warnings = [w] if (w := permission_warning(path, data)) else []
    if unknown := sorted(set(data) - set(TOP_LEVEL)):
        warnings.append(
            where.warning(_("unknown settings ignored: {keys}").format(keys=", ".join(unknown)))
        )
    sources: dict[str, str] = {}
    reading = Reading(f"file {path}", sources, warnings)
    app = App(
        **reading.table(App, _table(where, "app", data.get("app", {})), where / "app", "app.")
    )
    keys: dict[str, str] = {}
    for binding, key in _table(where, "keys", data.get("keys", {})).items():
        if isinstance(key, str):  # anything else may be for a later version: said, not used
            keys[binding], sources[f"keys.{binding}"] = key, reading.source
        else:
            ignored = _("{binding}: not a key name, ignored").format(binding=binding)
            warnings.append((where / "keys").warning(ignored))
    return ConfigFile(path, data, app, keys, sources, warnings)


def load_profile(
    path: Path | None = None,
    name: str | None = None,
    *,
    env: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Profile:
    """The effective profile: defaults < file < environment < ``overrides`` (flags)."""
    env = dict(os.environ) if env is None else env
    return read_config(path, env).profile(name, env=env, overrides=overrides)


def check_profile_name(name: str) -> None:
    """A profile's name names its cache, lock and log files: one that is not a plain file
    name (``../../tmp/x``, a control character) would put them outside the 0700 data
    directory or into a terminal's escape sequences."""
    if not name or name.startswith(".") or any(c in "/\\" or not c.isprintable() for c in name):
        raise ConfigError(
            _(
                "{name}: not a profile name (it names the cache's file): no /, \\, "
                "control characters or leading dot"
            ).format(name=visible(repr(name)))
        )


def validate_profile(name: str, values: dict[str, Any]) -> Profile:
    """The profile ``values`` (a ``[profiles.NAME]`` table) make; ConfigError if one is bad."""
    check_profile_name(name)
    profile = Profile(name)
    reading = Reading("flags", profile.sources, profile.warnings)
    _apply(profile, reading.table(ProfileTable, values, Where(table=f"profiles.{name}")), "flags")
    return profile


def read_theme(path: Path, theme_fields: Iterable[Field]) -> dict[str, Any]:
    """A theme file checked against ``theme_fields`` (Textual's ``Theme``, which only app/ may
    import, hands them in): unknown keys and missing required ones are errors."""
    data, where = read_file(path), Where(str(path))
    theme_fields = list(theme_fields)
    kinds = {f.name: _theme_kind(f) for f in theme_fields}
    if unknown := sorted(set(data) - set(kinds)):
        problem = _("unknown {noun} (known: {keys})")
        raise where.error(unknown[0], problem.format(noun=_(THEME), keys=", ".join(kinds)))
    for f in theme_fields:
        if f.default is MISSING and f.default_factory is MISSING and f.name not in data:
            raise where.error(f.name, _("required"))
    return {key: where.check(kinds[key], key, value) for key, value in data.items()}


def _theme_kind(f: Field) -> Kind:
    """A kind from the field's annotation (a string under postponed annotations)."""
    annotation = str(f.type)
    if "bool" in annotation:
        return FLAG
    if "float" in annotation:
        return number()
    return TEXT_TABLE if "dict" in annotation else TEXT
