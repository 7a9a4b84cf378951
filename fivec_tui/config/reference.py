"""The configuration reference, written from the schema in English or Chinese: every table and
key, what it takes, its default, what it does, and an example of each table.

    python -m fivec_tui.config.reference            # both pages
    python -m fivec_tui.config.reference --lang zh  # fivec_tui/docs/zh-CN/configuration.md
    python -m fivec_tui.config.reference --check    # exit 1 when a written page is stale

The texts are the schema's ``doc`` strings and the kinds' descriptions (:mod:`.kinds`), marked
``N_()`` and translated through the catalog like any other text; the examples are the same
TOML in both languages.  ``tests/unit/test_docs.py`` fails when a committed page differs from
what this writes, so a key added without a doc, or a doc changed without the page, fails CI.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import MISSING, Field, fields
from pathlib import Path
from typing import Any

from ..i18n import LANGUAGES, N_, gettext_for
from .kinds import TEXT, TEXT_TABLE, Kind
from .load import ENV
from .schema import App, ProfileTable

DOCS = Path(__file__).resolve().parents[1] / "docs"
#: The reference page of each language.
PAGES = {"en": DOCS / "configuration.md", "zh": DOCS / "zh-CN" / "configuration.md"}
EXAMPLE_PROFILE = "prod"

#: Keys of the file's top level that no schema table holds, with what they do.
TOP_LEVEL: list[tuple[str, Kind, Any, str]] = [
    (
        "default_profile",
        TEXT,
        "",
        N_(
            "The profile used without --profile or FIVEC_PROFILE; when unset, the one named "
            "default."
        ),
    ),
]
#: Environment variables that are not a profile key's (those come from ``load.ENV``).
ENVIRONMENT = [
    ("FIVEC_CONFIG", N_("The config file, as --config.")),
    ("FIVEC_PROFILE", N_("The profile, as --profile.")),
    ("FIVEC_DB", N_("The cache database of the profile chosen, as --db.")),
]
#: Links at the top of each page: the README, then the page in the other language.
LINKS = {
    "en": "[README](../../README.md) · [中文](zh-CN/configuration.md)",
    "zh": "[README](../../../README.zh-CN.md) · [English](../configuration.md)",
}
KEYS_DOC = N_(
    "Any key binding of the TUI, by its id: the ids are listed under [Keys](tui.md#keys) in "
    "the TUI page. A value that is not a key name is warned about and ignored."
)
INTRO = N_(
    "One TOML file holds every account and setting. `fivec-tui config path` prints where it "
    "is (the platform's config directory, such as `~/.config/fivec-tui/config.toml`; "
    "`--config` or `FIVEC_CONFIG` choose another). `fivec-tui config init` adds or updates a "
    "profile in place, keeping comments and everything else; `fivec-tui config show` lists "
    "every effective value and where it came from, secrets masked."
)
PRECEDENCE = N_(
    "Each value comes from the first of: a command-line flag, an environment variable, the "
    "file, the default below. The file is read and checked once: a wrong value is an error "
    "naming the file, the table and the key, and saying what was expected; an unknown key is "
    "a warning naming its table; a misspelt stream or interval name is an error. A file "
    "holding secrets that group or others can read is warned about, as ssh does."
)
GENERATED = N_(
    "Written by `python -m fivec_tui.config.reference` from `fivec_tui/config/schema.py`: "
    "edit the schema, then run it again."
)


def tables() -> Iterator[tuple[str, type]]:
    """Every schema table with its dotted name, in the order the page gives them."""
    yield "app", App

    def walk(name: str, cls: type) -> Iterator[tuple[str, type]]:
        yield name, cls
        for f in fields(cls):
            if sub := f.metadata.get("table"):
                yield from walk(f"{name}.{f.name}", sub)

    yield from walk("profiles.NAME", ProfileTable)


def keys(cls: type) -> list[Field]:
    return [f for f in fields(cls) if "kind" in f.metadata]


def default(f: Field) -> Any:
    return f.default_factory() if f.default is MISSING else f.default


def toml(value: Any) -> str:
    """``value`` as a TOML value (the schema holds text, numbers, true/false and lists)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    return str(value)


def example_lines(cls: type) -> list[str]:
    """``key = value`` for each key with an example, or a default that shows something."""
    lines = []
    for f in keys(cls):
        value = f.metadata.get("example", default(f))
        if value not in (None, "", []):
            lines.append(f"{f.name} = {toml(value)}")
    return lines


def _row(*cells: str) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _plain(text: str) -> str:
    """Plain text as Markdown shows it: ``<token>`` is no HTML tag, ``*`` no emphasis."""
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("*", "\\*")


def _key_table(rows: list[tuple[str, Kind, Any, str]], _x: Callable[[str], str]) -> list[str]:
    """The Markdown table of ``rows`` (key, kind, default, doc) in ``_x``'s language."""
    lines = [_row(_x(N_("key")), _x(N_("takes")), _x(N_("default")), _x(N_("what it does")))]
    lines.append("|---|---|---|---|")
    for name, kind, value, doc in rows:
        takes = kind.describe(_x) + (_x(N_(", a secret")) if kind.secret else "")
        shown = _x(N_("built in")) if value is None else f"`{toml(value)}`"
        lines.append(_row(f"`{name}`", _plain(takes), shown, _plain(_x(doc))))
    return lines


def _section(title: str, text: str, table: list[str], example: list[str]) -> list[str]:
    return ["", f"## {title}", "", text, "", *table, "", "```toml", *example, "```"]


def render(language: str) -> str:
    """The reference page in ``language``."""
    _x = gettext_for(language)
    out = ["# " + _x(N_("Configuration reference")), "", LINKS[language], ""]
    out += ["> " + _x(GENERATED), "", _x(INTRO), "", _x(PRECEDENCE), ""]
    out += ["## " + _x(N_("Environment variables")), ""]
    out += [_row(_x(N_("variable")), _x(N_("what it sets"))), "|---|---|"]
    out += [_row(f"`{var}`", _x(doc)) for var, doc in ENVIRONMENT]
    profile_key = _x(N_("`{key}` of the profile chosen (never under `poll --all`)"))
    out += [_row(f"`{var}`", profile_key.format(key=key)) for key, var in ENV.items()]
    example = [f'default_profile = "{EXAMPLE_PROFILE}"']
    out += _section(
        _x(N_("Top level")), _x(N_("Keys before any table.")), _key_table(TOP_LEVEL, _x), example
    )
    keys_row = [
        _row(_x(N_("takes")), _x(N_("default"))),
        "|---|---|",
        _row(TEXT_TABLE.describe(_x), "`{}`"),
    ]
    out += _section("`[keys]`", _x(KEYS_DOC), keys_row, ["[keys]", '"nav.send" = "f5"'])
    for name, cls in tables():
        rows = [(f.name, f.metadata["kind"], default(f), f.metadata["doc"]) for f in keys(cls)]
        example = [f"[{name.replace('NAME', EXAMPLE_PROFILE)}]", *example_lines(cls)]
        out += _section(f"`[{name}]`", _plain(_x(cls.doc)), _key_table(rows, _x), example)
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fivec_tui.config.reference", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--lang", choices=LANGUAGES, help="one language (default: both)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a page is stale")
    args = parser.parse_args(argv)
    stale = []
    for language in [args.lang] if args.lang else LANGUAGES:
        path, text = PAGES[language], render(language)
        if args.check:
            if not path.exists() or path.read_text("utf-8") != text:
                stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        print(path)
    if stale:
        print(
            "stale, run python -m fivec_tui.config.reference: " + ", ".join(stale), file=sys.stderr
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
