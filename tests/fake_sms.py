"""A small loopback fake of an HTTP SMS gateway (aiohttp, 127.0.0.1, port 0).

It takes sends as JSON, a form or a query string (GET), checks the auth
header, can fail on purpose (5xx, 429, slow answers, 4xx) and records what
it was asked to send.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from dataclasses import dataclass, field

from aiohttp import web

AUTH = "Bearer sms-test-key"


@dataclass
class SentSms:
    to: str
    text: str


@dataclass
class FakeSmsGateway:
    to_param: str = "to"
    text_param: str = "text"
    sent: list[SentSms] = field(default_factory=list)
    # Canned answers, used one per send before any real one: HTTP status, or
    # "slow" (answers after ``slow_delay`` seconds).
    failures: deque[int | str] = field(default_factory=deque)
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    slow_delay: float = 1.0
    methods: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._new = asyncio.Event()

    async def start(self) -> FakeSmsGateway:
        app = web.Application()
        app.router.add_route("*", "/send", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/send"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def to(self, phone: str) -> list[str]:
        return [s.text for s in self.sent if s.to == phone]

    async def wait_sent(self, count: int, timeout: float = 10.0) -> list[SentSms]:
        async def enough() -> None:
            while len(self.sent) < count:
                self._new.clear()
                await self._new.wait()

        await asyncio.wait_for(enough(), timeout)
        return self.sent

    async def _handle(self, request: web.Request) -> web.Response:
        self.methods.append(request.method)
        if request.headers.get("Authorization") != AUTH:
            self.refused["401"] += 1
            return web.json_response({"error": "unauthorized"}, status=401)
        if self.failures:
            failure = self.failures.popleft()
            if failure == "slow":
                # Hangs, then gives up without sending (the bot stopped waiting).
                self.refused["slow"] += 1
                await asyncio.sleep(self.slow_delay)
                return web.json_response({"error": "timeout"}, status=504)
            else:
                self.refused[str(failure)] += 1
                headers = {"Retry-After": "1"} if failure == 429 else {}
                return web.json_response({"error": "refused"}, status=int(failure), headers=headers)
        if request.method == "GET":
            fields = dict(request.query)
        elif request.content_type == "application/json":
            fields = await request.json()
        else:
            fields = dict(await request.post())  # type: ignore[arg-type]
        to, text = fields.get(self.to_param), fields.get(self.text_param)
        if not to or not text:
            self.refused["400"] += 1
            return web.json_response({"error": "missing to or text"}, status=400)
        self.sent.append(SentSms(str(to), str(text)))
        self._new.set()
        return web.json_response({"status": "queued"})
