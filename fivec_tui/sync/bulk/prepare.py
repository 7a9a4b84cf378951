"""From a file to a campaign in the journal: read, validate, plan, price; then create.

>>> prepared = prepare("customers.csv", content="{name}您好，…【公司】", encode="UTF-8")
>>> prepared.price.valid, prepared.price.parts_total
>>> cid = create(store, prepared)   # after the person said yes
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ...api.traffic import TRAFFIC, traffic_for
from ...store import Store
from ...store import campaigns as journal
from . import outputs
from .plan import Plan, Price, plan, price
from .source import Table, read_table
from .validate import Recent, Reject, Validation, placeholders, validate


@dataclass
class Prepared:
    table: Table
    validation: Validation
    plan: Plan
    price: Price
    start_time: datetime | None

    @property
    def rejects(self) -> list[Reject]:
        return sorted(self.validation.rejects + self.plan.rejects, key=lambda r: r.row)

    @property
    def content_sha1(self) -> str:
        """What the campaign guard knows it by: its numbers and text, not the file's bytes."""
        return self.validation.content_sha1

    @property
    def rejects_path(self) -> Path:
        return outputs.rejects_path(self.table.path)

    @property
    def results_path(self) -> Path:
        return outputs.results_path(self.table.path)


def prepare(
    path: str | Path,
    *,
    encode: str,
    content: str | None = None,
    template: str | None = None,
    traffic: str | None = None,
    rate: float | None = None,
    start_time: datetime | None = None,
    blacklisted: Callable[[list[str]], set[str]] = lambda mobiles: set(),
    mobile_column: str | None = None,
    recent: Recent | None = None,
    unsigned: bool = False,
) -> Prepared:
    """Raises :class:`~.source.SourceError` or ValueError for a file no row of which can go.
    ``recent``: the duplicate guard's question (:data:`.validate.Recent`; None: off);
    ``unsigned``: texts without a 【signature】 pass (see :func:`.validate.validate`)."""
    table = read_table(path)
    validation = validate(
        table,
        encode=encode,
        content=content,
        template=template,
        blacklisted=blacklisted,
        mobile_column=mobile_column,
        recent=recent,
        unsigned=unsigned,
    )
    personalised = bool(content and placeholders(content))
    kind = TRAFFIC[traffic] if traffic else traffic_for(content or "", personalised)
    plan_ = plan(validation, kind, float(rate or kind.rate))
    return Prepared(table, validation, plan_, price(validation, plan_), start_time)


def write_rejects(prepared: Prepared) -> Path | None:
    """``<input>.rejected.csv`` when any row was rejected (raises OSError)."""
    rejects = prepared.rejects
    if not rejects:
        return None
    outputs.write_rejects(prepared.rejects_path, prepared.table.header, rejects)
    return prepared.rejects_path


def create(store: Store, prepared: Prepared) -> int:
    """The campaign, its rows and its planned requests in the journal, in one transaction."""
    refused = {r.row for r in prepared.plan.rejects}
    rows = [
        journal.NewRow(r.row, r.mobile, r.content, r.parts)
        for r in prepared.validation.valid
        if r.row not in refused
    ]
    v = prepared.validation
    meta = {
        "source": str(prepared.table.path),
        "source_sha1": prepared.table.sha1,
        "content_sha1": prepared.content_sha1,
        "mode": v.mode,
        "text": v.text,
        "encode": v.encode,
        "traffic": prepared.plan.traffic.name,
        "rate": prepared.plan.rate,
        "start_time": prepared.start_time.timestamp() if prepared.start_time else None,
        "rejected": len(prepared.rejects),
        "results": str(prepared.results_path),
        "rejects": str(prepared.rejects_path),
    }
    return journal.create_campaign(store, meta, rows, prepared.plan.requests)
