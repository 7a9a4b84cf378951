"""The audit trail, the duplicate guard and the read-only console from the command line,
against the simulator: every action audited (pending, then its outcome), ``audit`` and its
``--verify``, ``export audit``, ``send`` refused as a duplicate unless ``--again``, bulk rows
rejected as ``recent``, and every action refused read-only (three ways) with no request made."""

from __future__ import annotations

import csv
import json
import shlex
import time

import pytest
from clirun import account_env, run

from fivec_tui.sim.state import BlackEntry
from fivec_tui.store import Store, duplicates

SIGNED = "【公司】"
#: The endpoints that change something on the platform (the simulator counts requests).
ACTING = ("send", "batch", "black", "bind", "user")


@pytest.fixture
def env(sim_thread, tmp_path):
    (tmp_path / "config.toml").write_text("")
    return account_env(sim_thread, tmp_path)


def entries(env) -> list[dict]:
    store = Store(env["FIVEC_DB"])
    try:
        return store.query("SELECT * FROM audit ORDER BY id")
    finally:
        store.close()


def audit_json(env, *args) -> list[dict]:
    code, out, err = run(env, "audit", "--json", *args)
    assert code == 0, err
    return json.loads(out)


def acting_requests(sim) -> dict[str, int]:
    return {name: sim.server.requests.get(name, 0) for name in ACTING}


def customers(tmp_path, n=150, name="in.csv"):
    path = tmp_path / name
    path.write_text("\n".join(["mobile,name"] + [f"138{i:08d},客户{i}" for i in range(n)]))
    return path


def test_every_action_writes_a_pending_entry_then_its_outcome(env, sim_thread, tmp_path):
    sim_thread.platform.blacklist["13700000001"] = BlackEntry("用户回复退订", time.time(), True)
    sub_password = "Child1Secret9"
    commands = [
        ("send", "--to", "13800138000", "--content", "验证码1234" + SIGNED, "--yes"),
        ("send", "--to", "13800138001", "--template", "10001", "--var", "code=42", "--yes"),
        ("send", "--to", "13800138002", "--content", "later" + SIGNED, "--at", "+1h", "--yes"),
        ("send", "--to", "13800138003", "--content", "soap" + SIGNED, "--via", "soap", "--yes"),
        ("blacklist", "remove", "13700000001", "--yes"),
        ("bind-ip", "127.0.0.1"),  # this machine: the requests after it still get through
        ("subaccounts", "create", "child01", "--contact-mobile", "13800000009"),
        ("subaccounts", "lock", "child01"),
        ("subaccounts", "unlock", "child01"),
        ("subaccounts", "charge", "child01", "10"),
        ("send", "--csv", str(customers(tmp_path)), "--content", "{name}您好" + SIGNED, "--yes"),
    ]
    for args in commands:
        stdin = sub_password + "\n" if args[1:2] == ("create",) else None
        code, _, err = run_with_input(env, stdin, *args, *(["--password-stdin"] * bool(stdin)))
        assert code == 0, (args, err)
    rows = entries(env)
    pending = [r for r in rows if r["ref"] is None]
    outcomes = {r["ref"]: r for r in rows if r["ref"] is not None}
    assert len(rows) == 2 * len(pending)  # every action: its pending entry and its outcome
    assert all(p["outcome"] == "pending" and p["id"] in outcomes for p in pending)
    assert all(outcomes[p["id"]]["id"] > p["id"] for p in pending)
    actions = [p["action"] for p in pending]
    assert actions[:10] == [
        "send",
        "template",
        "send",
        "send",
        "blacklist_remove",
        "bind_ip",
        "subaccount_create",
        "subaccount_lock",
        "subaccount_unlock",
        "subaccount_charge",
    ]
    assert actions[10:] == ["bulk"] * len(actions[10:]) and actions[10:]
    assert {p["path"] for p in pending[:10]} == {"cli"} and {p["path"] for p in pending[10:]} == {
        "bulk"
    }
    first, template, later, soap = pending[:4]
    assert (first["mobiles"], first["numbers"], first["text"]) == (
        "13800138000",
        1,
        "验证码1234" + SIGNED,
    )
    assert outcomes[first["id"]]["outcome"] == "accepted" and outcomes[first["id"]]["msgid"]
    assert (template["template"], json.loads(template["variables"])) == ("10001", {"{code}": "42"})
    assert "start_time" in json.loads(later["args"])
    assert json.loads(soap["args"])["form"] == "soap"
    assert json.loads(pending[9]["args"]) == {"amount": 10, "child": "child01"}
    assert {outcomes[p["id"]]["outcome"] for p in pending[4:10]} == {"ok"}
    bulk = pending[10:]
    assert sum(p["numbers"] for p in bulk) == 150 and all(p["mobiles"] == "" for p in bulk)
    assert {json.loads(p["args"])["campaign"] for p in bulk} == {1}
    dump = json.dumps(rows, ensure_ascii=False)
    a = sim_thread.account
    for secret in (a.apikey, a.password, a.password_md5, sub_password):
        assert secret not in dump
    code, out, _ = run(env, "audit", "--verify")
    assert code == 0 and f"verified: {len(rows)} entries" in out


