"""Parsers against every literal example of the API document and real-world shapes."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fivec_tui.api import errors
from fivec_tui.api.models import Reply, Report, Unparsed
from fivec_tui.api.parse import (
    check_answer,
    parse_balance,
    parse_billing,
    parse_blacklist,
    parse_records,
    parse_replies,
    parse_reports,
    parse_send,
    parse_success,
)
from fivec_tui.api.wire import BEIJING, percent_decode


def bj(*args) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


def test_reports_doc_examples_four_and_five_fields():
    body = (
        "309111755558600,13811299999,DELIVRD,2013-09-12 09:09:31;"
        "309111755558598,13811299999,DELIVRD,2013-09-12 09:09:32;"
    )
    a, b = parse_reports(body)
    assert (a.msgid, a.mobile, a.status, a.reported_at, a.ext) == (
        "309111755558600",
        "13811299999",
        "DELIVRD",
        bj(2013, 9, 12, 9, 9, 31),
        "",
    )
    assert b.reported_at.astimezone(UTC) == datetime(2013, 9, 12, 1, 9, 32, tzinfo=UTC)
    (c,) = parse_reports("3456,309111755558600,13811299999,DELIVRD,2013-09-12 09:09:31;")
    assert c.ext == "3456" and c.msgid == "309111755558600"


def test_reports_table_form_with_serial_and_no_record():
    (r,) = parse_reports("3456,13568864638358,2267476,13919214967,DELIVRD,2012-11-15 18:19:52;")
    assert (r.ext, r.msgid, r.mobile, r.status) == (
        "3456",
        "13568864638358",
        "13919214967",
        "DELIVRD",
    )
    assert parse_reports("no record") == []
    assert parse_reports("\ufeff no record \r\n") == []


def test_reports_tolerate_bom_crlf_and_keep_unreadable_lines():
    items = parse_reports(
        "\ufeff\r\n1,13800000000,MK:0001,2024-01-01 00:00:00;garbage;x,y,z,w,bad time;\r\n"
    )
    assert isinstance(items[0], Report) and items[0].status == "MK:0001"
    assert [type(i) for i in items[1:]] == [Unparsed, Unparsed]
    assert items[1].raw == "garbage"


def test_replies_doc_example_and_empty_replyid():
    body = (
        "3451,1281439,18600000001,%E4%B8%8D%E5%91%8A%E8%AF%89%E4%BD%A0,2016-03-01 10:48:06|||"
        "3451,1281459,18600000001,%E4%B8%8D%E5%91%8A%E8%AF%89%E4%BD%A0,2016-03-01 10:50:06"
    )
    a, b = parse_replies(body, "UTF-8")
    assert (a.ext, a.reply_id, a.mobile, a.content) == (
        "3451",
        "1281439",
        "18600000001",
        "不告诉你",
    )
    assert b.received_at == bj(2016, 3, 1, 10, 50, 6)
    (c,) = parse_replies("0,,13800000000,TD,2024-05-01 12:00:00", "UTF-8")
    assert c.reply_id == "" and c.ext == "0" and c.content == "TD"


def test_replies_doc_trailing_separator_and_four_field_item():
    body = (
        "1236,92,18610310000, %E4%B8%8D%E5%91%8A%E8%AF%89%E4%BD%A0,2013-09-30 12:39:54|||"
        "90,15210954925, %E4%B8%8D%E5%91%8A%E8%AF%89%E4%BD%A0,2013-09-30 12:40:14|||"
    )
    a, b = parse_replies(body, "UTF-8")
    assert a.content == "不告诉你" and b.mobile == "15210954925" and b.ext == ""


def test_replies_gbk_and_pipe_inside_content_is_not_a_separator():
    (r,) = parse_replies("0,1,13800000000,%C4%E3%BA%C3%7C%7Cx,2024-01-01 00:00:00", "GBK")
    assert r.content == "你好||x" and r.content_clean


def test_bad_percent_encoding_is_kept_and_flagged():
    text, clean = percent_decode("%E4%B8%", "UTF-8")
    assert not clean and text
    (r,) = parse_replies("0,1,13800000000,100%,2024-01-01 00:00:00", "UTF-8")
    assert r.content == "100%" and not r.content_clean and r.raw.endswith("00:00:00")


def test_records_doc_example():
    body = (
        "mlrt,13958008415478,13940728107|13811299933,%e6%82%a8%e7%9a%84%e9%aa%8c%e8%af%81%e7"
        "%a0%81%e6%98%af%ef%bc%9a123456%e3%80%90%e7%be%8e%e9%80%9a%e3%80%91,1395800841;"
    )
    (r,) = parse_records(body, "UTF-8")
    assert r.username == "mlrt" and r.msgid == "13958008415478"
    assert r.mobiles == ("13940728107", "13811299933")
    assert r.content == "您的验证码是：123456【美通】"
    assert r.sent_at == datetime.fromtimestamp(1395800841, UTC)


def test_billing_doc_example():
    body = (
        "username:filter,sum:61/0/0/0,balance:974|83/157.000|74.320/110|95/0|0;"
        "username:asdf12asdzxcq,sum:0/0/0/0,balance:103|100/0.000|0.000/0|0/0|0;"
    )
    a, b = parse_billing(body)
    assert a.username == "filter" and a.sent["domestic"] == 61
    assert a.balances["domestic"].total == 974 and a.balances["domestic"].remaining == 83
    assert a.balances["international"].remaining == Decimal("74.320")
    assert b.balances["domestic"].remaining == 100


def test_balance_real_shape():
    b = parse_balance(" 30029.000/30110.000\r\n")
    assert (b.remaining, b.total) == (Decimal("30029.000"), Decimal("30110.000"))
    assert parse_balance("-5.5/100").remaining == Decimal("-5.5")  # overdrawn
    for garbage in ("NaN/1", "1e999/1", "1e308/1", "5/inf", "１２/3", "0x10/1", "1_000/2", "/1"):
        with pytest.raises(errors.ParseError):
            parse_balance(garbage)


def test_send_success_json_and_errors():
    assert parse_send("success:32559889527596") == "32559889527596"
    assert parse_send('{"status":"success","msg":" 73508727178536 "}') == "73508727178536"
    with pytest.raises(errors.MissingUsername):
        parse_send('{"status":"error","msg":"Missing username"}')
    with pytest.raises(errors.SubmitFailed) as exc:
        parse_send("error:32559889527596")
    assert exc.value.msgid == "32559889527596"
    with pytest.raises(errors.BlackKeywords) as exc:
        parse_send("error:Black keywords is:党中央")
    assert exc.value.keywords == "党中央"


@pytest.mark.parametrize(
    "body",
    [
        "success:",
        "success:ok",
        "success:Added white number",
        "success:123456789",  # 9 digits: truncated
        "success:123456789012345678901",  # 21 digits
        "success:3255988952759６",  # a full-width digit
        "success:32559889527596,32559889527597",
        "success:<html><body>502 Bad Gateway</body></html>",
        '{"status":"success","msg":"sent"}',
        '{"status":"success","msg":""}',
    ],
)
def test_send_success_without_a_msgid_is_a_parse_error_keeping_the_body(body):
    with pytest.raises(errors.ParseError) as exc:
        parse_send(f" {body}\r\n")
    assert exc.value.raw == body


@settings(max_examples=200, deadline=None)
@given(
    msgid=st.from_regex(r"[0-9]{10,20}", fullmatch=True),
    pad=st.sampled_from(["", " ", "\r\n", "\t "]),
    bom=st.sampled_from(["", "\ufeff"]),
)
def test_send_msgid_of_10_to_20_digits_in_either_form(msgid, pad, bom):
    assert parse_send(f"{bom}{pad}success:{pad}{msgid}{pad}") == msgid
    answer = json.dumps({"status": "success", "msg": f"{pad}{msgid}{pad}"})
    assert parse_send(f"{bom}{pad}{answer}{pad}") == msgid


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(), st.from_regex(r"success:.{0,25}", fullmatch=True)))
def test_send_returns_only_msgids(text):
    try:
        msgid = parse_send(text)
    except (errors.PlatformError, errors.ParseError):
        return
    assert msgid.isascii() and msgid.isdigit() and 10 <= len(msgid) <= 20


DOCUMENTED = [
    ("Missing username", errors.MissingUsername),
    ("Missing password", errors.MissingPassword),
    ("Missing apikey", errors.MissingApikey),
    ("Missing recipient", errors.MissingRecipient),
    ("Missing message content", errors.MissingContent),
    ("Account is blocked", errors.AccountBlocked),
    ("Unrecognized encoding", errors.UnrecognizedEncoding),
    ("APIKEY or password error", errors.BadCredentials),
    ("Unauthorized IP address", errors.UnauthorizedIP),
    ("Account balance is insufficient", errors.InsufficientBalance),
    ("Throughput Rate Exceeded", errors.ThroughputExceeded),
    ("Invalid md5 password length", errors.InvalidMd5Length),
    ("Missing from parameter", errors.MissingFrom),
    ("Missing to parameter", errors.MissingTo),
    ("Non black number or no allow operation", errors.NotRemovable),
    ("Username already exists", errors.UsernameExists),
    ("Missing childUsername parameter", errors.MissingChildUsername),
    ("childUsername minimum length of 6 bits", errors.ChildUsernameTooShort),
    ("childUsername max length of 15 bits", errors.ChildUsernameTooLong),
    ("Missing regPassword parameter", errors.MissingRegPassword),
    ("Child account reached the upper limit", errors.ChildLimitReached),
    ("RegUsername contains special characters", errors.ChildUsernameInvalid),
    ("regPassword contains special characters", errors.RegPasswordInvalid),
]


@pytest.mark.parametrize(("text", "cls"), DOCUMENTED)
def test_every_documented_error_has_its_class(text, cls):
    with pytest.raises(cls) as exc:
        parse_balance(f"error:{text}")
    assert exc.value.text == text and exc.value.meaning_en and exc.value.meaning_zh


def test_unknown_error_kept_whole_and_throughput_is_retryable():
    with pytest.raises(errors.UnknownPlatformError) as exc:
        parse_reports("error:Something: new")
    assert exc.value.text == "Something: new" and exc.value.raw == "error:Something: new"
    assert errors.ThroughputExceeded().retryable
    assert not isinstance(errors.UnauthorizedIP(), errors.ThroughputExceeded)


def test_blacklist_answers():
    assert not parse_blacklist("success:Non black number", "13800000000").black
    r = parse_blacklist(
        "success:Black number;Desc:用户投诉;Addtime:2024-01-02 10:00:00", "13800000001"
    )
    assert r.black and r.description == "用户投诉" and r.added_at == bj(2024, 1, 2, 10, 0, 0)
    assert parse_success("success:Added white number").message == "Added white number"


PARSERS = [
    parse_reports,
    lambda t: parse_replies(t, "UTF-8"),
    lambda t: parse_replies(t, "GBK"),
    lambda t: parse_records(t, "UTF-8"),
    parse_billing,
    parse_balance,
    parse_send,
    lambda t: parse_blacklist(t, "1"),
    parse_success,
]
ALPHABET = st.sampled_from(
    [
        *list(",;|:%/ \r\n\ufeff0123456789ABCDEFabc-."),
        "error:",
        "success:",
        "|||",
        "DELIVRD",
        "%E4",
        "no record",
        "\x00",
        "【",
    ]
)


@pytest.mark.parametrize("parser", PARSERS)
@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(), st.lists(ALPHABET, max_size=60).map("".join)))
def test_parsers_only_return_results_or_declared_errors(parser, text):
    try:
        result = parser(text)
    except (errors.PlatformError, errors.ParseError):
        return
    items = result if isinstance(result, list) else [result]
    for item in items:
        assert not isinstance(item, Exception)
        if isinstance(item, (Report, Reply, Unparsed)):
            assert item.raw


WAF_PAGE = "<html><head><title>405</title></head><body>blocked; a, b, c, d; e</body></html>"
ECHO = '{"form": {"username": "demo", "apikey": "***"}, "data": "username=demo&apikey=***"}'
REPORT = "309111755558600,13811299999,DELIVRD,2013-09-12 09:09:31;"
REPLY = "3451,1281439,18600000001,%E4%B8%8D,2016-03-01 10:48:06"
RECORD = "mlrt,13958008415478,13940728107|13811299933,%e6%82%a8,1395800841;"


@pytest.mark.parametrize("kind", ["reports", "replies", "records", "billing"])
@pytest.mark.parametrize(
    ("body", "what"),
    [
        ("", "an empty answer"),
        (" \r\n\ufeff", "an empty answer"),
        (WAF_PAGE, "a page"),
        ("\ufeff<!DOCTYPE html><html>维护中</html>", "a page"),
        (ECHO, "not one item"),
        ("\x8f\x00\x13garbage,,;;", "not one item"),
        ("3091117555", "not one item"),  # an answer cut inside its first item
    ],
)
def test_an_answer_that_is_no_answer_is_unreadable(kind, body, what):
    with pytest.raises(errors.UnreadableAnswer) as raised:
        check_answer(kind, body)
    message = str(raised.value)
    assert message.startswith(f"unreadable answer ({kind}): {what}")
    assert raised.value.raw == body.strip().lstrip("\ufeff").strip()
    assert len(message) < 200  # the first characters, not the whole page


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("reports", "no record"),
        ("reports", REPORT),
        ("reports", REPORT + "30911175555"),  # cut after its first item: still data
        ("reports", "garbage;" + REPORT),  # one odd item among good ones
        ("replies", "\ufeff NO RECORD\r\n"),
        ("replies", REPLY + "|||3451,12814"),
        ("records", RECORD),
        ("billing", "username:filter,sum:61/0/0/0,balance:974|83/157.000|74.320/110|95/0|0;"),
    ],
)
def test_an_answer_with_one_real_item_is_data(kind, body):
    assert check_answer(kind, body) == body.strip().lstrip("\ufeff").strip()


def test_check_answer_raises_the_platforms_errors_first():
    with pytest.raises(errors.UnauthorizedIP):
        check_answer("reports", "error:Unauthorized IP address")


@pytest.mark.parametrize("body", ["", WAF_PAGE, ECHO, "30029.000", "NaN/1", "30029.000/abc"])
def test_a_balance_that_is_not_one_is_unreadable(body):
    with pytest.raises(errors.UnreadableAnswer, match=r"^unreadable answer \(balance\)"):
        parse_balance(body)


def test_an_unreadable_answer_crosses_a_pipe():
    """The TUI's sync child sends errors pickled: this one must come back whole."""
    with pytest.raises(errors.UnreadableAnswer) as raised:
        check_answer("reports", WAF_PAGE)
    again = pickle.loads(pickle.dumps(raised.value))
    assert (str(again), again.raw) == (str(raised.value), raised.value.raw)


@pytest.mark.parametrize(
    ("content", "encode", "shown"),
    [
        ("你好%C4%E3", "GBK", "你好你"),  # a GBK answer: raw Chinese beside GBK escapes
        ("你好%E4%BD%A0", "UTF-8", "你好你"),
        ("回复%20TD+谢谢", "GBK", "回复 TD 谢谢"),
    ],
)
def test_raw_text_beside_escapes_is_kept_as_it_came(content, encode, shown):
    """Only the %xx runs are bytes: the text around them was decoded with the body and is
    never re-encoded in another encoding (which turned 你好 into 浣犲ソ in a GBK answer)."""
    (reply,) = parse_replies(f"0,1,13800138000,{content},2026-11-20 10:00:00", encode)
    assert reply.content == shown and reply.content_clean


def test_bytes_that_came_raw_are_decoded_but_never_called_clean():
    text, clean = percent_decode("x\udcc4\udce3y", "GBK")  # GBK bytes a push could not decode
    assert (text, clean) == ("x你y", False)
