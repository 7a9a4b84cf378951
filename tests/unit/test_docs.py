"""The topic pages under ``fivec_tui/docs/`` and the generated configuration reference: the
same pages in both languages, every link resolving, every command parsing, the reference as
the schema writes it now, and its examples a config that loads."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib

import click
import pytest
from docpages import (
    DOCS,
    PAGES,
    README,
    ROOT,
    anchors,
    bindings,
    blocks,
    commands,
    every_page,
    keys_table,
    links,
    outside_fences,
    same_block,
    sections,
    table_rows,
    text,
    topic_pages,
)
from screenshots import SCREENSHOTS, screenshot

from fivec_tui import config as cfg
from fivec_tui import i18n
from fivec_tui.cli import main
from fivec_tui.config import load, reference
from fivec_tui.config.schema import Push

LANGUAGES = ("en", "zh")


# -- the reference ------------------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_configuration_reference_is_what_the_schema_writes_now(language):
    """Fails on a key added or a doc changed without ``python -m fivec_tui.config.reference``."""
    written = reference.PAGES[language].read_text("utf-8")
    assert written == reference.render(language), (
        "stale: run .venv/bin/python -m fivec_tui.config.reference"
    )


def test_the_reference_check_fails_on_a_stale_page(tmp_path, monkeypatch):
    stale = tmp_path / "configuration.md"
    stale.write_text(reference.render("en").replace("retention_days", "retain"), "utf-8")
    monkeypatch.setitem(reference.PAGES, "en", stale)
    assert reference.main(["--lang", "en", "--check"]) == 1
    assert (
        reference.main(["--lang", "en"]) == 0 and reference.main(["--check", "--lang", "en"]) == 0
    )


def test_every_key_and_table_has_a_doc():
    for _name, cls in reference.tables():
        assert cls.doc, cls
        for f in reference.keys(cls):
            assert f.metadata["doc"].strip(), f"{cls.__name__}.{f.name} has no doc"


def test_every_doc_and_kind_has_a_chinese_translation():
    """A doc or a kind's text not marked N_() would be English in the Chinese page."""
    zh = i18n.gettext_for("zh")
    texts = [cls.doc for _name, cls in reference.tables()]
    for _name, cls in reference.tables():
        for f in reference.keys(cls):
            kind = f.metadata["kind"]
            texts += [f.metadata["doc"], kind.text, kind.values.get("noun", "{noun}")]
    untranslated = {t for t in texts if t != "{noun}" and zh(t) == t}
    assert untranslated == set()


def test_the_reference_names_every_top_level_key_the_loader_reads():
    documented = {name for name, *_ in reference.TOP_LEVEL} | {"app", "keys", "profiles"}
    assert documented == set(load.TOP_LEVEL)


def test_the_reference_shows_every_key_of_every_table():
    page = reference.render("en")
    for name, cls in reference.tables():
        section = page.split(f"## `[{name}]`", 1)[1].split("\n## ", 1)[0]
        for f in reference.keys(cls):
            assert f"| `{f.name}` |" in section, (name, f.name)


def test_the_reference_examples_make_a_config_that_loads_without_a_warning(tmp_path):
    """Its TOML blocks, one after the other, are a whole config file: every table, no key
    unknown, no value refused."""
    examples = [body for lang, body in blocks(reference.render("en")) if lang == "toml"]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(examples), "utf-8")
    os.chmod(path, 0o600)
    profile = cfg.load_profile(path, env={})
    assert profile.name == reference.EXAMPLE_PROFILE and not profile.warnings
    assert profile.push.forward.reports == ["https://your-backend/report"]
    assert cfg.read_config(path, env={}).keys == {"nav.send": "f5"}
    parsed = tomllib.loads(path.read_text("utf-8"))["profiles"][reference.EXAMPLE_PROFILE]
    tables = {f.name for f in dataclasses.fields(cfg.ProfileTable) if "table" in f.metadata}
    assert set(parsed) >= tables and "forward" in parsed["push"]


def test_the_receivers_built_in_limits_are_the_ones_the_reference_gives():
    """``None`` in the schema: the receiver's own default, which the doc states."""
    from fivec_tui.sync.httpd import Limits

    built_in = {
        "max_body": Limits.max_body,
        "header_timeout": Limits.header_timeout,
        "body_timeout": Limits.body_timeout,
        "max_per_peer": Limits.per_peer,
    }
    docs = {f.name: f.metadata["doc"] for f in dataclasses.fields(Push) if "kind" in f.metadata}
    for key, value in built_in.items():
        assert f"(built in: {value:.10g}" in docs[key], (key, value, docs[key])
    assert "at most 4096" in docs["max_connections"]


# -- the pages ----------------------------------------------------------------------------------
def test_the_same_topic_pages_in_both_languages():
    english = [p.name for p in topic_pages("en")]
    assert [p.name for p in topic_pages("zh")] == english
    assert {"configuration.md", "tui.md", "operations.md", "security.md"} <= set(english)


