"""Grouping valid rows into the platform's fastest requests, and pricing them.

One text shared by many rows goes as ``send`` requests, many numbers each (§3.1, up to the
traffic type's package, §3.7); texts that differ per row go as ``batch`` requests through
``sms_batch.php`` (§3.6), many items each; template rows (§3.5) as ``template`` sends, one per
set of variables.  A request carries about one second of the rate's messages (at least 100,
at most the package): at any rate the blast radius of a request whose answer is lost stays one
second of sending, and a pause (Ctrl+C) comes within about a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...api.traffic import TRAFFIC, TrafficType
from .validate import Reject, Row, Validation, reject

#: Rows sharing one text that make it worth its own ``send`` requests.
GROUP_MIN = 100
MIN_REQUEST = 100
#: Items in one ``sms_batch.php`` request: the document sets no limit; this keeps one under
#: about 300 KB of XML.
MAX_BATCH = 2000


@dataclass
class Plan:
    requests: list[tuple[str, list[int]]]  # (kind, row numbers)
    rejects: list[Reject]
    traffic: TrafficType
    rate: float

    def kinds(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for kind, _rows in self.requests:
            out[kind] = out.get(kind, 0) + 1
        return out


def request_size(traffic: TrafficType, rate: float) -> int:
    package = traffic.package if traffic.package > 1 else TRAFFIC["notice"].package
    return max(1, min(package, max(MIN_REQUEST, int(rate))))


def _chunks(rows: Sequence[Row], size: int) -> list[list[int]]:
    return [[r.row for r in rows[i : i + size]] for i in range(0, len(rows), size)]


def plan(validation: Validation, traffic: TrafficType, rate: float) -> Plan:
    """Requests for the valid rows; international numbers bound for a batch are rejected."""
    groups: dict[str, list[Row]] = {}
    for row in validation.valid:
        groups.setdefault(row.content, []).append(row)
    size = request_size(traffic, rate)
    requests: list[tuple[str, list[int]]] = []
    singles: list[Row] = []
    for rows in groups.values():
        if validation.mode == "template":
            requests += [("template", c) for c in _chunks(rows, size)]
        elif len(rows) >= GROUP_MIN or len(groups) == 1:
            requests += [("send", c) for c in _chunks(rows, size)]
        else:
            singles += rows
    abroad = [r for r in singles if r.international]
    singles = [r for r in singles if not r.international]
    requests += [("batch", c) for c in _chunks(singles, min(MAX_BATCH, size))]
    return Plan(requests, reject(abroad, validation.table, "international_batch"), traffic, rate)


@dataclass
class Price:
    rows: int
    valid: int
    rejected: dict[str, int]
    parts_min: int
    parts_max: int
    parts_total: int
    requests: dict[str, int]
    traffic: str
    rate: float
    seconds: float

    def as_json(self) -> dict:
        return dict(self.__dict__)


def price(validation: Validation, plan_: Plan) -> Price:
    """Counts, parts (a send costs parts x recipients) and the time at the paced rate."""
    refused = {r.row for r in plan_.rejects}
    valid = [r for r in validation.valid if r.row not in refused]
    per = [r.parts for r in valid] or [0]
    rejected = validation.reasons()
    for r in plan_.rejects:
        rejected[r.reason] = rejected.get(r.reason, 0) + 1
    return Price(
        rows=len(validation.table.rows),
        valid=len(valid),
        rejected=rejected,
        parts_min=min(per),
        parts_max=max(per),
        parts_total=sum(per),
        requests=plan_.kinds(),
        traffic=plan_.traffic.name,
        rate=plan_.rate,
        seconds=round(len(valid) / plan_.rate, 1) if plan_.rate else 0.0,
    )
