"""Bulk files: reading (UTF-8, GBK, XLSX), every rejection reason, grouping and pricing."""

from __future__ import annotations

import json
import stat

import pytest

from fivec_tui.api.traffic import TRAFFIC, traffic_for
from fivec_tui.sync.bulk import outputs
from fivec_tui.sync.bulk.plan import plan, price, request_size
from fivec_tui.sync.bulk.prepare import prepare, write_rejects
from fivec_tui.sync.bulk.source import SourceError, read_table
from fivec_tui.sync.bulk.validate import validate

SIGNED = "【公司】"


def write(tmp_path, lines, encoding="utf-8", name="in.csv"):
    path = tmp_path / name
    path.write_bytes("\n".join(lines).encode(encoding))
    return path


def reasons(validation):
    return {r.row: r.reason for r in validation.rejects}


def test_utf8_with_bom_and_gbk_are_both_read(tmp_path):
    utf = read_table(write(tmp_path, ["mobile,name", "13800138000,张三"], "utf-8-sig", "a.csv"))
    gbk = read_table(write(tmp_path, ["手机号,name", "13800138000,张三"], "gbk", "b.csv"))
    assert (utf.encoding, utf.header, utf.rows) == (
        "utf-8",
        ["mobile", "name"],
        [(2, ["13800138000", "张三"])],
    )
    assert gbk.encoding == "gbk" and gbk.rows[0][1][1] == "张三" and gbk.column() == 0


def test_neither_utf8_nor_gbk_is_refused_with_the_byte(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"mobile\n\xff\xfe\xff")
    with pytest.raises(SourceError, match="0xff"):
        read_table(path)


def test_xlsx_is_read_and_numbers_lose_their_float(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["mobile", "name"])
    book.active.append([13800138000, "李四"])
    book.save(tmp_path / "in.xlsx")
    table = read_table(tmp_path / "in.xlsx")
    assert table.rows == [(2, ["13800138000", "李四"])]


def test_each_rejection_reason(tmp_path):
    path = write(
        tmp_path,
        [
            "mobile,name,note",
            "13800138000,张三,x",  # 2 valid
            "12345,李四,x",  # 3 invalid_number
            "+86 138-0013-8000,王五,x",  # 4 duplicate (same number as row 2)
            "13900139000,赵六,x",  # 5 blacklisted in the cache
            "13700137000,,x",  # 6 missing_variable
            "13600136000," + "长" * 500 + ",x",  # 7 too_long
            "13500135000,\U0001f600,x",  # 8 not_representable in GBK
            "13400134000,孙七【,x",  # 9 valid number, text fine with the signature
        ],
    )
    table = read_table(path)
    v = validate(
        table,
        encode="GBK",
        content="{name}您好" + SIGNED,
        blacklisted=lambda mobiles: {"13900139000"} & set(mobiles),
    )
    assert reasons(v) == {
        3: "invalid_number",
        4: "duplicate",
        5: "blacklisted",
        6: "missing_variable",
        7: "too_long",
        8: "not_representable",
    }
    assert [r.row for r in v.valid] == [2, 9]
    dup = next(r for r in v.rejects if r.reason == "duplicate")
    assert "2" in dup.detail and dup.cells[0] == "+86 138-0013-8000"


def test_no_signature_is_a_mainland_rule(tmp_path):
    path = write(tmp_path, ["mobile,sig", "13800138000,", "+447874321404,", "13900139000,【甲】"])
    v = validate(read_table(path), encode="UTF-8", content="您好{sig}")
    # {sig} empty on rows 2 and 3: missing variable; with the signature the row is fine
    assert reasons(v) == {2: "missing_variable", 3: "missing_variable"}
    v = validate(read_table(path), encode="UTF-8", content="您好")
    assert reasons(v) == {2: "no_signature", 4: "no_signature"}
    assert [(r.row, r.international) for r in v.valid] == [(3, True)]


