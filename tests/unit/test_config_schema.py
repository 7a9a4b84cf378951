"""One schema for the config: every key checked with a message naming the file, the table and
the key; unknown keys warned about; the source of every value kept for ``config show``."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fivec_tui import config as cfg
from fivec_tui.cli import main
from fivec_tui.config.kinds import Kind
from fivec_tui.config.schema import (
    Alerts,
    App,
    Forward,
    Intervals,
    ProfileTable,
    Push,
    Slo,
    Streams,
)

MD5 = "e10adc3949ba59abbe56e057f20f883e"

#: Every table of a profile file, its dotted name in ``profiles.p``, and its schema class.
TABLES = [
    ("profiles.p", ProfileTable),
    ("profiles.p.streams", Streams),
    ("profiles.p.intervals", Intervals),
    ("profiles.p.push", Push),
    ("profiles.p.push.forward", Forward),
    ("profiles.p.alerts", Alerts),
    ("profiles.p.slo", Slo),
    ("app", App),
]


def leaves(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if "kind" in f.metadata]


EVERY_KEY = [(table, f.name) for table, cls in TABLES for f in leaves(cls)]


def write(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def nested(table: str, key: str, value) -> dict:
    doc: dict = {key: value}
    for part in reversed(table.split(".")):
        doc = {part: doc}
    return doc


def load(path: Path, **kw) -> cfg.Profile:
    return cfg.load_profile(path, "p", env=kw.pop("env", {}), **kw)


@pytest.mark.parametrize(("table", "key"), EVERY_KEY)
def test_every_key_is_checked_and_the_error_names_file_table_and_key(tmp_path, table, key):
    path = write(tmp_path, nested(table, key, {"not": "a value"}))
    with pytest.raises(cfg.ConfigError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}: [{table}] {key}: expected ")
    assert str(caught.value).endswith("got a table")


@pytest.mark.parametrize(
    ("table", "key", "value", "said"),
    [
        ("profiles.p.alerts", "rate_below", "x", 'expected a number between 0 and 1, got "x"'),
        ("profiles.p.alerts", "rate_below", 1.5, "expected a number between 0 and 1, got 1.5"),
        (
            "profiles.p.alerts",
            "rate_min_volume",
            2.5,
            "expected a whole number of 0 or more, got 2.5",
        ),
        ("profiles.p.alerts", "spike_min", True, "expected a whole number of 0 or more, got true"),
        ("profiles.p.alerts", "language", "fr", 'expected one of auto, en, zh, got "fr"'),
        (
            "profiles.p.alerts",
            "mention",
            "13800138000",
            'expected a list of text, got "13800138000"',
        ),
        (
            "profiles.p.alerts",
            "webhook",
            "ftp://x",
            'expected an http:// or https:// URL, got "ftp://x"',
        ),
        (
            "profiles.p.alerts",
            "interval_s",
            math.inf,
            "expected a number of seconds above 0, got inf",
        ),
        (
            "profiles.p.alerts",
            "interval_s",
            math.nan,
            "expected a number of seconds above 0, got nan",
        ),
        ("profiles.p", "timeout", 0, "expected a number of seconds above 0, got 0"),
        ("profiles.p", "retention_days", 0, "expected a whole number of 1 or more, got 0"),
        ("profiles.p", "keep_raw_days", -1, "expected a whole number of 0 or more, got -1"),
        ("profiles.p", "https", "yes", 'expected true or false, got "yes"'),
        ("profiles.p.streams", "records", "push", 'expected one of pull, off, got "push"'),
        ("profiles.p.push", "listen", "8088", 'expected host:port (port 0 to 65535), got "8088"'),
        (
            "profiles.p.push",
            "allow",
            ["10.0.0.0/33"],
            'expected a list of IP addresses or networks (CIDR), got ["10.0.0.0/33"]',
        ),
        (
            "profiles.p.push",
            "header_timeout",
            31,
            "expected a number of seconds above 0 and at most 30, got 31",
        ),
        (
            "profiles.p.push.forward",
            "reports",
            ["backend"],
            'expected a list of http:// or https:// URLs, got ["backend"]',
        ),
        ("app", "refresh_s", -2, "expected a number of seconds above 0, got -2"),
        ("app", "language", "de", 'expected one of auto, en, zh, got "de"'),
    ],
)
def test_hostile_values_say_what_was_expected_and_what_came(tmp_path, table, key, value, said):
    path = write(tmp_path, nested(table, key, value))
    with pytest.raises(cfg.ConfigError) as caught:
        load(path)
    assert str(caught.value) == f"{path}: [{table}] {key}: {said}"


def test_what_was_expected_is_said_in_the_interfaces_language(tmp_path):
    """The kinds' descriptions are translated like the rest of the message."""
    from fivec_tui import i18n

    path = write(tmp_path, nested("profiles.p.push", "header_timeout", 31))
    try:
        i18n.use("zh")
        with pytest.raises(cfg.ConfigError) as caught:
            load(path)
    finally:
        i18n.use("en")
    assert str(caught.value).endswith("header_timeout: 应为大于 0 且不大于 30 的秒数，实际为 31")
    assert (
        _kind("profiles.p.streams", "records").describe(i18n.gettext_for("zh"))
        == "以下之一：pull, off"
    )


