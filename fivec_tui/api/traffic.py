"""Send speed and package size per traffic type, as the API document's §3.7 table gives them.

=================  ======================  ========  ==============
traffic type       §3.7 业务类型            rate      package
=================  ======================  ========  ==============
``notice``         通知、验证码（行业）      600/s     ≤10000 a send
``personal``       个性短信（行业/营销）     200/s     1 a send
``marketing``      群发短信（营销）          150/s     ≤5000000 a send
=================  ======================  ========  ==============

Rates count messages (条: one text to one number).  ``personal``'s "1 a send" is for single
personalised sends through ``send``; the batch interface (§3.6, ``sms_batch.php``) takes many
items in one request ("提交号码数量：不限").  §3.1 says the request rate itself is unlimited
("请求频率：不限"); the platform answers ``error:Throughput Rate Exceeded`` when a sender goes
faster than its type allows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TrafficType:
    name: str
    #: Messages a second (§3.7 下发速率).
    rate: int
    #: Numbers one ``send`` request may carry (§3.7 提包大小).
    package: int


TRAFFIC = {
    "notice": TrafficType("notice", 600, 10_000),
    "personal": TrafficType("personal", 200, 1),
    "marketing": TrafficType("marketing", 150, 5_000_000),
}

#: The opt-out a marketing text carries (platform notes): its presence marks marketing traffic.
OPT_OUT_MARKS = ("退订", "回T", "回TD")


def traffic_for(content: str, personalised: bool) -> TrafficType:
    """The §3.7 type a text most likely travels as: marketing when it carries an opt-out,
    personalised when the text differs per number, else a notice."""
    if any(mark in content for mark in OPT_OUT_MARKS):
        return TRAFFIC["marketing"]
    return TRAFFIC["personal" if personalised else "notice"]