@pytest.mark.parametrize("name", [p.name for p in topic_pages("en")])
def test_each_page_has_the_same_sections_and_code_in_both_languages(name):
    """Section by section: the same code blocks (comments translated; TOML still the same
    TOML), as many table rows, as many links."""
    english, chinese = text(PAGES["en"] / name), text(PAGES["zh"] / name)
    en_parts, zh_parts = sections(english), sections(chinese)
    assert len(en_parts) == len(zh_parts), ([t for t, _ in en_parts], [t for t, _ in zh_parts])
    for (title, en_body), (_, zh_body) in zip(en_parts, zh_parts, strict=True):
        en_blocks, zh_blocks = blocks(en_body), blocks(zh_body)
        assert [lang for lang, _ in en_blocks] == [lang for lang, _ in zh_blocks], title
        for (lang, en_code), (_, zh_code) in zip(en_blocks, zh_blocks, strict=True):
            assert same_block(lang, en_code, zh_code), (name, title, en_code, zh_code)
        assert len(table_rows(en_body)) == len(table_rows(zh_body)), (name, title)
        assert outside_fences(en_body).count("](") == outside_fences(zh_body).count("]("), title


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_toml_example_is_a_config_that_loads_without_a_warning(language, tmp_path):
    """Not only TOML: each example, alone in a file, is read and checked like a user's."""
    path = tmp_path / "config.toml"
    examples = [
        b for page in every_page(language) for lang, b in blocks(text(page)) if lang == "toml"
    ]
    assert len(examples) >= 8
    for example in examples:
        path.write_text(example, "utf-8")
        os.chmod(path, 0o600)
        config = cfg.read_config(path, env={})
        assert config.warnings == [], example
        for name in tomllib.loads(example).get("profiles", {}):
            assert cfg.load_profile(path, name, env={}).warnings == [], example


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_links_back_to_its_readme(language):
    for page in topic_pages(language):
        head = text(page).split("\n## ", 1)[0]
        target = os.path.relpath(README[language], page.parent)
        assert f"]({target})" in head, page


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_relative_link_resolves_to_a_file_and_its_anchor(language):
    broken = []
    for page in every_page(language):
        for link in links(text(page)):
            if re.match(r"[a-z]+:", link):  # http:, https:, mailto:
                continue
            path, _, anchor = link.partition("#")
            target = (page.parent / path).resolve() if path else page
            if not target.is_file():
                broken.append(f"{page.relative_to(ROOT)}: {link}")
            elif anchor and target.suffix == ".md" and anchor not in anchors(text(target)):
                broken.append(f"{page.relative_to(ROOT)}: {link} (no such heading)")
    assert broken == []


def test_the_tui_page_lists_every_key_binding_with_its_keys():
    """A binding added without a row here fails: the page is where a user finds the id to
    put in ``[keys]``."""
    known = bindings()
    for language in LANGUAGES:
        rows = keys_table(text(PAGES[language] / "tui.md"))
        listed = {binding for _keys, ids in rows for binding in ids}
        assert listed == set(known), (language, set(known) ^ listed)
        for keys, ids in rows:
            for binding in ids:
                assert keys == known[binding], (language, binding, keys, known[binding])


def _parses(args: list[str]) -> None:
    """``fivec-tui ARGS`` parsed down to its command as click would run it, without running
    it: a command or an option that does not exist, or a value refused, raises UsageError;
    ``--help`` ends the parse there (click's Exit)."""
    command, name, parent = main, "fivec-tui", None
    while True:
        ctx = command.context_class(command, info_name=name, parent=parent)
        rest = click.Command.parse_args(command, ctx, list(args))  # a group's: its command's
        if not isinstance(command, click.Group) or not rest:
            return
        name, command, args = command.resolve_command(ctx, rest)
        parent = ctx


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_command_of_the_pages_names_real_commands_and_options(language):
    found = [args for page in every_page(language) for args in commands(text(page))]
    assert len(found) >= 20
    for args in found:
        try:
            _parses(args)
        except click.exceptions.Exit:
            assert "--help" in args, args
        except click.UsageError as exc:
            pytest.fail(f"fivec-tui {' '.join(args)}: {exc.format_message()}")


def test_every_fivec_variable_the_docs_name_exists():
    source = "".join(p.read_text("utf-8") for p in ROOT.glob("fivec_tui/**/*.py"))
    source += "".join(p.read_text("utf-8") for p in ROOT.glob("tests/**/*.py"))
    named = set()
    for language in LANGUAGES:
        for page in every_page(language):
            named |= set(re.findall(r"\bFIVEC_[A-Z0-9_]*[A-Z0-9]\b", text(page)))
    alert_fields = {"FIVEC_ALERT_RULE", "FIVEC_ALERT_STATE", "FIVEC_ALERT_MESSAGE"}
    missing = {n for n in named - alert_fields if n not in source}
    assert named and missing == set()


@pytest.mark.parametrize("target", list(SCREENSHOTS), ids=lambda p: p.name)
def test_the_screenshots_are_the_dashboard_snapshots(target):
    """The dashboard changed: ``python tests/screenshots.py`` writes them again."""
    assert target.read_text("utf-8") == screenshot(SCREENSHOTS[target])
    assert target.parent == DOCS
