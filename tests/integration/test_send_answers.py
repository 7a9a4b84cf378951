"""What a send does with each answer the platform can give: a msgid, an error, or something
that is neither (then the outcome is unknown: the request reached the platform)."""

from __future__ import annotations

import httpx
import pytest

from fivec_tui.api import Credentials, FivecClient, errors
from fivec_tui.store import Store
from fivec_tui.store.audit import Actor
from fivec_tui.store.auditor import Auditor
from fivec_tui.sync import outbox


def _audit(store: Store) -> Auditor:
    return Auditor(store, Actor("cli"), "t", "u")


def _client(answer: str) -> FivecClient:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text=answer))
    return FivecClient(Credentials("u", "0" * 32, "k"), "http://platform", transport=transport)


@pytest.mark.parametrize(
    ("answer", "msgid"),
    [
        ("success:32559889527596\r\n", "32559889527596"),
        ('{"status":"success","msg":" 73508727178536 "}', "73508727178536"),
    ],
)
async def test_msgid_answers_are_accepted(tmp_path, answer, msgid):
    store = Store(tmp_path / "c.db")
    async with _client(answer) as client:
        result = await outbox.send(
            store, client, ["13800138000"], "hi【x】", audit=_audit(store), encode="UTF-8"
        )
    assert (result.outcome, result.msgid) == ("accepted", msgid)
    assert store.scalar("SELECT state || ':' || msgid FROM outbox") == f"accepted:{msgid}"


@pytest.mark.parametrize("answer", ["success:ok", "success:", "success:<html>502</html>"])
async def test_success_without_a_msgid_is_an_unknown_outcome_with_the_body_kept(tmp_path, answer):
    store = Store(tmp_path / "c.db")
    async with _client(answer) as client:
        result = await outbox.send(
            store, client, ["13800138000"], "hi【x】", audit=_audit(store), encode="UTF-8"
        )
    assert (result.outcome, result.msgid, result.raw) == ("unknown", "", answer)
    row = store.query("SELECT state, msgid, detail FROM outbox")[0]
    assert (row["state"], row["msgid"]) == ("unknown", "")
    assert "unreadable answer" in row["detail"] and repr(answer) in row["detail"]


async def test_an_error_answer_still_raises_its_error(tmp_path):
    store = Store(tmp_path / "c.db")
    async with _client("error:Missing username") as client:
        with pytest.raises(errors.MissingUsername):
            await outbox.send(
                store, client, ["13800138000"], "hi【x】", audit=_audit(store), encode="UTF-8"
            )
    assert store.scalar("SELECT state FROM outbox") == "failed"