def test_a_bad_refresh_s_is_an_error_naming_the_key_not_a_silent_default(tmp_path):
    path = write(tmp_path, {"app": {"refresh_s": "fast"}})
    with pytest.raises(cfg.ConfigError, match=r"\[app\] refresh_s: expected a number"):
        cfg.read_config(path)
    result = CliRunner().invoke(main, ["--config", str(path), "config", "show"], env={})
    assert (
        result.exit_code == 2
        and '[app] refresh_s: expected a number of seconds above 0, got "fast"' in result.output
    )
    assert cfg.read_config(write(tmp_path, {"app": {"refresh_s": 1}})).app.refresh_s == 1.0


def test_secrets_are_never_repeated_in_an_error(tmp_path):
    secret = "not-an-md5-but-a-real-password"
    path = write(tmp_path, {"profiles": {"p": {"password_md5": secret}}})
    with pytest.raises(cfg.ConfigError) as caught:
        load(path)
    assert secret not in str(caught.value) and "got a value of 30 characters" in str(caught.value)
    path = write(tmp_path, {"profiles": {"p": {"push": {"token": "short-secret"}}}})
    with pytest.raises(cfg.ConfigError, match="token: expected 16 or more") as caught:
        load(path)
    assert "short-secret" not in str(caught.value)
    url = "https://oapi.dingtalk.com/robot/send?access_token=SECRETTOKEN"
    path = write(tmp_path, {"profiles": {"p": {"alerts": {"mention": url}}}})
    with pytest.raises(cfg.ConfigError) as caught:
        load(path)
    assert "SECRETTOKEN" not in str(caught.value) and "access_token=***" in str(caught.value)


@pytest.mark.parametrize(
    ("doc", "warned"),
    [
        ({"colour": 1}, ": unknown settings ignored: colour"),
        ({"profiles": {"p": {"colour": 1}}}, ": [profiles.p] unknown settings ignored: colour"),
        (
            {"profiles": {"p": {"push": {"lisen": "x"}}}},
            "[profiles.p.push] unknown settings ignored: lisen",
        ),
        (
            {"profiles": {"p": {"push": {"forward": {"records": []}}}}},
            "[profiles.p.push.forward] unknown settings ignored: records",
        ),
        (
            {"profiles": {"p": {"alerts": {"rate": 0.5}}}},
            "[profiles.p.alerts] unknown settings ignored: rate",
        ),
        ({"app": {"theme": "x"}}, "[app] unknown settings ignored: theme"),
        ({"keys": {"nav.send": 5}}, "[keys] nav.send: not a key name, ignored"),
    ],
)
def test_unknown_keys_are_warned_with_the_table_and_the_key(tmp_path, doc, warned):
    path = write(tmp_path, {**doc, "profiles": {"p": {}, **doc.get("profiles", {})}})
    profile = load(path)
    assert [w for w in profile.warnings if warned in w and w.startswith(str(path))], (
        profile.warnings
    )


@pytest.mark.parametrize(("table", "name"), [("streams", "stream"), ("intervals", "interval")])
def test_a_misspelt_stream_or_interval_is_an_error(tmp_path, table, name):
    path = write(tmp_path, {"profiles": {"p": {table: {"report": 5}}}})
    with pytest.raises(cfg.ConfigError, match=rf"\[profiles\.p\.{table}\] report: unknown {name}"):
        load(path)


