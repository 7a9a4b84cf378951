"""Life on the simulated account: other systems sending, people replying, pushes going out."""

from __future__ import annotations

import asyncio

import httpx

from . import wire
from .server import SimServer
from .state import Platform, SimError

TICK_S = 0.2
PUSH_BATCH = 200
PUSH_RETRIES = 5


class Traffic:
    """Background tasks driven by the scenario; started and stopped with the simulator."""

    def __init__(self, server: SimServer) -> None:
        self.server = server
        self.platform: Platform = server.platform
        self.rng = self.platform.rng
        self._carry = 0.0
        self._reply_carry = 0.0
        self.pool = self._mobiles(self.platform.scenario.mobile_pool)
        self.push_stats = {"delivered": 0, "failed_attempts": 0}
        self.in_flight = {"report": 0, "reply": 0}

    def _mobiles(self, n: int) -> list[str]:
        prefixes = (
            "134",
            "135",
            "136",
            "138",
            "139",
            "150",
            "151",
            "130",
            "131",
            "132",
            "155",
            "186",
            "133",
            "153",
            "180",
            "189",
            "177",
            "199",
            "147",
            "187",
        )
        return [f"{self.rng.choice(prefixes)}{self.rng.randrange(10**8):08d}" for _ in range(n)]

    def step(self, dt: float) -> None:
        """Advance background traffic and replies by ``dt`` real seconds."""
        sc, p = self.platform.scenario, self.platform
        self._carry += sc.traffic_rate * dt
        while self._carry >= 1:
            self._carry -= 1
            n = self.rng.choice(sc.traffic_recipients)
            mobiles = [self.rng.choice(self.pool) for _ in range(n)]
            text = self.rng.choice(sc.traffic_templates).format(
                code=self.rng.randrange(100000, 999999)
            )
            sender = self.rng.choice(p.senders) if p.senders else p.main
            try:
                if sender.blocked:  # a locked sub-account cannot log in to send
                    raise SimError("Account is blocked")
                p.submit(sender, mobiles, text, background=True)
            except SimError:  # balance ran out: the account simply stops sending
                p.count("background_refused")
        self._reply_carry += sc.reply_rate * dt
        while self._reply_carry >= 1:
            self._reply_carry -= 1
            recent = p.recent_mobiles(200) or self.pool
            mobile = self.rng.choice(recent)
            if sc.reply_wire_pool and self.rng.random() < 0.3:
                wire_text = self.rng.choice(sc.reply_wire_pool)
                p.add_reply(mobile, wire_text, wire=wire_text)
            else:
                p.add_reply(mobile, self.rng.choice(sc.reply_pool))
        p.release_due()

    async def run(self) -> None:
        """Traffic and pushes run side by side: a slow push target never stalls the traffic."""
        await asyncio.gather(self._tick(), self._push_loop())

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(TICK_S)
            now = loop.time()
            self.step(now - last)
            last = now

    async def _push_loop(self) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            while True:
                await asyncio.sleep(TICK_S)
                self.platform.release_due()
                for kind in ("report", "reply"):
                    await self._push(http, kind)

    async def _push(self, http: httpx.AsyncClient, kind: str) -> None:
        """One batch of ``kind`` to its push URL, retried; put back in order if it never lands."""
        p = self.platform
        queue = p.pushed_reports if kind == "report" else p.pushed_replies
        url = self.server.push_urls.get(kind)
        if not url or not queue:
            return
        batch = [queue.popleft() for _ in range(min(PUSH_BATCH, len(queue)))]
        self.in_flight[kind] = len(batch)
        payload = wire.push_payload(kind, p.scenario.push_format, batch)
        try:
            for attempt in range(PUSH_RETRIES):
                try:
                    r = await http.post(url, data={"data": payload})
                    ok = r.status_code == 200 and r.text.strip() == "success"
                except httpx.HTTPError:
                    ok = False
                if ok:
                    self.push_stats["delivered"] += len(batch)
                    return
                self.push_stats["failed_attempts"] += 1
                await asyncio.sleep(min(0.2 * 2**attempt, 5))
            queue.extendleft(reversed(batch))  # kept for the next round, in order
        except asyncio.CancelledError:
            queue.extendleft(reversed(batch))  # stopped mid-push: the platform keeps it
            raise
        finally:
            self.in_flight[kind] = 0