def run_with_input(env, stdin, *args):
    from click.testing import CliRunner

    from fivec_tui.cli import main

    result = CliRunner().invoke(main, list(args), env=env, input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_audit_lists_filters_and_exports(env, tmp_path):
    run(env, "send", "--to", "13800138000", "--content", "一" + SIGNED, "--yes")
    run(env, "bind-ip", "192.0.2.1")
    code, out, _ = run(env, "audit")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2  # one line an action, newest first
    assert "bind_ip" in lines[0] and "192.0.2.1" in lines[0]
    assert " cli  send  accepted " in lines[1] and "13800138000: 一【公司】" in lines[1]
    (send,) = audit_json(env, "--action", "send")
    assert send["mobiles"] == ["13800138000"] and send["at"].endswith("+08:00")
    assert send["done_id"] == send["id"] + 1 and len(send["hash"]) == 64
    assert audit_json(env, "--user", "nobody-here") == []
    assert len(audit_json(env, "--from", "-1h", "--to", "now")) == 2
    assert audit_json(env, "--from", "+1h") == []
    out_csv = tmp_path / "audit.csv"
    code, _, err = run(env, "export", "audit", "--format", "csv", "--output", str(out_csv))
    assert code == 0 and "exported 4 audit" in err
    with out_csv.open(encoding="utf-8") as fh:
        exported = list(csv.DictReader(fh))
    assert [r["outcome"] for r in exported] == ["pending", "accepted", "pending", "ok"]
    assert exported[0]["prev"] == "0" * 64 and exported[1]["prev"] == exported[0]["hash"]
    code, out, _ = run(env, "export", "audit", "--format", "json")
    assert [r["action"] for r in json.loads(out)] == ["send", "send", "bind_ip", "bind_ip"]


@pytest.mark.parametrize(
    ("tampering", "broken"),
    [
        ("UPDATE audit SET text = 'hello' WHERE id = 1", "entry 1 was changed"),
        ("DELETE FROM audit WHERE id = 2", "entry 3 does not follow entry 1"),
        ("UPDATE audit SET id = 9 WHERE id = 2; UPDATE audit SET id = 2 WHERE id = 3; "
         "UPDATE audit SET id = 3 WHERE id = 9", "entry 2 does not follow entry 1"),
    ],
    ids=["edited", "deleted", "reordered"],
)  # fmt: skip
def test_verify_exits_1_naming_the_first_broken_entry(env, tampering, broken):
    for text in ("一", "二"):
        run(env, "send", "--to", "13800138000", "--content", text + SIGNED, "--yes")
    assert run(env, "audit", "--verify")[0] == 0
    store = Store(env["FIVEC_DB"])
    store.conn.execute("DROP TRIGGER audit_no_update")
    store.conn.execute("DROP TRIGGER audit_no_delete")
    for sql in tampering.split(";"):
        store.conn.execute(sql)
    store.close()
    code, out, _ = run(env, "audit", "--verify")
    assert code == 1 and "BROKEN" in out and broken in out
    code, out, _ = run(env, "audit", "--verify", "--json")
    assert code == 1 and json.loads(out)["ok"] is False


def test_send_refuses_the_same_text_to_the_same_number_unless_again(env, sim_thread):
    args = ("send", "--to", "13800138000", "--content", "验证码1234" + SIGNED, "--yes")
    code, out, _ = run(env, *args)
    msgid = out.split("msgid ")[1].split()[0]
    code, out, err = run(env, *args)
    assert code == 2 and out == ""
    assert "13800138000" in err and f"msgid {msgid}" in err and "via cli" in err
    assert "--again" in err and len(sim_thread.platform.messages) == 1
    for other in (
        ("send", "--to", "13800138000", "--content", "验证码9999" + SIGNED, "--yes"),
        ("send", "--to", "13900139000", "--content", "验证码1234" + SIGNED, "--yes"),
        (*args, "--again"),
    ):
        assert run(env, *other)[0] == 0
    assert len(sim_thread.platform.messages) == 4
    # the override is on the record: the trail says which send the person forced
    sends = [json.loads(r["args"] or "{}") for r in entries(env) if r["action"] == "send"]
    assert [a.get("again") for a in sends].count(True) == 1
    code, _, err = run(env, "send", "--to", "13900139000,13800138000", *args[3:])
    assert code == 2 and "and 1 more number(s) did" in err


def test_the_window_is_the_configured_one_on_a_frozen_clock(env, sim_thread, tmp_path, monkeypatch):
    (tmp_path / "config.toml").write_text("[app]\nduplicate_window_s = 60\n")
    args = ("send", "--to", "13800138000", "--content", "验证码1234" + SIGNED, "--yes")
    assert run(env, *args)[0] == 0
    (sent,) = [r for r in entries(env) if r["ref"] is None]
    monkeypatch.setattr(duplicates.time, "time", lambda: sent["at"] + 60)
    assert run(env, *args)[0] == 2  # at the window's edge
    monkeypatch.setattr(duplicates.time, "time", lambda: sent["at"] + 61)
    assert run(env, *args)[0] == 0  # a second past it
    (tmp_path / "config.toml").write_text("[app]\nduplicate_window_s = 0\n")
    assert run(env, *args)[0] == 0  # off
    assert len(sim_thread.platform.messages) == 3


def test_bulk_rejects_recent_rows_and_knows_a_campaign_by_its_content(env, sim_thread, tmp_path):
    run(env, "send", "--to", "13800000001", "--content", "客户1您好" + SIGNED, "--yes")
    path = customers(tmp_path, 5)
    code, _, _ = run(env, "send", "--csv", str(path), "--content", "{name}您好" + SIGNED, "--yes")
    assert code == 0
    with open(f"{path}.rejected.csv", encoding="utf-8-sig") as fh:
        (reject,) = list(csv.DictReader(fh))
    assert (reject["reason"], reject["mobile"]) == ("recent", "13800000001")
    assert "msgid" in reject["detail"]
    resaved = tmp_path / "copy.csv"
    resaved.write_bytes(path.read_text().replace("\n", "\r\n").encode("gbk"))
    code, _, err = run(
        env, "send", "--csv", str(resaved), "--content", "{name}您好" + SIGNED, "--yes"
    )
    assert code == 2 and "campaign 1 sent the same text to the same numbers" in err
    code, _, err = run(env, "send", "--csv", str(path), "--content", "维护通知" + SIGNED, "--yes")
    assert code == 0, err  # another text to the same list: a new campaign
    code, _, _ = run(env, "send", "--csv", str(resaved), "--content", "{name}您好" + SIGNED,
                     "--yes", "--again")  # fmt: skip
    assert code == 0  # --again: the campaign, and its recent rows, sent once more
    counts = sim_thread.platform.submissions
    assert counts["13800000001"] == 3 and counts["13800000002"] == 3


READ_ONLY_WAYS = {
    "flag": ((), "", {}),
    "env": ((), "", {"FIVEC_READ_ONLY": "1"}),
    "app": ((), "[app]\nread_only = true\n", {}),
    "profile": (("--profile", "p"), "[profiles.p]\nread_only = true\n", {}),
}


@pytest.mark.parametrize("way", list(READ_ONLY_WAYS))
def test_read_only_refuses_every_action_and_the_platform_sees_nothing(
    env, sim_thread, tmp_path, way
):
    sim_thread.platform.blacklist["13700000001"] = BlackEntry("用户回复退订", time.time(), True)
    group, config, extra = READ_ONLY_WAYS[way]
    (tmp_path / "config.toml").write_text(config)
    env = {**env, **extra}
    group = (*group, "--read-only") if way == "flag" else group
    before = acting_requests(sim_thread)
    for args in (
        ("send", "--to", "13800138000", "--content", "x" + SIGNED, "--yes"),
        ("send", "--csv", str(customers(tmp_path, 3)), "--content", "x" + SIGNED, "--yes"),
        ("campaign", "resume", "1", "--yes"),
        ("blacklist", "remove", "13700000001", "--yes"),
        ("bind-ip", "192.0.2.1"),
        ("subaccounts", "create", "child01", "--contact-mobile", "1", "--password-stdin"),
        ("subaccounts", "lock", "child01"),
        ("subaccounts", "unlock", "child01"),
        ("subaccounts", "charge", "child01", "10"),
    ):
        code, out, err = run(env, *group, *args)
        assert code == 2 and out == "", (args, err)
        assert err.startswith("read-only (") and len(err.strip().splitlines()) == 1, err
        assert "nothing was sent" in err
    assert acting_requests(sim_thread) == before
    code, out, _ = run(env, *group, "balance")  # reads still work
    assert code == 0 and out.strip()


def test_serve_is_read_only_off_loopback_unless_allow_actions(env, monkeypatch):
    from fivec_tui.app import serve as served

    commands = []
    monkeypatch.setattr(served.GuardedServer, "serve", lambda self: commands.append(self.command))
    public = ("serve", "--host", "0.0.0.0", "--i-know-this-is-public")
    code, _, err = run(env, *public)
    assert code == 0 and "--read-only" in shlex.split(commands[-1])
    assert "read-only" in err
    code, _, err = run(env, *public, "--allow-actions")
    assert code == 0 and "--read-only" not in shlex.split(commands[-1]) and "WARNING" in err
    assert run(env, "serve")[0] == 0 and "--read-only" not in shlex.split(commands[-1])
    assert run(env, "serve", "--read-only")[0] == 0 and "--read-only" in commands[-1]
    assert run(env, "--read-only", "serve", "--demo")[0] == 0
    assert shlex.split(commands[-1])[-2:] == ["--read-only", "demo"]


def test_a_key_that_is_a_link_refuses_actions_in_one_line(env, sim_thread, tmp_path, state_dir):
    """A symlinked key was ignored: sends went out unsealed without a word, and a tail cut
    from the cache then verified clean.  Now nothing is sent and the line says why."""
    from fivec_tui.store.seal import seal_dir

    key = seal_dir() / "key"
    key.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key.symlink_to(tmp_path / "elsewhere")
    code, _out, err = run(env, "send", "--to", "13800138000", "--content", "hi" + SIGNED, "--yes")
    assert code == 1 and "Traceback" not in err and "is a link or not a file" in err
    assert sim_thread.server.requests.get("send", 0) == 0 and entries(env) == []
