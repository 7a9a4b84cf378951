"""What the CLI says where a newcomer read nothing or a wrong plural: no alert recorded, one
recipient."""

from __future__ import annotations

import json

from clirun import account_env, empty_config, run

from fivec_tui.store import Store


def test_alerts_with_none_recorded_says_so(tmp_path):
    env = {
        "FIVEC_CONFIG": empty_config(tmp_path / "config.toml"),
        "FIVEC_DB": str(tmp_path / "c.db"),
        "FIVEC_USERNAME": "u",
        "FIVEC_PASSWORD": "p",
        "FIVEC_APIKEY": "k" * 32,
    }
    Store(tmp_path / "c.db").close()
    code, out, err = run(env, "alerts")
    assert code == 0 and out == "no alert recorded\n", err
    code, out, _err = run(env, "alerts", "--json")
    assert code == 0 and json.loads(out) == []  # JSON stays a list


def test_a_send_to_one_number_says_no_plural_for_it(sim_thread, tmp_path):
    env = account_env(sim_thread, tmp_path)
    code, out, err = run(env, "send", "--to", "13800138000", "--content", "【测试】x", "--yes")
    assert code == 0, err
    assert "1 recipients" not in out and "(recipients: 1, parts: 1)" in out
