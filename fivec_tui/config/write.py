"""Writing a profile into the config file through tomlkit, so the user's file survives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..i18n import _
from ..private_files import private_dir, read_regular, replacing
from ..toml_file import MAX_BYTES as MAX_CONFIG_BYTES
from ..toml_file import MAX_DEPTH, too_deep
from .kinds import ConfigError

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
    Check ``values`` first with :func:`~.load.validate_profile`.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    values = {k: v for k, v in values.items() if k != "password" and v not in (None, "")}
    if path.is_symlink():
        raise ConfigError(
            _(
                "{path}: a symbolic link: not rewritten (the link would be replaced by a file); "
                "give the file it points to with --config"
            ).format(path=path)
        )
    try:
        text = read_regular(path, MAX_CONFIG_BYTES).decode("utf-8")
    except FileNotFoundError:
        text = ""
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    if (line := too_deep(text, MAX_DEPTH)) is not None:  # tomlkit recurses too
        raise ConfigError(
            _("{path}: arrays or tables nested more than {depth} deep (line {line})").format(
                path=path, depth=MAX_DEPTH, line=line
            )
        )
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
        raise ConfigError(f"{path}: profiles: must be a table")
    if name not in profiles:
        profiles[name] = tomlkit.table()
    table = profiles[name]
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [profiles] {name}: must be a table")
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
    private_dir(path.parent)
    with replacing(path, "wb", durable=True) as fh:
        fh.write(data)
