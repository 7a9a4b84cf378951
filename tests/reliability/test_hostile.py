"""Hostile input: push payloads and config files, thrown at the code that reads them."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fivec_tui.api.models import Reply, Report, Unparsed
from fivec_tui.api.parse import parse_replies, parse_reports
from fivec_tui.api.push import parse_push
from fivec_tui.config import ConfigError, load_profile

PIECES = st.sampled_from(
    [
        "<",
        ">",
        "</item>",
        "<item>",
        "<results>",
        "&",
        "&amp;",
        "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>",
        "&e;",
        "{",
        "}",
        "[",
        "]",
        '"results"',
        ":",
        ",",
        ";",
        "\x00",
        "\ud800",
        "%FF",
        "\u202e",
        "1462879547",
        "13800000000",
        "DELIVRD",
        '"msgid"',
        "null",
        "9" * 400,
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from(["report", "reply"]),
    payload=st.one_of(st.text(), st.lists(PIECES, max_size=40).map("".join)),
)
def test_push_parser_returns_items_or_unparsed_never_raises(kind, payload):
    batch = parse_push(kind, payload)
    for item in batch.items:
        assert isinstance(item, Report | Reply | Unparsed)


def test_external_entities_and_entity_bombs_are_refused_and_kept():
    xxe = "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><results><item><msgid>&x;</msgid></item></results>"
    lol = (
        "<?xml version='1.0'?><!DOCTYPE l [<!ENTITY a 'aaaaaaaaaa'>"
        + "".join(f"<!ENTITY {chr(98 + i)} '{('&' + chr(97 + i) + ';') * 10}'>" for i in range(8))
        + "]><results><item><msgid>&i;</msgid></item></results>"
    )
    for payload in (xxe, lol):
        (item,) = parse_push("report", payload).items
        assert isinstance(item, Unparsed) and item.raw == payload and "root:" not in item.reason


def test_huge_field_counts_nul_and_invalid_encodings():
    items = parse_reports(
        ",".join(["1"] * 100_000) + ";" + "a\x00b,13800000000,DELIVRD,2024-01-01 00:00:00"
    )
    assert isinstance(items[0], Unparsed) and isinstance(items[1], Report)
    (reply,) = parse_replies("0,1,13800000000,%FF%FE%00,2024-01-01 00:00:00", "UTF-8")
    assert not reply.content_clean and reply.raw
    (reply,) = parse_replies("0,1,13800000000,%C4%E3,2024-01-01 00:00:00", "UTF-8")
    assert (
        reply.content == "你" and not reply.content_clean
    )  # GBK bytes under UTF-8: guessed, flagged


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[profiles.x\nusername = 1", "invalid TOML"),
        ("[profiles.x]\ntimeout = 'soon'", 'timeout: expected a number .*, got "soon"'),
        ("[profiles.x]\ntimeout = -1", "timeout: expected a number of seconds above 0, got -1"),
        ("[profiles.x]\npassword_md5 = 'short'", "32 hex"),
        ("[profiles.x]\nnode = 'mars'", "node: expected a node"),
        ("[profiles.x]\nencode = 'latin1'", "encode"),
        ("[profiles.x.streams]\nreports = 'maybe'", "reports: expected one of pull, push, off"),
        ("[profiles.x.intervals]\nreports = true", "reports: expected a number .*, got true"),
        ("profiles = 3", "must be a table"),
        ("[profiles]\nx = 3", "must be a table"),
    ],
)
def test_malformed_configs_give_a_clear_error(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_profile(path, "x", env={})


def test_binary_config_and_world_readable_secrets(tmp_path):
    path = tmp_path / "c.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_profile(path, "x", env={})
    path.write_text("[profiles.x]\napikey = 'k'\n")
    os.chmod(path, 0o644)
    profile = load_profile(path, "x", env={})
    assert any("UNPROTECTED" in w for w in profile.warnings)
    os.chmod(path, 0o600)
    assert not load_profile(path, "x", env={}).warnings
