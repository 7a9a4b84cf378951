"""Profiles and settings: one TOML file, checked against one schema (:mod:`.schema`).

Precedence, lowest first: the schema's defaults, the file, ``FIVEC_*`` environment variables,
command-line flags.  Every effective value remembers where it came from so that
``config show`` can say so.  A plain ``password`` is hashed to ``password_md5`` in memory and
never written anywhere.  The file is read with tomllib (fast start, :mod:`.load`) and written
only through tomlkit (:mod:`.write`), which edits it in place: a user's comments survive.

.. code-block:: toml

    default_profile = "prod"

    [profiles.prod]
    username = "acme"
    password_md5 = "e10adc3949ba59abbe56e057f20f883e"
    apikey = "..."
    node = "main"            # main, bj, hk, us, euro, or a full base URL

    [profiles.prod.streams]  # pull, push, watch (replies) or off
    reports = "pull"

    [profiles.prod.intervals]  # seconds
    reports = 5
"""

from .kinds import ConfigError
from .load import (
    ENV,
    SECRET_KEYS,
    ConfigFile,
    checked,
    load_profile,
    permission_warning,
    read_config,
    read_file,
    read_theme,
    table_from,
    validate_profile,
)
from .paths import APP_NAME, config_dir, data_dir, default_config_path
from .profile import DEFAULT_INTERVALS, DEFAULT_STREAMS, Acting, Profile
from .schema import Alerts, App, Forward, Intervals, ProfileTable, Push, Slo, Streams
from .write import write_profile

__all__ = [
    "APP_NAME",
    "DEFAULT_INTERVALS",
    "DEFAULT_STREAMS",
    "ENV",
    "SECRET_KEYS",
    "Acting",
    "Alerts",
    "App",
    "ConfigError",
    "ConfigFile",
    "Forward",
    "Intervals",
    "Profile",
    "ProfileTable",
    "Push",
    "Slo",
    "Streams",
    "checked",
    "config_dir",
    "data_dir",
    "default_config_path",
    "load_profile",
    "permission_warning",
    "read_config",
    "read_file",
    "read_theme",
    "table_from",
    "validate_profile",
    "write_profile",
]
