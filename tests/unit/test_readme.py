"""The two READMEs: a short door to the topic pages, the same in both languages, and true:
the set-up commands as CI runs them, every link resolving, every key bound as the table
says, and every command of the tour running."""

from __future__ import annotations

import shlex

import pytest
from click.testing import CliRunner
from docpages import (
    README,
    ROOT,
    bindings,
    blocks,
    commands,
    keys_table,
    outside_fences,
    same_block,
    sections,
    table_rows,
    text,
)

from fivec_tui.cli import main

EN, ZH = README["en"], README["zh"]
#: The English README's limit, in bytes of UTF-8.
MOST_BYTES = 15 * 1024


def _setup_commands(markdown: str) -> list[str]:
    """The first fenced shell block, which comes before the first section: the set-up."""
    head = markdown.split("\n## ", 1)[0]
    found = [body for lang, body in blocks(head) if lang in ("sh", "shell", "bash")]
    assert found, "no fenced shell block before the first section"
    return found[0].splitlines()


def test_the_chinese_readme_starts_with_the_same_two_setup_commands_byte_for_byte():
    """``.ci/run`` runs the second line; a newcomer pastes the first."""
    english = _setup_commands(text(EN))
    assert len(english) == 2, english
    assert _setup_commands(text(ZH)) == english
    assert text(ZH).startswith(text(EN).split("\n", 1)[0] + "\n")  # the same title
    assert english[1] in (ROOT / ".ci/run").read_text("utf-8")


def test_the_english_readme_is_at_most_15_kb_of_utf8():
    assert len(text(EN).encode("utf-8")) <= MOST_BYTES


def test_the_chinese_readme_is_at_most_15_kb_of_utf8():
    """The same limit in bytes, though a Chinese character takes three: it fits, so a reader
    of either language gets the same short door."""
    assert len(text(ZH).encode("utf-8")) <= MOST_BYTES


def test_both_readmes_have_the_same_sections_blocks_and_tables():
    """Section by section: as many, the same code (comments translated), as many table rows,
    as many links."""
    english, chinese = sections(text(EN)), sections(text(ZH))
    assert len(english) >= 6
    assert len(chinese) == len(english), ([t for t, _ in english], [t for t, _ in chinese])
    for (title, en_body), (_, zh_body) in zip(english, chinese, strict=True):
        en_blocks, zh_blocks = blocks(en_body), blocks(zh_body)
        assert [lang for lang, _ in en_blocks] == [lang for lang, _ in zh_blocks], title
        for (lang, en_code), (_, zh_code) in zip(en_blocks, zh_blocks, strict=True):
            assert same_block(lang, en_code, zh_code), (title, en_code, zh_code)
        assert len(table_rows(en_body)) == len(table_rows(zh_body)), title
        assert outside_fences(en_body).count("](") == outside_fences(zh_body).count("]("), title


@pytest.mark.parametrize(
    ("path", "link"),
    [(EN, "[中文说明](README.zh-CN.md)"), (ZH, "[English](README.md)")],
    ids=["en", "zh"],
)
def test_each_readme_links_to_the_other_under_its_title(path, link):
    lines = [line for line in text(path).splitlines()[:4] if line.strip()]
    assert lines[0] == "# fivec-tui"
    assert lines[1] == link


def test_the_readmes_toml_examples_parse():
    """Comments are translated in the Chinese one, keys and values are not: still TOML."""
    import tomllib

    for path in (EN, ZH):
        examples = [body for lang, body in blocks(text(path)) if lang == "toml"]
        assert examples
        for example in examples:
            tomllib.loads(example)


# -- the keys table -----------------------------------------------------------------------------
@pytest.mark.parametrize("path", [EN, ZH], ids=["en", "zh"])
def test_every_key_in_the_readme_is_bound_to_what_the_table_says(path):
    known, rows = bindings(), keys_table(text(path))
    assert len(rows) >= 10
    for keys, ids in rows:
        for binding in ids:
            assert binding in known, f"{path.name}: no binding {binding!r}"
            assert keys == known[binding], f"{path.name}: {binding} is {known[binding]}"


# -- the tour runs ------------------------------------------------------------------------------
#: Commands that open the TUI, need a terminal or run until stopped: their --help runs instead.
HELP_ONLY = {(), ("demo",), ("serve",), ("sim",)}


def _words(args: list[str]) -> tuple[str, ...]:
    """The command's name: its words before the first option (``()``: the TUI)."""
    words = []
    for arg in args:
        if arg.startswith("-"):
            break
        words.append(arg)
    return tuple(words)


def _as_run(args: list[str], sim) -> tuple[list[str], str | None]:
    """The command line to run for a README line, and its standard input: as written, or
    with what a person would type at its prompts given as flags and input."""
    words = _words(args)
    if words in HELP_ONLY or (words == ("poll",) and "--once" not in args):
        return [*words, "--help"], None
    if words == ("config", "init"):  # asks the username, the password and the apikey
        account = sim.account
        flags = ["--username", account.username, "--node", sim.base_url, "--password-stdin"]
        return [*args, *flags], f"{account.password}\n{account.apikey}\n"
    if words == ("send",):  # asks before sending
        return [*args, "--yes"], None
    return args, None


def test_every_command_of_the_readme_tour_runs(sim_thread, tmp_path):
    """Each ``fivec-tui`` line of the README's shell blocks, in order, as a newcomer runs them:
    ``config init`` writes the profile the others then use, against the simulator."""
    env = {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "LANG": "C.UTF-8",
        "LC_ALL": None,
        "LC_MESSAGES": None,
        **dict.fromkeys(
            ["FIVEC_CONFIG", "FIVEC_PROFILE", "FIVEC_DB", "FIVEC_BASE_URL", "FIVEC_USERNAME"],
            None,
        ),
        **dict.fromkeys(["FIVEC_PASSWORD", "FIVEC_PASSWORD_MD5", "FIVEC_APIKEY"], None),
    }
    lines = commands(text(EN))
    ran = []
    for args in lines:
        argv, stdin = _as_run(args, sim_thread)
        result = CliRunner().invoke(main, argv, env=env, input=stdin)
        shown = shlex.join(["fivec-tui", *argv])
        assert result.exit_code == 0, f"{shown}: {result.output}{result.exception!r}"
        ran.append(_words(args))
    assert ("config", "init") in ran and ("poll",) in ran and ("stats",) in ran
    assert (tmp_path / "config/fivec-tui/config.toml").stat().st_mode & 0o777 == 0o600
