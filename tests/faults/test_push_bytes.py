"""A pushed body is journaled as the bytes that came, and what is not valid text is flagged,
never cleaned: bytes that are not UTF-8 (GBK, garbage) after the form's ``%xx`` decoding."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_from_bytes

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oldcache import old_cache, up_to_date
from peers import TOKEN

from fivec_tui.api.account import Credentials
from fivec_tui.api.client import FivecClient
from fivec_tui.api.models import Reply, Unparsed
from fivec_tui.api.push import FormError, parse_push, push_data
from fivec_tui.store import Store, replay
from fivec_tui.store.journaling import ingest_journal, journal, read_body, read_raw
from fivec_tui.sync import Forwarder, PushConfig, PushReceiver

GBK_REPLY = b"data=0%2C1%2C13800000000%2C%C4%E3%BA%C3%2C1462913482"  # 你好 in GBK
BAD_REPLY = b"data=0%2C2%2C13800000001%2Cok%FF%FE%2C1462913483"  # neither UTF-8 nor GBK
CLEAN_REPLY = b"data=0%2C3%2C13800000002%2C%E5%A5%BD%2C1462913484"  # 好 in UTF-8
JSON_REPLY = (
    b"data="
    + quote_from_bytes(
        b'{"results": [{"ext": "0", "replyid": "4", "mobile": "13800000003", '
        b'"content": "\xc4\xe3 ok", "receivetime": "1462913485"}]}'
    ).encode()
)
BAD_REPORT = b"data=1%FF,13800000000,DELIVRD,1462879547;2,13800000000,DELIVRD,1462879547"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def rows(store: Store) -> dict[str, list]:
    return {
        "replies": store.query(
            "SELECT mobile, content, ext, reply_id, received_at, raw, clean, journal_id "
            "FROM replies ORDER BY key"
        ),
        "reports": store.query("SELECT msgid, mobile, status, journal_id FROM reports ORDER BY 1"),
        "unparsed": store.query("SELECT journal_id, stream, raw, reason FROM unparsed ORDER BY 3"),
    }


def test_invalid_bytes_in_pushes_are_journaled_byte_for_byte_and_flagged(daemon):
    d = daemon()
    sent = {"replies": [GBK_REPLY, BAD_REPLY, CLEAN_REPLY, JSON_REPLY], "reports": [BAD_REPORT]}
    with httpx.Client(timeout=5) as h:
        for stream, bodies in sent.items():
            for body in bodies:
                assert h.post(d.url(stream), content=body, headers=FORM).text == "success"
    d.stop()
    store = Store(d.tmp_path / "c.db")
    journaled = store.query("SELECT id, stream, source FROM journal ORDER BY id")
    assert [read_raw(store, j["id"]) for j in journaled] == [*sent["replies"], *sent["reports"]]
    assert {j["source"] for j in journaled} == {"push"}
    replies = {r["reply_id"]: r for r in rows(store)["replies"]}
    assert (replies["1"]["content"], replies["1"]["clean"]) == ("你好", 0)  # a guess: GBK
    assert replies["1"]["raw"] == r"0,1,13800000000,\xc4\xe3\xba\xc3,1462913482"
    assert replies["2"]["clean"] == 0 and replies["2"]["content"].startswith("ok")
    assert replies["2"]["raw"] == r"0,2,13800000001,ok\xff\xfe,1462913483"
    assert (replies["3"]["content"], replies["3"]["clean"]) == ("好", 1)
    assert (replies["4"]["content"], replies["4"]["clean"]) == ("你 ok", 0)
    assert r'"content": "\xc4\xe3 ok"' in replies["4"]["raw"]
    (bad,) = rows(store)["unparsed"]
    assert bad["raw"] == r"1\xff,13800000000,DELIVRD,1462879547" and "msgid" in bad["reason"]
    assert [r["msgid"] for r in rows(store)["reports"]] == ["2"]
    # Replay (what the next start does with a body a crash left unparsed) reads the same bytes
    # the same way: every row again, identical.
    before = rows(store)
    with store.transaction() as conn:
        for table in ("replies", "reports", "unparsed"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("UPDATE journal SET parsed_at = NULL")
    assert replay(store) == len(journaled)
    assert rows(store) == before
    store.close()


async def test_forwarded_data_goes_downstream_byte_for_byte(tmp_path):
    """A receiver forwarding to a second receiver: the second journals the same data bytes."""
    first, second = Store(tmp_path / "a.db"), Store(tmp_path / "b.db")
    downstream = PushReceiver(second, PushConfig(TOKEN))
    await downstream.start()
    url = f"http://127.0.0.1:{downstream.port}/push/{TOKEN}/replies"
    upstream = PushReceiver(first, PushConfig(TOKEN, forward={"replies": [url]}))
    await upstream.start()
    try:
        async with httpx.AsyncClient() as h:
            answer = await h.post(
                f"http://127.0.0.1:{upstream.port}/push/{TOKEN}/replies",
                content=GBK_REPLY,
                headers=FORM,
            )
        assert answer.text == "success"
        forwarder = Forwarder(first)
        assert await forwarder.run_once() == 1
        await forwarder.aclose()
    finally:
        await upstream.stop()
        await downstream.stop()
    assert read_body(second, 1) == read_body(first, 1)
    assert read_body(second, 1).encode("utf-8", "surrogateescape") == (
        b"0,1,13800000000,\xc4\xe3\xba\xc3,1462913482"
    )
    assert second.scalar("SELECT clean FROM replies") == 0
    first.close()
    second.close()


def test_a_pull_can_journal_the_bytes_it_received(tmp_path):
    """The journal takes bytes as they came, read in their ``encode`` when ingested."""
    store = Store(tmp_path / "c.db")
    body = b"0,5,13800000000,%BA%C3%B5%C4,2024-01-01 00:00:00|||"  # 好的, GBK
    jid = journal(store, "replies", "pull", body, "GBK")
    assert read_raw(store, jid) == body
    assert ingest_journal(store, jid)["items"] == 1
    assert store.scalar("SELECT content FROM replies") == "好的"
    big = body * 100  # compressed this time, read back the same
    assert read_raw(store, journal(store, "replies", "pull", big, "GBK")) == big
    store.close()


def test_pulled_bytes_valid_in_no_encoding_are_flagged_never_cleaned(tmp_path):
    """\\xff is neither UTF-8 nor GBK: the body is journaled as it came, a reply whose content
    holds it is kept flagged with its raw item, anything else holding it is unparsed."""
    store = Store(tmp_path / "c.db")
    replies = (
        b"0,5,13800000000,ok\xff\xfe,2024-01-01 00:00:00|||"
        b"0,6,1380000\xff001,hi,2024-01-01 00:00:00|||0,7,13800000002,fine,2024-01-01 00:00:00"
    )
    reports = (
        b"1,13800000000,DELIVRD,2024-01-01 00:00:00;2\xff,13800000001,DELIVRD,2024-01-01 00:00:00"
    )
    records = b"u,9,13800000000,\xc4\xe3\xff,1704067200"
    for stream, body in (("replies", replies), ("reports", reports), ("records", records)):
        jid = journal(store, stream, "pull", body, "GBK")
        assert read_raw(store, jid) == body
        ingest_journal(store, jid)
    rows = store.query("SELECT reply_id, content, clean, raw FROM replies ORDER BY reply_id")
    assert [(r["reply_id"], r["clean"]) for r in rows] == [("5", 0), ("7", 1)]
    assert rows[0]["content"].startswith("ok") and rows[0]["raw"].endswith(
        r"ok\xff\xfe,2024-01-01 00:00:00"
    )
    assert rows[1]["content"] == "fine"
    assert store.scalar("SELECT group_concat(msgid) FROM reports") == "1"
    # A record has no raw column: its content is a guess, with the byte it could not read.
    assert store.scalar("SELECT content FROM records") == "你\ufffd"
    unparsed = store.query("SELECT stream, raw, reason FROM unparsed ORDER BY stream")
    assert [(u["stream"], u["raw"]) for u in unparsed] == [
        ("replies", r"0,6,1380000\xff001,hi,2024-01-01 00:00:00"),
        ("reports", r"2\xff,13800000001,DELIVRD,2024-01-01 00:00:00"),
    ]
    assert all("not valid in the answer's encoding" in u["reason"] for u in unparsed)
    store.close()


@pytest.mark.parametrize("encode", ["GBK", "UTF-8"])
async def test_a_pulled_answer_in_no_encoding_is_journaled_as_it_came(tmp_path, encode):
    """The client reads a destructive pull's stray bytes as lone surrogates, the journal turns
    them back into the bytes that came, and the item holding one is unparsed, never cleaned
    into another msgid (before: U+FFFD before anything was kept)."""
    body = (
        b"1,13800000000,DELIVRD,2024-01-01 00:00:00;2\xff,13800000001,DELIVRD,2024-01-01 00:00:00"
    )
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    credentials = Credentials("u", "0" * 32, "k")
    client = FivecClient(credentials, "http://platform", encode=encode, transport=transport)
    async with client:
        text = await client.pull_reports_body()
    store = Store(tmp_path / "c.db")
    jid = journal(store, "reports", "pull", text, client.encode)
    assert read_raw(store, jid) == body
    ingest_journal(store, jid)
    assert store.scalar("SELECT group_concat(msgid) FROM reports") == "1"
    assert (
        store.scalar("SELECT raw FROM unparsed") == r"2\xff,13800000001,DELIVRD,2024-01-01 00:00:00"
    )
    store.close()


def test_a_cache_from_before_keeps_its_text_bodies_readable(tmp_path):
    """Version 10 journaled a push's decoded data as text (or zlib of it): still read and
    replayed; new bodies are bytes beside them."""
    import time
    import zlib

    conn = old_cache(tmp_path / "old.db", 10)
    text = "7,13800000000,DELIVRD,1462879547"
    big = ";".join(f"{n},13800000000,DELIVRD,1462879547" for n in range(100, 200))
    insert = (
        "INSERT INTO journal(stream, source, received_at, encode, body, size) "
        "VALUES ('reports', 'push', ?, 'UTF-8', ?, ?)"
    )
    conn.execute(insert, (time.time(), text, len(text)))
    conn.execute(insert, (time.time(), zlib.compress(big.encode(), 1), len(big)))
    conn.close()
    store = Store(tmp_path / "old.db")
    assert up_to_date(store)
    assert (read_body(store, 1), read_body(store, 2)) == (text, big)
    assert read_raw(store, 1) == text.encode()
    assert replay(store) == 2 and store.scalar("SELECT count(*) FROM reports") == 101
    store.close()


FORMS = st.one_of(
    st.sampled_from(
        [
            "",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=gbk",
            "multipart/form-data; boundary=b",
            "multipart/form-data",
            "text/plain; charset=utf-16",
        ]
    ),
    st.text(max_size=60).map(lambda t: "multipart/form-data; " + t),  # any header a peer sends
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=60),
)


@settings(max_examples=500, deadline=None)
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.binary(max_size=200).map(lambda b: b"data=" + b),
        st.binary(max_size=200).map(
            lambda b: b'--b\r\nContent-Disposition: form-data; name="data"\r\n\r\n' + b
        ),
    ),
    content_type=FORMS,
    query=st.text(max_size=40),
    kind=st.sampled_from(["report", "reply"]),
)
def test_any_body_is_read_or_refused_and_every_item_is_storable(body, content_type, query, kind):
    """Whatever comes: a FormError (answered 400/413), or items whose text SQLite can store."""
    try:
        data = push_data(body, content_type, query)
    except FormError as exc:
        assert exc.status in (400, 413)
        return
    for item in parse_push(kind, data).items:
        texts = [item.raw] + ([item.content] if isinstance(item, Reply) else [])
        texts += [item.reason] if isinstance(item, Unparsed) else []
        for text in texts:
            text.encode("utf-8")  # no lone surrogate left: raises if there is one


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=200))
def test_the_data_field_is_its_bytes_exactly(raw):
    """``%xx`` decoding keeps every byte: the text gives the bytes back, whatever they were."""
    if not raw.decode("latin-1").strip():
        return
    for body, query in (
        (b"data=" + quote_from_bytes(raw).encode(), ""),
        (b"", "data=" + quote(raw)),
    ):
        assert push_data(body, "", query).encode("utf-8", "surrogateescape") == raw


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"nodata=1", "", 400),
        (b"data=+++", "", 400),  # blank
        (b"data=1", "multipart/form-data", 400),  # no boundary
        (b"data=1", "application/x-www-form-urlencoded; charset=nonsense", 400),
        (
            b'--b\r\nContent-Disposition: form-data; name="data"\r\nContent-Type: '
            b"multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--c--\r\n--b--\r\n",
            "multipart/form-data; boundary=b",
            400,
        ),  # nested
        (b"--b\r\n\r\n\r\n" * 1001 + b"--b--\r\n", "multipart/form-data; boundary=b", 413),
        (b"x=1&" * 1000 + b"data=1", "", 413),  # urlencoded too (an outsider's finding)
    ],
)
def test_forms_that_cannot_be_read_are_refused(body, content_type, status):
    with pytest.raises(FormError) as refused:
        push_data(body, content_type)
    assert refused.value.status == status


def test_multipart_fields_are_read_as_the_platform_may_send_them():
    def form(*parts: bytes) -> bytes:
        return b"preamble\r\n" + b"".join(b"--b\r\n" + p + b"\r\n" for p in parts) + b"--b--\r\n"

    plain = b'Content-Disposition: form-data; name="data"\r\n\r\n1,2'
    other = b'Content-Disposition: form-data; name="f"; filename="a"\r\n\r\nx'
    encoded = (
        b'Content-Disposition: form-data; name="data"\r\nContent-Transfer-Encoding: base64'
        b"\r\nContent-Type: text/plain; charset=gbk\r\n\r\n" + b"xOM="  # 你 in GBK
    )
    multipart = "multipart/form-data; boundary=b"
    assert push_data(form(other, plain), multipart) == "1,2"
    assert push_data(form(encoded), multipart) == "你"
    assert push_data(form(other), multipart, "data=3") == "3"  # none in the body: the URL's
    assert json.loads(push_data(b'data={"a":+1}', "")) == {"a": 1}  # + is a space
