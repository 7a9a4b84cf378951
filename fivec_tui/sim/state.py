"""The simulated platform's model: accounts, messages, report and reply queues, blacklist.

Pure Python, no HTTP: :mod:`fivec_tui.sim.server` puts the wire on top.  Time is unix
seconds from an injectable clock so tests can move it.
"""

from __future__ import annotations

import bisect
import heapq
import math
import random
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from .scenario import Scenario


class SimError(Exception):
    """An ``error:`` answer: ``str(exc)`` is the text after ``error:``."""


def parts_for(content: str) -> int:
    """Billed parts: 70 characters in one, 67 per part beyond."""
    n = len(content)
    return 1 if n <= 70 else math.ceil(n / 67)


@dataclass
class Account:
    username: str
    password_md5: str
    apikey: str
    balance: Decimal = Decimal("10000")
    total: Decimal = Decimal("10000")
    blocked: bool = False
    marketing: bool = False
    bound_ips: list[str] = field(default_factory=list)
    parent: str = ""
    contact_mobile: str = ""
    company: str = ""


@dataclass
class Message:
    msgid: str
    username: str
    mobiles: tuple[str, ...]
    content: str
    sent_at: float
    ext: str = ""
    start_time: float = 0.0


@dataclass
class SimReply:
    reply_id: str
    ext: str
    mobile: str
    content: str
    at: float
    #: Served as-is instead of percent-encoding ``content`` (hostile scenario).
    wire: str | None = None
    consumed: bool = False


@dataclass
class BlackEntry:
    desc: str
    added_at: float
    removable: bool


@dataclass
class Served:
    """One report handed out by the destructive pull (for tests: exactly once)."""

    msgid: str
    mobile: str
    status: str
    at: float


