"""The form fields of a send request, in each of the forms §3 takes: plain fields, the
``data=`` JSON and XML documents (a template is always JSON), and the batch XML of
``sms_batch.php``.  Pure: :class:`~.client.FivecClient` posts what these build."""

from __future__ import annotations

import json
from collections.abc import Sequence
from xml.sax.saxutils import escape

from .account import Credentials
from .errors import ContentEncodingError
from .models import BatchItem, Submission
from .sms import check_content
from .wire import percent_encode, to_unix


def _fields(sub: Submission) -> dict[str, object]:
    return {
        "mobile": ",".join(sub.mobiles),
        "startTime": to_unix(sub.start_time) if sub.start_time else None,
        "ext": sub.ext or None,
        "encode": sub.encode,
    }


def send_params(credentials: Credentials, sub: Submission) -> dict[str, object]:
    """``sub``'s fields in its form (``params``, ``json``, ``xml``); the credentials are in the
    ``data=`` documents, the client adds them to plain fields."""
    fields, enc = _fields(sub), sub.encode
    # Encoded here and again by the form, as §3.1 asks: the platform URL-decodes content once
    # more after the form, so a single encoding would lose "+" and "%xx".
    content = percent_encode(sub.content, enc)
    if sub.form == "params":
        return {**fields, "content": content}
    doc = {
        "type": "send",
        **credentials.params(),
        **{k: str(v) for k, v in fields.items() if v is not None},
        "content": content,
    }
    if sub.form == "json":
        if sub.templet_code:
            doc["templet_code"] = sub.templet_code
        return {"format": "json", "data": json.dumps(doc, ensure_ascii=False)}
    if sub.form == "xml":
        inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in doc.items())
        return {
            "format": "xml",
            "data": f"<?xml version='1.0' encoding='UTF-8' ?><sms>{inner}</sms>",
        }
    raise ValueError(f"unknown send form {sub.form!r}")


def batch_params(
    credentials: Credentials, batch: Sequence[BatchItem], enc: str
) -> tuple[dict[str, object], Submission]:
    """The ``sms_batch.php`` form of many messages, and the submission it stands for."""
    if not batch:
        raise ContentEncodingError("an empty batch")
    xml_items = []
    for item in batch:
        check_content(item.content, enc)
        start = to_unix(item.start_time) if item.start_time else 0
        xml_items.append(
            f"<item><mobile>{escape(','.join(item.mobiles))}</mobile>"
            f"<content>{percent_encode(item.content, enc)}</content>"
            f"<startTime>{start}</startTime></item>"
        )
    account = "".join(
        f"<{k}>{escape(v)}</{k}>" for k, v in {**credentials.params(), "encode": enc}.items()
    )
    data = (
        f'<?xml version="1.0" encoding="utf-8"?><sms><account>{account}</account>'
        f"<sms_list>{''.join(xml_items)}</sms_list></sms>"
    )
    mobiles = tuple(m for item in batch for m in item.mobiles)
    sub = Submission(mobiles, f"({len(batch)} messages)", enc, "batch")
    return {"format": "xml", "data": data}, sub