def test_every_value_knows_its_source(tmp_path):
    path = write(
        tmp_path,
        {
            "app": {"language": "zh"},
            "keys": {"nav.send": "f5"},
            "profiles": {
                "p": {
                    "username": "file-user",
                    "password": "plain",
                    "node": "bj",
                    "timeout": 5,
                    "streams": {"replies": "watch"},
                    "push": {"forward": {"reports": ["https://b.example/r"]}},
                    "alerts": {"rate_below": 0.5},
                }
            },
        },
    )
    env = {"FIVEC_USERNAME": "env-user", "FIVEC_APIKEY": "k" * 20}
    profile = load(path, env=env, overrides={"base_url": "hk"})
    shown = profile.shown()
    file = f"file {path}"
    assert shown["username"] == ("env-user", "env FIVEC_USERNAME")
    assert shown["apikey"][1] == "env FIVEC_APIKEY" and "k" * 20 not in shown["apikey"][0]
    assert shown["password_md5"][1] == file  # hashed from the file's plain password
    assert shown["base_url"] == ("https://hk.5c.com.cn", "flag --base-url")
    assert shown["timeout"] == ("5s", file) and shown["send_timeout"] == ("30s", "default")
    assert shown["streams.replies"] == ("watch", file)
    assert shown["streams.reports"] == ("pull", "default")
    assert shown["push.forward.reports"] == ("https://b.example/r", file)
    assert shown["push.max_body"] == ("(built-in)", "default")
    assert shown["alerts.rate_below"] == ("0.5", file)
    assert shown["alerts.rate_min_volume"] == ("50", "default")
    assert shown["keep_raw_days"] == ("2", "default")
    app = cfg.read_config(path).shown()
    assert app["app.language"] == ("zh", file) and app["app.refresh_s"] == ("2s", "default")
    assert app["keys.nav.send"] == ("f5", file)
    # every key of the profile's tables is shown (password as password_md5, node as base_url)
    named = {f"{t.removeprefix('profiles.p')}.{k}".lstrip(".") for t, k in EVERY_KEY}
    assert set(shown) == {n for n in named if not n.startswith("app.")} - {
        "password",
        "node",
        "https",
    }


def test_env_and_flag_values_are_checked_like_the_files(tmp_path):
    path = tmp_path / "none.toml"
    with pytest.raises(cfg.ConfigError, match=r"^FIVEC_BASE_URL: expected a node"):
        load(path, env={"FIVEC_BASE_URL": "mars"})
    with pytest.raises(cfg.ConfigError, match=r"^--base-url: expected a node"):
        load(path, overrides={"base_url": "ftp://x"})
    for url in ("http://[::1", "https://[zz]/", "http://x:99999", "http://"):  # httpx's
        with pytest.raises(cfg.ConfigError, match=r"^FIVEC_BASE_URL: expected a node"):
            load(path, env={"FIVEC_BASE_URL": url})  # traceback at the first request
    with pytest.raises(cfg.ConfigError, match=r"^FIVEC_PASSWORD_MD5: expected 32 hex") as caught:
        load(path, env={"FIVEC_PASSWORD_MD5": "xyz-secret"})
    assert "xyz-secret" not in str(caught.value)


def test_typed_settings_reach_every_layer(tmp_path):
    from fivec_tui.sync import alerts
    from fivec_tui.sync.daemon import receiver_config
    from fivec_tui.sync.httpd import Limits

    path = write(
        tmp_path,
        {
            "profiles": {
                "p": {
                    "push": {
                        "listen": "127.0.0.1:0",
                        "token": "t" * 20,
                        "body_timeout": 60,
                        "forward": {"replies": ["https://b.example/r"]},
                    },
                    "alerts": {"rate_below": 0.5, "mention": ["all"]},
                }
            }
        },
    )
    profile = load(path)
    assert profile.push.body_timeout == 60.0 and profile.alerts.rate_below == 0.5
    push = receiver_config(profile, None)
    assert push.forward == {"replies": ["https://b.example/r"]}  # no empty reports list
    assert push.limits.body_timeout == 60.0 and push.limits.header_timeout == Limits.header_timeout
    with pytest.raises(cfg.ConfigError, match=r"^--listen: expected host:port"):
        receiver_config(profile, "nowhere")
    assert alerts.config(profile.alerts)["rate_below"] == 0.5