class Platform:
    """The whole simulated platform.  Not thread-safe: one asyncio loop drives it."""

    RECORD_KEEP_S = 7 * 86400
    RECORD_KEEP_MAX = 2_000_000

    def __init__(
        self, scenario: Scenario, seed: int = 0, clock: Callable[[], float] = time.time
    ) -> None:
        self.scenario = scenario
        self.rng = random.Random(seed)
        self.clock = clock
        self.started = clock()
        self.accounts: dict[str, Account] = {}
        self.messages: dict[str, Message] = {}
        self._record_times: list[float] = []
        self._record_ids: list[str] = []
        self._due: list[tuple[float, int, str, str, str]] = []  # (due, seq, msgid, mobile, status)
        self._seq = 0
        self.report_queue: dict[str, deque[tuple[str, str, str, str, float]]] = {}
        self.reports_by_mobile: dict[str, list[tuple[str, str, str, str, float]]] = {}
        self.replies: list[SimReply] = []
        self.blacklist: dict[str, BlackEntry] = {}
        self.whitelist: dict[str, set[str]] = {}
        self.served: list[Served] = []
        #: Sizes of the chunks the destructive report pull handed out, in order.
        self.served_chunks: list[int] = []
        self._replies_taken = 0
        #: Reply ids a debug=1 read returned, and ids taken without having been peeked first.
        self.peeked: set[str] = set()
        self.taken_unpeeked: set[str] = set()
        self.pushed_reports: deque = deque()
        self.pushed_replies: deque = deque()
        self.counters: dict[str, int] = {}
        #: Who the background traffic sends as (empty: the main account alone); a locked or
        #: drained sender's sends are refused, as the platform would.
        self.senders: list[Account] = []
        #: Submissions per number, every send and batch item (tests: nothing sent twice).
        self.submissions: Counter[str] = Counter()
        self._msgid_base = 10**13 + self.rng.randrange(10**12)
        self._msgid_seq = 0
        self._reply_seq = 1_000_000 + self.rng.randrange(1000)
        self._send_times: deque[float] = deque()
        acct = scenario.account
        self.add_account(
            Account(
                acct["username"],
                acct["password_md5"],
                acct["apikey"],
                Decimal(str(acct.get("balance", 10000))),
                Decimal(str(acct.get("total", acct.get("balance", 10000)))),
                marketing=bool(acct.get("marketing", False)),
            )
        )
        for mobile, entry in scenario.blacklist.items():
            self.blacklist[mobile] = BlackEntry(
                entry.get("desc", ""), self.started - 86400, bool(entry.get("removable", True))
            )

    # -- accounts -------------------------------------------------------------------------
    @property
    def main(self) -> Account:
        return self.accounts[self.scenario.account["username"]]

    def add_account(self, account: Account) -> None:
        self.accounts[account.username] = account
        self.report_queue.setdefault(account.username, deque())

    def authenticate(self, username: str, password_md5: str, apikey: str, ip: str) -> Account:
        """Every documented credential error, in the platform's order."""
        if not username:
            raise SimError("Missing username")
        if not password_md5:
            raise SimError("Missing password")
        if not apikey:
            raise SimError("Missing apikey")
        if len(password_md5) != 32:
            raise SimError("Invalid md5 password length")
        account = self.accounts.get(username)
        if (
            account is None
            or account.apikey != apikey
            or account.password_md5 != password_md5.lower()
        ):
            raise SimError("APIKEY or password error")
        if account.blocked:
            raise SimError("Account is blocked")
        if account.bound_ips and ip not in account.bound_ips:
            raise SimError("Unauthorized IP address")
        return account

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + n

    # -- sending --------------------------------------------------------------------------
    def next_msgid(self) -> str:
        self._msgid_seq += 1
        return str(self._msgid_base + self._msgid_seq * 7919)  # 14 digits, like the platform

    def check_throughput(self) -> None:
        limit = self.scenario.throughput
        if not limit:
            return
        now = self.clock()
        while self._send_times and self._send_times[0] < now - 1.0:
            self._send_times.popleft()
        if len(self._send_times) >= limit:
            raise SimError("Throughput Rate Exceeded")
        self._send_times.append(now)

    def submit(
        self,
        account: Account,
        mobiles: list[str],
        content: str,
        start_time: float = 0.0,
        ext: str = "",
        *,
        background: bool = False,
    ) -> Message:
        """Accept one send, charge it, and schedule its reports.  ``background``: no send
        frequency check (the simulator's own traffic, or a batch item whose request had it)."""
        if not mobiles:
            raise SimError("Missing recipient")
        if not content:
            raise SimError("Missing message content")
        for word in self.scenario.keywords:
            if word and word in content:
                raise SimError(f"Black keywords is:{word}")
        if not background:
            self.check_throughput()
        cost = Decimal(parts_for(content) * len(mobiles))
        if account.balance < cost:
            raise SimError("Account balance is insufficient")
        account.balance -= cost
        now = self.clock()
        msg = Message(
            self.next_msgid(), account.username, tuple(mobiles), content, now, ext, start_time
        )
        self.messages[msg.msgid] = msg
        self._record_times.append(now)
        self._record_ids.append(msg.msgid)
        self.count("sent_messages")
        self.count("sent_recipients", len(mobiles))
        self.submissions.update(mobiles)
        go = max(now, start_time)
        for mobile in mobiles:
            status, delay = self.outcome(mobile, go)
            if status is not None:
                self._seq += 1
                heapq.heappush(self._due, (go + delay, self._seq, msg.msgid, mobile, status))
        self._trim_records(now)
        return msg

    def outcome(self, mobile: str, at: float) -> tuple[str | None, float]:
        """The report status (None: never reported) and delay for one recipient."""
        sc = self.scenario
        if mobile in self.blacklist:
            return "DB:0141", self.rng.uniform(0.2, 1.0)
        if self.rng.random() < sc.never_report:
            return None, 0.0
        mix = sc.mix_at((at - self.started) * sc.speed, mobile)
        status = self.rng.choices(list(mix), weights=list(mix.values()))[0]
        delay = self.rng.lognormvariate(math.log(max(sc.delay_median, 0.001)), sc.delay_sigma)
        return status, delay / sc.speed

    def _trim_records(self, now: float) -> None:
        cut = now - self.RECORD_KEEP_S
        drop = bisect.bisect_left(self._record_times, cut)
        drop = max(drop, len(self._record_ids) - self.RECORD_KEEP_MAX)
        if drop > 1000:
            for msgid in self._record_ids[:drop]:
                self.messages.pop(msgid, None)
            del self._record_times[:drop], self._record_ids[:drop]

    def records_between(self, username: str, start: float, end: float) -> list[Message]:
        lo = bisect.bisect_left(self._record_times, start)
        hi = bisect.bisect_left(self._record_times, end + 1)  # 'to' covers its whole second
        out = []
        for msgid in self._record_ids[lo:hi]:
            msg = self.messages.get(msgid)
            if msg is not None and msg.username == username:
                out.append(msg)
        return out

    def billed(self, username: str, start: float, end: float) -> int:
        """What ``action=billing`` counts: parts times recipients sent in the window."""
        return sum(
            parts_for(m.content) * len(m.mobiles)
            for m in self.records_between(username, start, end)
        )

    # -- reports --------------------------------------------------------------------------
    def release_due(self) -> int:
        """Move reports whose time has come into the pull queue (or the push queue)."""
        now = self.clock()
        n = 0
        while self._due and self._due[0][0] <= now:
            due, _, msgid, mobile, status = heapq.heappop(self._due)
            msg = self.messages.get(msgid)
            if msg is None:
                continue
            report = (msg.ext, msgid, mobile, status, due)
            self.reports_by_mobile.setdefault(mobile, []).append(report)
            if self.scenario.push_reports:
                self.pushed_reports.append(report)
            else:
                self.report_queue[msg.username].append(report)
            n += 1
        return n

    def pull_reports(self, username: str, limit: int) -> list[tuple[str, str, str, str, float]]:
        """DESTRUCTIVE: hand out up to ``limit`` reports; they are never handed out again."""
        self.release_due()
        queue = self.report_queue[username]
        out = [queue.popleft() for _ in range(min(limit, len(queue)))]
        self.served.extend(Served(r[1], r[2], r[3], r[4]) for r in out)
        if out:
            self.served_chunks.append(len(out))
        self.count("reports_served", len(out))
        return out

    def reports_for(self, mobiles: list[str], start: float, end: float) -> list:
        self.release_due()
        return [
            r for m in mobiles for r in self.reports_by_mobile.get(m, []) if start <= r[4] < end + 1
        ]

    @property
    def pending_reports(self) -> int:
        return len(self._due)

    # -- replies --------------------------------------------------------------------------
    def add_reply(
        self,
        mobile: str,
        content: str,
        *,
        ext: str = "0",
        wire: str | None = None,
        reply_id: str | None = None,
        at: float | None = None,
    ) -> SimReply:
        self._reply_seq += 1
        reply = SimReply(
            str(self._reply_seq) if reply_id is None else reply_id,
            ext,
            mobile,
            content,
            self.clock() if at is None else at,
            wire,
        )
        self.replies.append(reply)
        if self.scenario.push_replies:
            self.pushed_replies.append(reply)
        if content.strip().upper() in ("T", "TD", "N", "R") or "退订" in content:
            self.blacklist.setdefault(mobile, BlackEntry("用户回复退订", reply.at, True))
        self.count("replies_created")
        return reply

    def pull_replies(self, limit: int, *, debug: bool) -> list[SimReply]:
        """DESTRUCTIVE unless ``debug``: the oldest ``limit`` replies not yet taken."""
        out = self.replies[self._replies_taken : self._replies_taken + limit]
        if debug:
            self.peeked.update(r.reply_id for r in out)
        else:
            self._replies_taken += len(out)
            for r in out:
                r.consumed = True
                if r.reply_id not in self.peeked:
                    self.taken_unpeeked.add(r.reply_id)
            self.count("replies_served", len(out))
        return out

    def replies_between(self, start: float, end: float, mobiles: list[str]) -> list[SimReply]:
        wanted = set(mobiles)
        return [
            r
            for r in self.replies
            if start <= r.at < end + 1 and (not wanted or r.mobile in wanted)
        ]

    # -- blacklist ------------------------------------------------------------------------
    def blacklist_check(self, account: Account, mobile: str) -> BlackEntry | None:
        if mobile in self.whitelist.get(account.username, set()):
            return None
        return self.blacklist.get(mobile)

    def blacklist_remove(self, account: Account, mobile: str) -> None:
        entry = self.blacklist_check(account, mobile)
        if entry is None or not entry.removable or account.marketing:
            raise SimError("Non black number or no allow operation")
        self.whitelist.setdefault(account.username, set()).add(mobile)

    def recent_mobiles(self, n: int) -> list[str]:
        out: list[str] = []
        for msgid in reversed(self._record_ids[-n:]):
            msg = self.messages.get(msgid)
            if msg:
                out.extend(msg.mobiles)
        return out
