"""Choosing the interface's language: ``--lang``, else ``[app] language``, else LC_ALL/LANG.

Apart from :mod:`fivec_tui.i18n` because it reads the config file, which i18n (imported by
every layer, the config included) must not.
"""

from __future__ import annotations

import contextlib
import gettext
import os
from pathlib import Path

from . import config as cfg
from . import i18n
from .i18n import N_, ngettext

#: click's own messages (usage, errors), which it translates through gettext's global
#: domain: :func:`choose` points that domain at our catalog, which carries them.
CLICK_MESSAGES = (
    *(N_("Usage:"), N_("Options"), N_("Commands"), N_("Arguments"), N_("Error")),
    *(N_("Show this message and exit."), N_("Show the version and exit.")),
    *(N_("Error: {message}"), N_("Try '{command} {option}' for help."), N_("Aborted!")),
    *(N_("Missing option"), N_("Missing argument"), N_("Missing command.")),
    *(N_("Missing parameter"), N_("Missing parameter: {param_name}")),
    *(N_("No such command {name!r}."), N_("No such option {name!r}.")),
    *(N_("Invalid value for {param_hint}: {message}"), N_("Invalid value: {message}")),
    *(N_("Option {name!r} does not take a value."), N_("default: {default}")),
    *(N_("env var: {var}"), N_("{value!r} is not a valid {number_type}.")),
    N_("%(prog)s, version %(version)s"),
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 2),
    ngettext(
        "Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 2
    ),
    ngettext(
        "Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 2
    ),
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 2),
)


def choose(flag: str | None, config_path: Path) -> None:
    """Use the chosen language from now on.  ValueError names a bad ``[app] language``; a
    config that cannot be read is left to the command that reads it to report."""
    configured = None
    if flag in (None, "auto"):
        with contextlib.suppress(cfg.ConfigError):
            app = cfg.read_file(config_path).get("app")
            configured = app.get("language") if isinstance(app, dict) else None
    try:
        language = i18n.resolve(flag, configured)
    except ValueError as exc:
        raise ValueError(f"{config_path}: [app] language: {exc}") from None
    i18n.use(language)
    # gettext's global domain reads the language from LANGUAGE (it never asks setlocale).
    gettext.bindtextdomain(i18n.DOMAIN, i18n.LOCALE_DIR)
    gettext.textdomain(i18n.DOMAIN)
    os.environ["LANGUAGE"] = "zh_CN" if language == "zh" else "en"


def choose_from_argv(argv: list[str]) -> None:
    """Before the commands are defined (their help is translated then): the same choice from
    the raw arguments.  The group chooses again once click has parsed them, and reports a bad
    value; here one leaves English in place."""
    found: dict[str, str] = {}
    for i, arg in enumerate(argv):
        for name in ("--lang", "--config"):
            if arg == name and i + 1 < len(argv):
                found.setdefault(name, argv[i + 1])
            elif arg.startswith(name + "="):
                found.setdefault(name, arg.partition("=")[2])
    config = found.get("--config") or os.environ.get("FIVEC_CONFIG")
    with contextlib.suppress(ValueError):  # said by the group, with the usage line
        choose(found.get("--lang"), Path(config) if config else cfg.default_config_path())
