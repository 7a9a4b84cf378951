"""The Chinese interface: every marked string translated, the compiled catalog current, the
language chosen as documented, and no English left unmarked where a screen shows text."""

from __future__ import annotations

import ast
import gettext
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

import fivec_tui
from fivec_tui import i18n

PACKAGE = Path(fivec_tui.__file__).parent
PO = PACKAGE / "locale/zh_CN/LC_MESSAGES/fivec_tui.po"
MO = PO.with_suffix(".mo")
FIELD = re.compile(r"\{(\w*)[^{}]*\}")


def catalog():
    with PO.open("rb") as fh:
        return read_po(fh, locale="zh_CN")


def untranslated(*folders: Path) -> list[str]:
    """Every string marked in ``folders`` that the zh_CN catalog lacks, or translates with
    other ``{fields}`` than the English (a missing field would raise KeyError on screen)."""
    zh, problems = catalog(), []
    for folder in folders:
        for filename, line, message, *_ in extract_from_dir(folder, keywords=DEFAULT_KEYWORDS):
            forms = [message] if isinstance(message, str) else [m for m in message if m]
            entry = zh.get(forms[0])
            where = f"{folder.name}/{filename}:{line}: {forms[0]!r}"
            strings = [] if entry is None else [entry.string] if len(forms) == 1 else entry.string
            if entry is None or entry.fuzzy or not all(strings):
                problems.append(f"{where} has no translation")
                continue
            if len(forms) == 1:  # the same fields, no more, no fewer
                if sorted(FIELD.findall(forms[0])) != sorted(FIELD.findall(strings[0])):
                    problems.append(f"{where} is translated with other fields: {strings[0]!r}")
            else:  # a plural: each form may use the fields the caller passes to any form
                known = {f for form in forms for f in FIELD.findall(form)}
                if any(not set(FIELD.findall(s)) <= known for s in strings):
                    problems.append(f"{where} is translated with unknown fields: {strings!r}")
    return problems


def test_every_marked_string_is_translated():
    assert untranslated(PACKAGE) == []


def test_a_new_string_without_translation_fails(tmp_path):
    (tmp_path / "screen.py").write_text(
        'from fivec_tui.i18n import _\n\nTITLE = _("a throwaway caption nobody translated")\n'
    )
    problems = untranslated(PACKAGE, tmp_path)
    assert len(problems) == 1
    assert "a throwaway caption nobody translated" in problems[0]


def test_compiled_catalog_matches_the_po():
    """The shipped .mo is what ``pybabel compile`` makes of the .po: nothing stale."""
    with MO.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for m in catalog():
        if not m.id:
            continue
        if isinstance(m.id, str):
            if compiled.gettext(m.id) != m.string:
                stale.append(m.id)
        elif compiled.ngettext(m.id[0], m.id[1], 2) != m.string[0]:
            stale.append(m.id)
    assert stale == []


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW.UTF-8"}, "zh"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C.UTF-8"}, "en"),  # LC_ALL overrides
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.GB18030"}, "zh"),
        ({"LC_ALL": "", "LANG": "zh_CN"}, "zh"),  # set but empty does not count
    ],
)
def test_language_from_the_environment(environ, expected):
    assert i18n.resolve(None, None, environ) == expected
    assert i18n.resolve("auto", "auto", environ) == expected


def test_flag_then_config_then_environment():
    env = {"LANG": "zh_CN.UTF-8"}
    assert i18n.resolve("en", "zh", env) == "en"
    assert i18n.resolve(None, "en", env) == "en"
    assert i18n.resolve("auto", "en", env) == "en"
    with pytest.raises(ValueError, match="auto, zh or en"):
        i18n.resolve(None, "fr", env)


def test_switching_language_translates_and_back():
    try:
        i18n.use("zh")
        assert i18n._("Dashboard") == "总览"
        assert i18n.gettext_for("en")("Dashboard") == "Dashboard"
    finally:
        i18n.use("en")
    assert i18n._("Dashboard") == "Dashboard"


# Widgets and calls whose first argument, or these keywords, a person reads on a screen.
SHOWN_CALLS = {"Static", "Label", "Button", "Text", "notify", "Confirm", "table_of"}
SHOWN_KEYWORDS = {"placeholder", "title"}
LETTERS = re.compile(r"[A-Za-z]{2,}")
NOT_WORDS = {"msgid", "UTF-8", "GBK", "fivec-tui"}  # names, the same in both languages


