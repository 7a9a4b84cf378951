"""``stats --json``'s carriers (latency percentiles, burn rates), cost and week-earlier
baseline, and ``stats --by``, against numbers computed here from the traffic rows alone, with
the clock frozen."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from click.testing import CliRunner
from traffic import T0, expected, fill_rows, random_rows, text_of, utc

from fivec_tui.api.carriers import carrier_of
from fivec_tui.api.sms import parts
from fivec_tui.api.wire import BEIJING
from fivec_tui.cli import main
from fivec_tui.store import Store
from fivec_tui.store.groups import signature_of

WEEK = 7 * 86400
FROZEN = T0 + WEEK + 5 * 3600  # the cache's receipt of reports without a platform time
AT = T0 + WEEK + 3 * 3600 + 17.5
KEYS = ("sent", "delivered", "failed", "pending", "rate")
LATENCIES = ("latency_p50_s", "latency_p95_s", "latency_p99_s")
BALANCE = [(T0 + WEEK + 600 * i, 5000 - 7 * i + (1000 if i >= 15 else 0)) for i in range(30)]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """Four hours of traffic now and the same a week earlier, and a balance snapshot every
    ten minutes (a recharge among them)."""
    path = tmp_path_factory.mktemp("stats") / "c.db"
    rows = random_rows(31, 2500, T0 + WEEK, 4 * 3600) + random_rows(32, 2500, T0, 4 * 3600)
    store = Store(path)
    fill_rows(store, rows, FROZEN, seed=31)
    with store.transaction() as conn:
        conn.executemany("INSERT INTO balance(at, remaining, total) VALUES (?, ?, 10000)", BALANCE)
    store.close()
    return path, rows


def stats(path, tmp_path, *args, clock: float = AT) -> dict:
    (tmp_path / "none.toml").write_text("")
    env = {"FIVEC_DB": str(path), "FIVEC_CONFIG": str(tmp_path / "none.toml")}
    with mock.patch("time.time", lambda: clock):
        result = CliRunner().invoke(main, ["stats", *args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def want(rows, window_s: float, at: float, known_now: bool = True) -> dict:
    e = expected(rows, window_s, at, known_now, FROZEN)
    return {**e, "rate": e.pop("delivery_rate")}


def by_carrier(rows) -> dict[str, list]:
    out: dict[str, list] = {}
    for r in rows:
        out.setdefault(carrier_of(r[1]), []).append(r)
    return out


def burn(rows, window_s: float, at: float, known_now: bool = True) -> float | None:
    e = expected(rows, window_s, at, known_now, FROZEN)
    finished = e["delivered"] + e["failed"]
    return e["failed"] / finished / 0.03 if finished else None


def test_carriers_cost_and_baseline(cache, tmp_path):
    path, rows = cache
    got = stats(path, tmp_path, "--window", "1h")
    for carrier, part in by_carrier(rows).items():
        if carrier not in got["carriers"]:  # nothing of it in the window or the burn windows
            assert want(part, 3600, AT)["sent"] == 0
            continue
        c, w = got["carriers"][carrier], want(part, 3600, AT)
        assert {k: c[k] for k in KEYS + LATENCIES} == {k: w[k] for k in KEYS + LATENCIES}
        assert c["burn_1h"] == pytest.approx(burn(part, 3600, AT))
        assert c["burn_5m"] == pytest.approx(burn(part, 300, AT))
    for k in ("sent", "delivered", "failed", "pending"):  # the carriers add up to the whole
        assert sum(c[k] for c in got["carriers"].values()) == got[k]
    assert {"mobile", "unicom", "telecom", "intl"} <= set(got["carriers"])

    inside = [r for r in rows if AT - 3600 < r[2] <= AT]
    # 7 every 600 s, over the hour's 3600 s less the 600 s of the recharge
    spent = 7 * 3000 / 600
    assert got["cost"]["parts"] == sum(parts(text_of(r)) for r in inside)
    assert got["cost"]["spent"] == pytest.approx(spent)
    assert got["cost"]["per_delivered"] == pytest.approx(spent / got["delivered"])

    base, then = got["baseline"], AT - WEEK
    assert {k: base[k] for k in ("sent", "delivered", "failed", "pending")} == {
        k: want(rows, 3600, then)[k] for k in ("sent", "delivered", "failed", "pending")
    }
    assert base["delivery_rate"] == want(rows, 3600, then)["rate"]
    for carrier, part in by_carrier(rows).items():
        if carrier in base["carriers"]:
            assert base["carriers"][carrier]["sent"] == want(part, 3600, then)["sent"]
    assert base["cost"]["spent"] is None  # no balance snapshot a week back
    assert "baseline" not in base


def test_no_baseline_when_the_cache_does_not_go_back_a_week(tmp_path):
    path = tmp_path / "new.db"
    store = Store(path)
    fill_rows(store, random_rows(33, 200, T0 + WEEK, 4 * 3600), FROZEN, seed=33)
    store.close()
    got = stats(path, tmp_path, "--window", "1h")
    assert got["baseline"] is None and got["sent"] > 0


def test_stats_at_is_the_definition_for_carriers_too(cache, tmp_path):
    path, rows = cache
    later = FROZEN + 3600  # --at a past moment: as it was known then
    got = stats(path, tmp_path, "--window", "1h", "--at", utc(AT).isoformat(), clock=later)
    for carrier, part in by_carrier(rows).items():
        if carrier in got["carriers"]:
            c, w = got["carriers"][carrier], want(part, 3600, AT, known_now=False)
            assert {k: c[k] for k in KEYS + LATENCIES} == {k: w[k] for k in KEYS + LATENCIES}
            assert c["burn_5m"] == pytest.approx(burn(part, 300, AT, known_now=False))
    by = stats(
        path,
        tmp_path,
        "--window",
        "1h",
        "--at",
        utc(AT).isoformat(),
        "--by",
        "carrier",
        clock=later,
    )
    assert by["carrier"] == got["carriers"]


def test_by_signature_adds_up_to_the_totals(cache, tmp_path):
    path, rows = cache
    total = stats(path, tmp_path, "--window", "2h")
    got = stats(path, tmp_path, "--window", "2h", "--by", "signature")["signature"]
    assert set(got) == {"美联软通", "快递通", ""}
    for k in ("sent", "delivered", "failed", "pending"):
        assert sum(r[k] for r in got.values()) == total[k]
    for name, r in got.items():
        part = [row for row in rows if signature_of(text_of(row)) == name]
        w = want(part, 7200, AT)
        assert {k: r[k] for k in KEYS} == {k: w[k] for k in KEYS}
    assert list(got) == sorted(got, key=lambda n: -got[n]["sent"])  # most sent first
    templates = stats(path, tmp_path, "--window", "2h", "--by", "template")["template"]
    assert sum(r["sent"] for r in templates.values()) == total["sent"]


def test_opt_outs_are_put_down_to_the_last_message_and_add_up(tmp_path):
    """Opt-out replies (``TD``, `` 退订 ``, ``Unsubscribe``, not ``thanks``) and blacklist
    additions, each number once, each put down to the last message sent to it before."""
    from fivec_tui.api import Record, Reply
    from fivec_tui.store import ingest_items

    path = tmp_path / "opt.db"
    store = Store(path)
    rows = random_rows(34, 400, AT - 3000, 2400)
    fill_rows(store, rows, FROZEN, seed=34)
    late = rows[0]  # sent a second message, of another signature, before its opt-out
    ingest_items(
        store, "records", [Record("acme", "9" * 10, (late[1],), "x【快递通】", utc(AT - 200))]
    )
    answers = ["TD", " 退订 ", "Unsubscribe", "thanks", "t"]
    replies = [
        Reply(r[1], answers[i % len(answers)], utc(max(r[2] + 30, AT - 100)), reply_id=str(i))
        for i, r in enumerate(rows[:60])
    ]
    replies.append(Reply("13900000000", "TD", utc(AT - 50), reply_id="never-sent"))
    replies.append(Reply(rows[1][1], "TD", utc(AT - 7200), reply_id="before-the-window"))
    with mock.patch("time.time", lambda: FROZEN):
        ingest_items(store, "replies", replies)
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO blacklist_lookups(at, mobile, black, added) VALUES (?, ?, 1, ?)",
            [
                (AT - 60, rows[0][1], ""),  # replied TD too: one opt-out
                (AT - 60, rows[70][1], utc(AT - 600).astimezone(BEIJING).strftime("%F %T")),
                (AT - 60, rows[71][1], "2020-01-01 00:00:00"),  # added long before the window
                (AT - 60, rows[72][1], "garbage"),  # the lookup's time
            ],
        )
        conn.execute(
            "INSERT INTO blacklist_lookups(at, mobile, black) VALUES (?, ?, 0)", (AT, rows[73][1])
        )
    store.close()
    opted = {r[1] for i, r in enumerate(rows[:60]) if i % 5 != 3} | {rows[70][1], rows[72][1]}
    total = len(opted) + 1  # and the number never sent to
    for by in ("carrier", "signature", "template", "campaign"):
        got = stats(path, tmp_path, "--window", "1h", "--by", by)[by]
        assert sum(r["opt_outs"] for r in got.values()) == total, by
    signatures = stats(path, tmp_path, "--window", "1h", "--by", "signature")["signature"]
    want_sig: dict[str, int] = {"": 1}  # the number never sent to
    for r in rows:
        if r[1] in opted:
            name = "快递通" if r is late else signature_of(text_of(r))
            want_sig[name] = want_sig.get(name, 0) + 1
    assert {k: v["opt_outs"] for k, v in signatures.items() if v["opt_outs"]} == want_sig
    carriers = stats(path, tmp_path, "--window", "1h", "--by", "carrier")["carrier"]
    want_car: dict[str, int] = {"mobile": 1}  # 139…
    for r in rows:
        if r[1] in opted:
            want_car[carrier_of(r[1])] = want_car.get(carrier_of(r[1]), 0) + 1
    assert {k: v["opt_outs"] for k, v in carriers.items() if v["opt_outs"]} == want_car


def test_cost_per_delivered_is_the_balance_change_over_the_delivered(tmp_path):
    """``spent`` is the balance's change over the window itself: a fall that straddles its
    start counts for the part inside, one before it not at all; ``per_delivered`` is that
    over the window's delivered messages; ``runs_out_in_s`` from the last hour's burn."""
    path = tmp_path / "cost.db"
    store = Store(path)
    rows = random_rows(35, 300, AT - 3600, 3600)
    fill_rows(store, rows, FROZEN, seed=35)
    start = AT - 3600
    snapshots = [
        (start - 900, 2000.0),
        (start - 300, 1900.0),  # a fall of 100 before the window: not its cost
        (start + 300, 1880.0),  # 20 over the start: 10 of it inside
        (start + 1800, 1850.0),
        (start + 2400, 2850.0),  # a recharge: no cost
        (AT - 600, 2800.0),
        (AT + 600, 2760.0),  # 40 over the end, known now: 20 of it inside
    ]
    with store.transaction() as conn:
        conn.executemany("INSERT INTO balance(at, remaining, total) VALUES (?, ?, 9999)", snapshots)
    store.close()
    change = 10 + 30 + 50 + 20  # the balance's falls inside the hour
    live = stats(path, tmp_path, "--window", "1h", clock=AT)
    assert live["delivered"] == want(rows, 3600, AT)["delivered"] > 0
    assert live["cost"]["spent"] == pytest.approx(change)
    assert live["cost"]["per_delivered"] == pytest.approx(change / live["delivered"])
    then = stats(path, tmp_path, "--window", "1h", "--at", utc(AT).isoformat(), clock=AT + 700)
    assert then["cost"]["spent"] == pytest.approx(change - 20)  # the last fall not known then
    # the last hour's snapshots: falls of 30 and 50 over 2700 s, 2800 left
    assert live["cost"]["runs_out_in_s"] == pytest.approx(2800 / (80 / 2700))
    recharged = stats(path, tmp_path, "--window", "1h", clock=start + 2500)
    assert recharged["cost"]["runs_out_in_s"] is not None


def cli(path, tmp_path, *args, clock: float = AT) -> str:
    (tmp_path / "none.toml").write_text("")
    env = {"FIVEC_DB": str(path), "FIVEC_CONFIG": str(tmp_path / "none.toml"), "TZ": "UTC"}
    with mock.patch("time.time", lambda: clock):
        result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_by_text_is_a_table_in_cells_with_names(cache, tmp_path):
    """``stats --by`` without --json: headers, carriers by their (translated) names, columns
    aligned by terminal cells (a Chinese character takes two), so every line is as wide."""
    from rich.cells import cell_len

    path, _rows = cache
    for lang, header, mobile in (("en", "name", "China Mobile"), ("zh", "名称", "中国移动")):
        lines = cli(path, tmp_path, "--lang", lang, "stats", "--by", "carrier").splitlines()
        assert lines[0].split()[0] == header and "p95" in lines[0]
        assert any(line.startswith(mobile) for line in lines) and "mobile " not in "".join(lines)
        assert len({cell_len(line) for line in lines}) == 1, lines
    lines = cli(path, tmp_path, "stats", "--by", "signature").splitlines()
    assert len({cell_len(line) for line in lines}) == 1 < len({len(line) for line in lines})
    sent_end = cell_len(lines[0].split("sent")[0]) + len("sent")
    assert all(cell_len(line[: line.index(" ", 1)]) <= sent_end for line in lines)


def test_stats_says_when_its_window_ends(cache, tmp_path):
    """Plain ``stats`` names the window's end in the display zone, with its label; --json
    has it as ``at`` (ISO 8601 with the offset), --by too."""
    from datetime import datetime

    path, _rows = cache
    shown = datetime.fromtimestamp(AT, BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    text = cli(path, tmp_path, "stats", "--window", "1h")
    assert f"last 1h to {shown} +08:00:" in text.splitlines()[0]
    for args in ((), ("--by", "signature")):
        got = stats(path, tmp_path, "--window", "1h", *args)
        assert datetime.fromisoformat(got["at"]) == datetime.fromtimestamp(AT, BEIJING)
        assert got["at"].endswith("+08:00")
    then = stats(path, tmp_path, "--at", utc(AT - 600).isoformat(), clock=AT + 3600)
    assert datetime.fromisoformat(then["at"]).timestamp() == AT - 600


def test_spent_says_since_when_the_balance_was_first_seen_inside_the_window(tmp_path):
    """The demo's first hour: 'spent' from its first snapshot against the whole hour's
    deliveries made each message look cheaper than a part (a newcomer's finding); in
    --json as a moment, ISO 8601 (it was the epoch's seconds: another newcomer's)."""
    from datetime import datetime

    from fivec_tui.api import Balance
    from fivec_tui.store import Store, breakdown
    from fivec_tui.store.balance import add_balance

    store = Store(tmp_path / "b.db")
    for remaining in (1000, 990, 970):
        add_balance(store, Balance(remaining, 2000))
    now = store.scalar("SELECT max(at) FROM balance") + 1
    first = store.scalar("SELECT min(at) FROM balance")
    cost = breakdown.cost(store, 3600, now)
    assert cost["spent"] == 30 and cost["spent_since"] == first
    assert cost["per_delivered"] is None  # over part of the hour only: not told
    got = stats(tmp_path / "b.db", tmp_path, "--window", "1h", clock=now)["cost"]
    assert datetime.fromisoformat(got["spent_since"]).timestamp() == pytest.approx(first)
    store.conn.execute("UPDATE balance SET at = at - 7200 WHERE remaining = 1000")
    cost = breakdown.cost(store, 3600, now)
    assert cost["spent_since"] is None


def test_an_opt_out_is_read_as_a_person_reads_it_and_a_number_is_one_number(tmp_path):
    """Full-width ``ＴＤ`` and ``T`` with a zero-width space were missed; ``+8615…`` and
    ``15…`` counted as two people, the first under no group (an outsider's finding)."""
    from datetime import UTC, datetime

    from fivec_tui.api import Record, Reply
    from fivec_tui.store import Store, codes, ingest_items, optouts

    assert codes.is_opt_out("ＴＤ") and codes.is_opt_out("T\u200b") and codes.is_opt_out(" td。")
    assert not codes.is_opt_out("thanks")
    store = Store(tmp_path / "o.db")
    now = 1_800_000_000.0
    at = datetime.fromtimestamp
    sent = Record("u", "1" * 14, ("15059955718",), "hi【甲】", at(now - 600, UTC))
    ingest_items(store, "records", [sent])
    ingest_items(
        store,
        "replies",
        [
            Reply("+8615059955718", "TD", at(now - 300, UTC), reply_id="a"),
            Reply("15059955718", "ＴＤ", at(now - 200, UTC), reply_id="b"),
        ],
    )
    assert list(optouts.events(store, now - 3600, now)) == ["15059955718"]
    assert optouts.attributed(store, "carrier", now - 3600, now) == {"mobile": 1}


def test_one_misread_balance_is_not_the_whole_balance_spent(tmp_path):
    """9858, 9854, then one answer of 0.000, then 9848: 'spent 9858' for an hour (an
    outsider's finding).  A real spend then a small recharge still counts."""
    from fivec_tui.api import Balance
    from fivec_tui.store import Store, breakdown
    from fivec_tui.store.balance import add_balance

    store = Store(tmp_path / "d.db")
    for remaining in (9858, 9854, 0, 9848):
        add_balance(store, Balance(remaining, 30110))
    store.conn.execute("UPDATE balance SET at = 1800000000 - (5 - id) * 60")
    assert breakdown.spent(store, 1_800_000_000 - 3600, 1_800_000_000) == 10
    store.conn.execute("UPDATE balance SET remaining = 9000 WHERE remaining = 0")
    store.conn.execute("UPDATE balance SET remaining = 9500 WHERE remaining = 9848")
    assert breakdown.spent(store, 1_800_000_000 - 3600, 1_800_000_000) == 858  # spent, topped up


def test_a_group_of_nothing_is_named_as_people_read_it():
    """A newcomer read a campaign called ``0`` and an unnamed signature row: the messages
    of no campaign, with no signature.  JSON keeps the ids."""
    from fivec_tui.store.breakdown import group_label

    assert group_label("campaign", "0") == "no campaign" and group_label("signature", "") == "none"
    assert group_label("carrier", "mobile") == "China Mobile"
    assert group_label("signature", "美联软通") == "美联软通"
