"""The push examples of the API document (§7.1 reports, §9.1 replies), byte for byte, into a
real `fivec-tui poll --listen`, then out of `fivec-tui export`; and the string form's content
field in every shape it can arrive in."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest
from click.testing import CliRunner

from fivec_tui.api.models import Reply
from fivec_tui.api.push import parse_push
from fivec_tui.cli import main
from fivec_tui.store import Store
from fivec_tui.store.journaling import read_raw

TOKEN = "d" * 24

# §7.1 and §9.1, "URLEncode编码后": what follows `data=` in the document's URLs, line breaks
# of the PDF removed.  The reply string form's "编码前" shows the content as ` 好 `.
REPORTS = {
    "string": "309111755558600%2c13811299999%2cDELIVRD%2c1456853866%3b309111755559999%2c"
    "13811299988%2cDELIVRD%2c456853877",
    "json": "%7B%09%22results%22%3A+%5B%7B%22msgid%22%3A%2212122663121210%22%2C%22mobile%22%3A"
    "%2213811299999%22%2C%22status%22%3A%22UNDELIV%22%2C%22receivetime%22%3A%221462879547%22%7D"
    "%2C%7B%22msgid%22%3A%2222322613121411%22%2C%22mobile%22%3A%2218610310000%22%2C%22status%22"
    "%3A%22DELIVRD%22%2C%22receivetime%22%3A%221462879547%22%7D%5D%09%7D",
    "xml": "%3C%3Fxml+version%3D%221.0%22+encoding%3D%22utf-8%22%3F%3E%3Cresults%3E%3Citem%3E%09"
    "%3Cmsgid%3E1412544124087%3C%2Fmsgid%3E%09%3Cmobile%3E13811299999%3C%2Fmobile%3E%09%3Cstatus"
    "%3ENOSEND%3C%2Fstatus%3E%09%3Creceivetime%3E1462880473%3C%2Freceivetime%3E%3C%2Fitem%3E%3C"
    "%2Fresults%3E",
}
REPLIES = {
    "string": "2554%2c1445347%2c13811299999%2c%e5%a5%bd%2c1462913482%3b2554%2c1445347%2c"
    "13811299988%2c%e5%97%af%2c1462913643",
    "json": "%7B%09%22results%22%3A+%5B%7B%22ext%22%3A%2212024997664%22%2C%22replyid%22%3A"
    "%221443692%22%2C%22mobile%22%3A%22447874321404%22%2C%22content%22%3A%22H%22%2C"
    "%22receivetime%22%3A%221462832627%22%7D%2C%7B%22ext%22%3A%220%22%2C%22replyid%22%3A"
    "%221445336%22%2C%22mobile%22%3A%2213811299999%22%2C%22content%22%3A%22%E5%91%B5%E5%91%B5"
    "%E5%91%B5%EF%BC%8C345%22%2C%22receivetime%22%3A%221462909232%22%7D%2C%7B%22ext%22%3A%220%22"
    "%2C%22replyid%22%3A%221445337%22%2C%22mobile%22%3A%2213811299999%22%2C%22content%22%3A%22"
    "%E4%B9%88%E4%B9%88%E5%93%92189%E5%BF%97%E4%BC%9F%22%2C%22receivetime%22%3A%221462909307%22"
    "%7D%5D%09%7D",
    "xml": "%3C%3Fxml+version%3D%221.0%22+encoding%3D%22utf-8%22%3F%3E%3Cresults%3E%3Citem%3E%09"
    "%3Cext%3E2554%3C%2Fext%3E%09%3Creplyid%3E%3C%2Freplyid%3E%09%3Cmobile%3E18610310000%3C%2F"
    "mobile%3E%09%3Ccontent%3E%E5%91%B5%E5%91%B5%E5%93%88%E5%93%88%3C%2Fcontent%3E%09%3C"
    "receivetime%3E%3C%2Freceivetime%3E%3C%2Fitem%3E%3Citem%3E%09%3Cext%3E2554%3C%2Fext%3E%09"
    "%3Creplyid%3E%3C%2Freplyid%3E%09%3Cmobile%3E13811299999%3C%2Fmobile%3E%09%3Ccontent%3E%E4"
    "%BB%BB%E6%80%A7%E5%90%A7%3C%2Fcontent%3E%09%3Creceivetime%3E%3C%2Freceivetime%3E%3C%2Fitem"
    "%3E%3C%2Fresults%3E",
    # The content field encoded inside the string, then the whole data encoded for the form.
    "string, content encoded once more": quote(
        "2554,1445348,13811299977,%e5%a5%bd,1462913482;2554,1445349,13811299966,100%25+ok,"
        "1462913643",
        safe="",
    ),
    # The document's "编码前" line, as a form encoder sends it.
    "string, before encoding": quote(
        "2554,1445350,13811299955, 好 ,1462913482;2554,1445351,13811299944,嗯,1462913643", safe=""
    ),
}
EXPECTED_REPLIES = {
    ("13811299999", "好"),
    ("13811299988", "嗯"),
    ("447874321404", "H"),
    ("13811299999", "呵呵呵，345"),
    ("13811299999", "么么哒189志伟"),
    ("18610310000", "呵呵哈哈"),
    ("13811299999", "任性吧"),
    ("13811299977", "好"),
    ("13811299966", "100% ok"),
    ("13811299955", "好"),
    ("13811299944", "嗯"),
}
EXPECTED_REPORTS = {
    ("309111755558600", "13811299999", "DELIVRD"),
    ("309111755559999", "13811299988", "DELIVRD"),
    ("12122663121210", "13811299999", "UNDELIV"),
    ("22322613121411", "18610310000", "DELIVRD"),
    ("1412544124087", "13811299999", "NOSEND"),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_doc_push_examples_through_poll_listen_are_exported_decoded(tmp_path):
    port = _free_port()
    (tmp_path / "config.toml").write_text(
        "[profiles.default]\nretention_days = 36500\n"  # the examples are from 2016: keep them
        "[profiles.default.streams]\nreports = 'push'\nreplies = 'push'\n"
        "records = 'off'\nbalance = 'off'\n"
        f"[profiles.default.push]\nlisten = '127.0.0.1:{port}'\ntoken = '{TOKEN}'\n"
    )
    env = {
        **os.environ,
        "FIVEC_CONFIG": str(tmp_path / "config.toml"),
        "FIVEC_DB": str(tmp_path / "c.db"),
        "FIVEC_BASE_URL": "http://127.0.0.1:9",  # nothing is pulled: every stream pushes or is off
        "FIVEC_USERNAME": "doc",
        "FIVEC_PASSWORD": "doc-password",
        "FIVEC_APIKEY": "k" * 32,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "fivec_tui", "poll"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/push/{TOKEN}"
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        for _ in range(100):
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        for stream, examples in (("reports", REPORTS), ("replies", REPLIES)):
            for data in examples.values():
                r = httpx.post(f"{base}/{stream}", content=f"data={data}", headers=form)
                assert r.text == "success"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    runner = CliRunner()
    exported = {}
    for kind in ("replies", "reports"):
        result = runner.invoke(main, ["export", kind, "--format", "json"], env=env)
        assert result.exit_code == 0, result.output
        exported[kind] = json.loads(result.stdout)
    assert {(r["mobile"], r["content"]) for r in exported["replies"]} == EXPECTED_REPLIES
    assert len(exported["replies"]) == len(EXPECTED_REPLIES)
    first = next(r for r in exported["replies"] if r["content"] == "好")
    assert first["ext"] == "2554" and first["reply_id"] == "1445347"
    assert first["received_at"].startswith("2016-05-11T04:51:22")  # 1462913482, Beijing
    assert {(r["msgid"], r["mobile"], r["status"]) for r in exported["reports"]} == EXPECTED_REPORTS
    store = Store(tmp_path / "c.db", readonly=True)  # each body journaled as the bytes sent
    journaled = [read_raw(store, r["id"]) for r in store.query("SELECT id FROM journal")]
    sent = [
        f"data={data}".encode() for examples in (REPORTS, REPLIES) for data in examples.values()
    ]
    assert journaled == sent
    store.close()


def _one(payload: str) -> Reply:
    (reply,) = parse_push("reply", payload).items
    assert isinstance(reply, Reply)
    return reply


@pytest.mark.parametrize(
    ("field", "text", "clean"),
    [
        ("%e5%a5%bd", "好", True),  # encoded inside the string, as the platform must
        ("%E5%A5%BD", "好", True),
        (" 好 ", "好", True),  # the document's example after the form's decoding
        ("好+1", "好+1", True),  # plainly not encoded: `+` is literal
        ("ok+thanks", "ok thanks", True),  # ASCII: read as encoded, as pulled replies are
        ("%e5%a5%bd%ef%bc%8c%e8%b0%a2%e8%b0%a2", "好，谢谢", True),
        ("a%2Cb%3Bc", "a,b;c", True),  # the separators, encoded
        ("100%", "100%", False),  # a stray % stays literal: flagged, not lost
        ("50%off", "50%off", False),
        ("T", "T", True),
    ],
)
def test_string_form_reply_content(field, text, clean):
    reply = _one(f"2554,1445347,13811299999,{field},1462913482")
    assert (reply.content, reply.content_clean) == (text, clean)
    assert reply.raw == f"2554,1445347,13811299999,{field},1462913482"
    assert reply.received_at == datetime.fromtimestamp(1462913482, UTC)


def test_broken_percent_encoding_is_kept_raw_and_flagged_never_dropped():
    payload = "0,1,13800000000,%e5%a5,1462913482;0,2,13800000001,%ff%fe%zz,1462913483"
    a, b = parse_push("reply", payload).items
    assert isinstance(a, Reply) and isinstance(b, Reply)
    assert not a.content_clean and a.raw == "0,1,13800000000,%e5%a5,1462913482"
    assert not b.content_clean and b.raw.endswith("%ff%fe%zz,1462913483")
    assert (a.mobile, b.mobile) == ("13800000000", "13800000001")


def test_unencoded_commas_in_content_are_kept_and_flagged():
    reply = _one("0,1,13800000000,好的, 谢谢,1462913482")
    assert reply.content == "好的, 谢谢" and not reply.content_clean


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_json_and_xml_content_is_plain_text(fmt):
    content = "100%25 a+b %e5%a5%bd"  # not decoded: these forms carry the text itself
    row = {"ext": "0", "replyid": "1", "mobile": "13800000000", "content": content}
    payload = (
        json.dumps({"results": [row]})
        if fmt == "json"
        else "<results><item>"
        + "".join(f"<{k}>{v}</{k}>" for k, v in row.items())
        + "</item></results>"
    )
    reply = _one(payload)
    assert reply.content == content and reply.content_clean
