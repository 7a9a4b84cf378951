"""A profile named on the command line (``--profile``, ``FIVEC_PROFILE``) that nothing
defines is named as such; one that lives only in the ``FIVEC_*`` variables, or whose cache
they made before, still works."""

from __future__ import annotations

import json

import pytest
from clirun import run

from fivec_tui.store import Store


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """No config file at the default path, the data dir in tmp_path."""
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}


@pytest.mark.parametrize("how", ["flag", "env"])
@pytest.mark.parametrize("command", [("stats",), ("audit",), ("campaign", "list"), ("alerts",)])
def test_an_unknown_profile_is_named_not_taken_for_a_missing_cache(env, how, command):
    if how == "flag":
        code, _out, err = run(env, "--profile", "nope", *command)
    else:
        code, _out, err = run(env | {"FIVEC_PROFILE": "nope"}, *command)
    assert code == 2 and "no such profile 'nope'" in err and "no cache at" not in err
    assert "config init --profile nope" in err and "Traceback" not in err


def test_a_profile_of_the_environment_alone_still_works(env):
    account = {"FIVEC_USERNAME": "acme", "FIVEC_PASSWORD": "pw", "FIVEC_APIKEY": "k" * 32}
    code, out, err = run(env | account, "--profile", "prod", "config", "show", "--json")
    assert code == 0, err
    assert json.loads(out)["profile"] == "prod"
    code, _out, err = run(env | account, "--profile", "prod", "stats")
    assert code == 2 and "no cache at" in err and "prod.db" in err  # the right complaint


def test_a_cache_made_from_the_environment_is_read_without_it(env, tmp_path):
    Store(tmp_path / "data" / "fivec-tui" / "prod.db").close()
    code, out, err = run(env, "--profile", "prod", "stats")
    assert code == 0 and "sent 0" in out, err
