"""What ``fivec-tui send`` refuses before anything reaches the platform: a number that is
neither a mainland mobile nor written as one abroad, and a text to the mainland without a
【signature】 (unless ``--no-signature``); and the file the config flag names must exist."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from clirun import account_env, run

from fivec_tui.cli import main


@pytest.fixture
def env(sim_thread, tmp_path):
    return account_env(sim_thread, tmp_path)


def sent(sim) -> int:
    return sim.server.requests.get("send", 0)


def test_a_mistyped_mainland_number_is_not_sent_abroad(env, sim_thread):
    code, out, err = run(env, "send", "--to", "12345678901", "--content", "你好【签名】", "--yes")
    assert code == 2 and out == ""
    assert "12345678901: not a mainland mobile" in err and "+447874321404" in err
    assert sent(sim_thread) == 0


def test_a_number_abroad_goes_with_its_country_code(env, sim_thread):
    code, out, _ = run(
        env, "send", "--to", "+447874321404", "--content", "Hello", "--yes", "--json"
    )
    assert code == 0 and json.loads(out)["recipients"] == 1  # abroad: no signature needed
    (message,) = sim_thread.platform.messages.values()
    assert message.mobiles == ("447874321404",)


def test_a_mainland_text_without_a_signature_is_refused(env, sim_thread):
    code, out, err = run(env, "send", "--to", "13800138000", "--content", "你好", "--yes")
    assert code == 2 and out == "" and "【signature】" in err and "--no-signature" in err
    assert sent(sim_thread) == 0
    code, out, _ = run(
        env, "send", "--to", "13800138000", "--content", "你好", "--no-signature", "--yes"
    )
    assert code == 0 and "accepted" in out and sent(sim_thread) == 1


def test_a_bulk_send_takes_no_signature_the_same_way(env, sim_thread, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("mobile\n13800138000\n13900139000\n", encoding="utf-8")
    args = ("send", "--csv", str(path), "--content", "你好", "--yes", "--json")
    code, out, _ = run(env, *args)
    summary = json.loads(out.splitlines()[0])
    assert code == 2 and summary["rejected"] == {"no_signature": 2} and sent(sim_thread) == 0
    code, out, _ = run(env, *args, "--no-signature")
    assert code == 0 and json.loads(out.splitlines()[-1])["accepted"] == 2


@pytest.mark.parametrize("how", ["--config", "FIVEC_CONFIG"])
def test_a_config_file_named_must_exist(env, tmp_path, how):
    missing = str(tmp_path / "typo.toml")
    if how == "--config":
        code, out, err = run(env, "--config", missing, "balance")
    else:
        code, out, err = run({**env, "FIVEC_CONFIG": missing}, "balance")
    assert code == 2 and out == ""
    assert f"{missing}: no such file (given by {how})" in err
    assert "username" not in err  # not mistaken for an empty profile


def test_the_default_config_may_be_missing(env, tmp_path):
    """A fresh install: no file at the default path, the account in the environment."""
    fresh = {k: v for k, v in env.items() if k != "FIVEC_CONFIG"}
    fresh["XDG_CONFIG_HOME"] = str(tmp_path / "nothing-here")
    code, out, _ = run(fresh, "balance", "--json")
    assert code == 0 and "balance" in json.loads(out)
    new = tmp_path / "new.toml"  # config init writes the file it is named
    result = CliRunner().invoke(
        main,
        ["--config", str(new), "config", "init", "--username", "acme01", "--password-stdin"],
        input="secret\n" + "k" * 32 + "\n",
        env={},
    )
    assert result.exit_code == 0 and "acme01" in new.read_text()