def test_international_numbers_cannot_go_through_the_batch(tmp_path):
    path = write(tmp_path, ["mobile,name", "13800138000,A", "+447874321404,B"])
    v = validate(read_table(path), encode="UTF-8", content="Hi {name}" + SIGNED)
    p = plan(v, TRAFFIC["personal"], 200)
    assert [(r.row, r.reason) for r in p.rejects] == [(3, "international_batch")]
    assert p.requests == [("batch", [2])]
    assert price(v, p).valid == 1


def test_whole_file_problems_raise(tmp_path):
    path = write(tmp_path, ["phone_no,name", "13800138000,A"])
    with pytest.raises(ValueError, match="column"):
        validate(read_table(path), encode="UTF-8", content="x" + SIGNED)
    path = write(tmp_path, ["mobile,name", "13800138000,A"])
    with pytest.raises(ValueError, match=r"\{city\}"):
        validate(read_table(path), encode="UTF-8", content="{city}" + SIGNED)


def test_template_rows_carry_their_columns_as_variables(tmp_path):
    path = write(tmp_path, ["mobile,yzm,name", "13800138000,1234,张", "13900139000,,李"])
    v = validate(read_table(path), encode="UTF-8", template="10001")
    assert reasons(v) == {3: "missing_variable"}
    assert json.loads(v.valid[0].content) == {"{yzm}": "1234", "{name}": "张"}
    assert plan(v, TRAFFIC["notice"], 600).requests == [("template", [2])]


def test_identical_text_goes_as_send_requests_sized_to_a_second_of_rate(tmp_path):
    lines = ["mobile"] + [f"138{i:08d}" for i in range(2500)]
    v = validate(read_table(write(tmp_path, lines)), encode="UTF-8", content="通知" + SIGNED)
    p = plan(v, traffic_for("通知", personalised=False), 600)
    assert [(k, len(rows)) for k, rows in p.requests] == [("send", 600)] * 4 + [("send", 100)]
    # at a high rate a request carries up to the package of §3.7, at a low one at least 100
    assert request_size(TRAFFIC["notice"], 10**6) == 10_000
    assert request_size(TRAFFIC["marketing"], 50) == 100


def test_personalised_text_goes_as_batches_and_shared_texts_as_sends(tmp_path):
    lines = ["mobile,name"] + [f"138{i:08d},{'同' if i < 150 else i}" for i in range(450)]
    v = validate(read_table(write(tmp_path, lines)), encode="UTF-8", content="{name}" + SIGNED)
    p = plan(v, traffic_for("{name}", personalised=True), 200)
    kinds = [(k, len(rows)) for k, rows in p.requests]
    assert kinds == [("send", 150), ("batch", 200), ("batch", 100)]


def test_price_counts_parts_and_time(tmp_path):
    long = "长" * 80  # 80 + 4 characters: two parts
    lines = ["mobile,t"] + [f"138{i:08d},{long if i % 2 else '短'}" for i in range(300)]
    prepared = prepare(write(tmp_path, lines), encode="UTF-8", content="{t}" + SIGNED, rate=100)
    p = prepared.price
    assert (p.valid, p.parts_min, p.parts_max, p.parts_total) == (300, 1, 2, 450)
    assert (p.traffic, p.seconds) == ("personal", 3.0)
    assert traffic_for("促销回T退订【店】", personalised=False).name == "marketing"


def test_rejects_and_results_files_are_private_and_readable(tmp_path):
    path = write(tmp_path, ["mobile,name", "bad,A", "13800138000,B"])
    prepared = prepare(path, encode="UTF-8", content="{name}" + SIGNED)
    out = write_rejects(prepared)
    assert out == tmp_path / "in.csv.rejected.csv"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert read_table(out).rows == [(2, ["2", "invalid_number", "not a phone number", "bad", "A"])]
    outputs.write_results(
        outputs.results_path(path), [(3, "13800138000", "accepted", "1" * 14, "")]
    )
    assert stat.S_IMODE(outputs.results_path(path).stat().st_mode) == 0o600
