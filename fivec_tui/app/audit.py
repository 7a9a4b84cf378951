"""Audit: every action taken on the platform from this cache, newest first, who took it and how
it ended; the highlighted one in full below, and a line saying whether the hash chain holds.

The chain is walked again whenever the trail's head moved (a new entry) and on entering the
screen, in the load's thread: a changed, deleted or moved entry is said at once, in red.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Static

from ..i18n import N_, _
from ..store import audit as trail
from ..store.audit_verify import Verdict, verify
from ..when import show_date
from .base import StoreScreen
from .format import safe_text
from .keybar import KeyBar
from .widgets import Banner, Rows, table_of

#: Actions shown (the newest); the rest are in ``fivec-tui audit`` and its export.
SHOWN = 500
#: The actions (:data:`fivec_tui.store.audit.ACTIONS`) as a person reads them; the ids stay
#: in the trail, its JSON and ``audit --action``.
ACTION_NAMES = {
    "send": N_("send"),
    "template": N_("template send"),
    "bulk": N_("bulk send"),
    "blacklist_remove": N_("blacklist removal"),
    "bind_ip": N_("IP binding"),
    "subaccount_create": N_("new sub-account"),
    "subaccount_lock": N_("sub-account locked"),
    "subaccount_unlock": N_("sub-account unlocked"),
    "subaccount_charge": N_("sub-account charged"),
    "prune": N_("old entries pruned"),
}
OUTCOME_STYLE = {
    "pending": "bold yellow",
    "accepted": "green",
    "ok": "green",
    "failed": "red",
    "unknown": "bold yellow",
}


@dataclass(frozen=True)
class Trail:
    """One load: the newest actions, and what walking the chain found."""

    rows: list[dict]
    verdict: Verdict


class AuditScreen(StoreScreen[Trail]):
    AUTO_FOCUS = "#audit"
    DEFAULT_CSS = """
    #audit { height: 1fr; }
    #audit-detail { height: auto; max-height: 12; border-top: solid $primary; padding: 0 1; }
    """

    #: The head the last verdict was for, and that verdict (a walk costs a hash per entry).
    _verified: tuple[str | None, Verdict] | None = None
    _entered = True

    def compose(self) -> ComposeResult:
        yield Header()
        yield Banner(id="banner")
        yield Static(id="audit-status")
        table = table_of(
            _("time"),
            _("user"),
            _("action"),
            _("outcome"),
            _("what"),
            id="audit",
            zebra_stripes=True,
        )
        self.rows = Rows(table)
        yield table
        yield Static(id="audit-detail")
        yield KeyBar()

    def on_screen_resume(self) -> None:
        self._entered = True
        super().on_screen_resume()

    def load(self) -> Trail:
        store = self.fivec.store
        head = trail.head(store)
        if self._entered or self._verified is None or self._verified[0] != head:
            self._verified = (head, verify(store))
            self._entered = False
        return Trail(trail.actions(store, limit=SHOWN), self._verified[1])

    def show(self, data: Trail) -> None:
        self.data = {str(r["id"]): r for r in data.rows}
        v = data.verdict
        if v.ok:
            status = Text(
                _("hash chain verified: {n} entries").format(n=v.entries)
                + "  "
                + _("actions shown: {n}, newest first").format(n=len(data.rows)),
                "green",
            )
        elif v.broken is None:  # a key lost or from elsewhere: not tampering, not verified
            status = Text(
                _(
                    "hash chain holds, but entries {a} to {b} were sealed with an audit key "
                    "not at hand and cannot be checked: see `fivec-tui audit --verify`"
                ).format(a=v.unchecked_from, b=v.unchecked_to),
                "bold yellow",
            )
        else:
            status = safe_text(
                _("HASH CHAIN BROKEN at entry {id}: {problem}").format(
                    id=v.broken, problem=v.problem
                ),
                "bold red",
            )
        self.query_one("#audit-status", Static).update(status)
        self.rows.show(
            [
                (
                    str(r["id"]),
                    (
                        show_date(r["at"]),
                        safe_text(trail.who(r), limit=16),
                        _(ACTION_NAMES.get(r["action"], r["action"])),
                        Text(_(r["outcome"]), OUTCOME_STYLE.get(r["outcome"], "")),
                        safe_text(trail.subject(r), limit=80),
                    ),
                )
                for r in data.rows
            ]
        )
        self._detail()

    data: dict[str, dict] = {}

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def _detail(self) -> None:
        """The highlighted action in full: every field of its two entries, shown literally."""
        table = self.query_one("#audit", DataTable)
        row = None
        if table.row_count and table.cursor_row >= 0:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            row = self.data.get(key or "")
        box = self.query_one("#audit-detail", Static)
        if row is None:
            box.update(Text(_("no action recorded yet") if not self.data else ""))
            return
        done = f" → {show_date(row['done_at'])}" if row["done_at"] else ""
        entries = f"{row['id']} {row['hash'][:12]}"
        if row["done_id"]:
            entries += f", {row['done_id']} {row['done_hash'][:12]}"
        args = json.loads(row["args"] or "{}")
        lines = [
            (_("when"), show_date(row["at"]) + done),
            (
                _("who"),
                f"{trail.who(row)} · {row['path']} · ssh {row['ssh'] or '-'} · {row['host']}",
            ),
            (_("account"), f"{row['profile']} ({row['account']})"),
            (_("outcome"), f"{_(row['outcome'])} {row['msgid']}  {row['detail']}".strip()),
            (
                _("numbers"),
                f"{row['numbers'] or 0}  {row['numbers_sha256'][:16]}  {row['mobiles']}",
            ),
            (_("text"), row["text"] or f"{row['template']} {row['variables']}".strip()),
            (_("arguments"), ", ".join(f"{k}={v}" for k, v in args.items())),
            (_("entries"), entries),
        ]
        text = Text()
        for i, (name, value) in enumerate(lines):
            text.append(("\n" if i else "") + f"{name}: ", "bold")
            text.append_text(safe_text(value))
        box.update(text)