def test_alert_tables_written_in_code_are_checked_by_the_same_schema():
    from fivec_tui.sync import alerts

    assert alerts.config({"rate_below": 0.5}) == {**dataclasses.asdict(Alerts()), "rate_below": 0.5}
    with pytest.raises(cfg.ConfigError, match=r'^\[alerts\] rate_below: .* got "x"$'):
        alerts.config({"rate_below": "x"})
    with pytest.raises(cfg.ConfigError, match=r"^\[alerts\] rate: unknown setting \(known: "):
        alerts.config({"rate": 0.5})


def test_config_init_values_go_through_the_schema():
    with pytest.raises(cfg.ConfigError, match=r"^\[profiles\.new\] encode: expected UTF-8 or GBK"):
        cfg.validate_profile("new", {"username": "u", "encode": "latin1"})
    made = cfg.validate_profile("new", {"username": "u", "password_md5": MD5.upper(), "node": "hk"})
    assert made.password_md5 == MD5 and made.base_url == "https://hk.5c.com.cn"


def test_theme_files_take_every_field_of_textuals_theme(tmp_path):
    from fivec_tui.app.themes import load_theme

    path = tmp_path / "t.toml"
    path.write_text('name = "t"\nprimary = "#fff"\nluminosity_spread = 0.2\nansi = false\n')
    assert load_theme(path).luminosity_spread == 0.2
    path.write_text('name = "t"\nprimary = "#fff"\ncolour = "red"\n')
    with pytest.raises(ValueError, match=rf"^{path}: colour: unknown theme setting"):
        load_theme(path)
    path.write_text('name = "t"\n')
    with pytest.raises(ValueError, match=rf"^{path}: primary: required"):
        load_theme(path)
    path.write_text('name = "t"\nprimary = "#fff"\ndark = "yes"\n')
    with pytest.raises(ValueError, match=rf'^{path}: dark: expected true or false, got "yes"'):
        load_theme(path)


def test_the_schema_never_imports_textual():
    code = "import sys, fivec_tui.config\nprint('textual' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


# -- hostile values, whatever they are ---------------------------------------------------------
toml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.datetimes(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _kind(table: str, key: str) -> Kind:
    cls = dict(TABLES)[table]
    return next(f.metadata["kind"] for f in dataclasses.fields(cls) if f.name == key)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(where=st.sampled_from(EVERY_KEY), value=toml_values)
def test_any_value_is_taken_or_refused_with_where_and_why(tmp_path, where, value):
    table, key = where
    try:
        text = tomlkit.dumps(nested(table, key, value))
    except (TypeError, ValueError, tomlkit.exceptions.ConvertError):  # None: TOML has no null
        return
    path = tmp_path / "h.toml"
    path.write_text(text, encoding="utf-8")
    try:
        profile = cfg.load_profile(path, "p", env={})
        cfg.read_config(path)
    except cfg.ConfigError as exc:
        message = str(exc)
        assert message.startswith(f"{path}: "), message
        assert f"[{table}] {key}: " in message, message
        if _kind(table, key).secret and isinstance(value, str) and len(value) > 3:
            assert value not in message
        return
    assert profile.name == "p"  # taken: the kind accepted it


@pytest.mark.parametrize("name", ["../../../../tmp/evil", ".hidden", "pr\x1b[2Jod", "a\u202eb"])
def test_a_profile_name_that_is_no_file_name_is_refused(tmp_path, name):
    """A profile's name names its cache, lock and log: ``../../tmp/evil`` put them in /tmp
    (an outsider's finding), a control character into file names and terminals."""
    path = tmp_path / "c.toml"
    path.write_text(f"[profiles.{json.dumps(name)}]\n", "utf-8")
    path.chmod(0o600)
    for how in ({"name": name}, {"env": {"FIVEC_PROFILE": name}}):
        with pytest.raises(cfg.ConfigError, match="not a profile name") as caught:
            cfg.load_profile(path, how.get("name"), env=how.get("env", {}))
        assert "\x1b" not in str(caught.value) and "\u202e" not in str(caught.value)
    with pytest.raises(cfg.ConfigError, match="not a profile name"):
        cfg.validate_profile(name, {})
    assert cfg.load_profile(path.with_name("none.toml"), "生产 1", env={}).name == "生产 1"