def _shown_literals(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        args = []
        if name in SHOWN_CALLS:
            args = node.args if name == "table_of" else node.args[:1]
        args += [k.value for k in node.keywords if k.arg in SHOWN_KEYWORDS]
        for arg in args:
            parts = arg.values if isinstance(arg, ast.JoinedStr) else [arg]
            if any(
                isinstance(part, ast.Constant)
                and isinstance(part.value, str)
                and LETTERS.search(part.value)
                and part.value not in NOT_WORDS
                for part in parts
            ):
                found.append(f"{path.name}:{arg.lineno}: {ast.unparse(arg)}")
    return found


def test_screens_show_no_unmarked_english():
    """A caption, label, button, column or notification written as a bare literal would stay
    English in the Chinese interface: it must go through ``_()``."""
    problems = [p for f in sorted((PACKAGE / "app").glob("*.py")) for p in _shown_literals(f)]
    assert problems == []


def test_the_lint_sees_a_bare_caption(tmp_path):
    screen = tmp_path / "screen.py"
    screen.write_text(
        'Static("failures, last hour", classes="caption")\nStatic(_("ok"))\n'
        'Text(f"{n} sent", "bold")\nText(f"{rate:.1%}")\n'
    )
    assert _shown_literals(screen) == [
        "screen.py:1: 'failures, last hour'",
        "screen.py:3: f'{n} sent'",
    ]


def test_status_codes_and_platform_errors_speak_the_language():
    from fivec_tui.api.errors import error_for
    from fivec_tui.store.codes import describe

    assert describe("MK:0001", "en").meaning == "Empty number (not in service)"
    assert describe("MK:0001", "zh").meaning == "空号"
    assert describe("DB:0144", "zh").family_label == "黑名单"
    assert describe("XY:9", "zh").meaning == "不在状态码表中：按运营商原样显示"
    error = error_for("Missing apikey")
    assert str(error) == "error:Missing apikey — The apikey is empty."  # no Chinese in English
    try:
        i18n.use("zh")
        assert describe("MK:0001").meaning == "空号"
        assert str(error) == "error:Missing apikey — APIKEY为空"
    finally:
        i18n.use("en")


def test_every_status_code_has_both_meanings():
    from fivec_tui.store.codes import _table

    table = _table()
    assert table["families"].keys() == table["families_zh"].keys()
    incomplete = [code for code, entry in table["codes"].items() if len(entry) != 3 or not entry[2]]
    assert incomplete == []


def _help(*args: str, lang: str) -> str:
    env = {**os.environ, "LC_ALL": lang, "COLUMNS": "100"}
    out = subprocess.run(
        [sys.executable, "-m", "fivec_tui", *args, "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return out.stdout


CJK = re.compile(r"[\u4e00-\u9fff]")


def test_help_pages_are_chinese_or_english_whole():
    """``--lang zh --help`` (rich-click's headings and click's own texts included) is Chinese;
    with an English locale no Chinese shows but the platform's name."""
    zh = _help("--lang", "zh", lang="C.UTF-8")
    assert "用法" in zh and "选项" in zh and "命令" in zh and "显示此帮助并退出" in zh
    assert not re.search(r"\b(Usage|Options|Commands|Show this message)\b", zh)
    assert "默认：" in _help("--lang", "zh", "records", lang="C.UTF-8")
    en = _help(lang="C.UTF-8")
    assert "Usage" in en and "Send one message" in en
    assert CJK.findall(en.replace("美联软通", "")) == []
    assert "用法" in _help(lang="zh_CN.UTF-8")  # LC_ALL alone chooses Chinese


def test_an_app_that_is_not_a_table_leaves_the_language_to_the_environment(tmp_path, monkeypatch):
    """``app = "x"`` is said by the command that reads the config, not a traceback here."""
    from fivec_tui import language

    monkeypatch.setenv("LANGUAGE", "en")  # choose() sets it for click: restored after
    path = tmp_path / "config.toml"
    path.write_text('app = "x"\n', encoding="utf-8")
    try:
        language.choose("auto", path)
        assert i18n.current() == i18n.from_environment()
    finally:
        i18n.use("en")
