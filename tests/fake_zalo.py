"""A small loopback fake of the Zalo Bot API (aiohttp, 127.0.0.1, port 0).

The bot's Zalo channel talks to it through its configurable base URL. Tests
push updates (getUpdates hands them out one per call, answering 408 when
nothing is new), make calls fail on purpose, and read what the bot sent.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Sent:
    method: str
    chat_id: str
    text: str
    params: dict


@dataclass
class FakeZalo:
    token: str = "1234567890:zalo-test-token"
    # How long getUpdates waits for news at most (keeps shutdown quick).
    max_poll_wait: float = 0.3
    updates: list[dict] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    calls: list[tuple[str, dict]] = field(default_factory=list)
    webhook: dict | None = None
    # People who blocked the bot: sending to them answers 403.
    blocked: set[str] = field(default_factory=set)
    # Canned failures per method, used one per call: (HTTP status, JSON body or None).
    failures: dict[str, deque[tuple[int, dict | None]]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    # Answers of getUpdates: 408 "nothing new" and the failures given out.
    empty_polls: int = 0
    failed_polls: int = 0

    def __post_init__(self) -> None:
        self._msg_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._new_sent = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.by_chat: dict[str, list[Sent]] = defaultdict(list)

    # ------------------------------------------------------------ server

    async def start(self) -> FakeZalo:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params: dict[str, Any] = dict(await request.json()) if request.can_read_body else {}
        self.calls.append((method, params))
        queue = self.failures.get(method)
        if queue:
            status, body = queue.popleft()
            if method == "getUpdates":
                self.failed_polls += 1
            if body is None:
                return web.Response(status=status, text="<html>error</html>")
            return web.json_response(body, status=status)
        if method == "getUpdates":
            return await self._get_updates(params)
        chat_id = str(params.get("chat_id", ""))
        if method in ("sendMessage", "sendPhoto", "sendChatAction") and chat_id in self.blocked:
            return web.json_response(
                {"ok": False, "error_code": 403, "description": "User has blocked the bot"},
                status=403,
            )
        if method == "setWebhook":
            self.webhook = params
            return web.json_response({"ok": True, "result": {"url": params.get("url")}})
        if method == "deleteWebhook":
            self.webhook = None
            return web.json_response({"ok": True, "result": {"url": ""}})
        if method in ("sendMessage", "sendPhoto"):
            return web.json_response({"ok": True, "result": self._record(method, params)})
        if method == "sendChatAction":
            return web.json_response({"ok": True, "result": True})
        if method == "getMe":
            return web.json_response(
                {
                    "ok": True,
                    "result": {"id": "bot1", "account_name": "bot.test", "can_join_groups": False},
                }
            )
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not found"}, status=404
        )

    async def _get_updates(self, params: dict) -> web.Response:
        wait = min(float(params.get("timeout") or 0), self.max_poll_wait)
        deadline = time.monotonic() + wait
        while not self.updates and time.monotonic() < deadline:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        if not self.updates:
            # Nothing new: answered both ways Zalo does, in turn.
            self.empty_polls += 1
            body = {"ok": False, "error_code": 408, "description": "Request timeout"}
            return web.json_response(body, status=408 if self.empty_polls % 2 else 200)
        return web.json_response({"ok": True, "result": self.updates.pop(0)})

    def _record(self, method: str, p: dict) -> dict:
        chat_id = str(p["chat_id"])
        text = p.get("text", "") if method == "sendMessage" else p.get("caption", "")
        sent = Sent(method, chat_id, text, p)
        self.sent.append(sent)
        self.by_chat[chat_id].append(sent)
        self._new_sent.set()
        return {"message_id": f"m{next(self._msg_ids)}", "date": int(time.time() * 1000)}

    # ------------------------------------------------------------ test side

    def make_update(
        self,
        user_id: str,
        text: str | None = None,
        *,
        event: str = "message.text.received",
        name: str = "Bà Phàm",
        chat_type: str = "PRIVATE",
    ) -> dict:
        message: dict[str, Any] = {
            "message_id": f"in{next(self._msg_ids)}",
            "date": int(time.time() * 1000),
            "from": {"id": user_id, "display_name": name, "is_bot": False},
            "chat": {"id": user_id, "chat_type": chat_type},
        }
        if text is not None:
            message["text"] = text
        if event == "message.image.received":
            message["photo"] = "https://zalo.example/photo.jpg"
        if event == "message.sticker.received":
            message["sticker"] = "sticker-1"
        return {"event_name": event, "message": message}

    def push(self, update: dict) -> None:
        self.updates.append(update)
        self._new_update.set()

    def push_text(self, user_id: str, text: str) -> None:
        self.push(self.make_update(user_id, text))

    def fail(self, method: str, status: int, body: dict | None, times: int = 1) -> None:
        for _ in range(times):
            self.failures[method].append((status, body))

    def methods(self, name: str) -> list[dict]:
        return [p for m, p in self.calls if m == name]

    async def wait_sent(self, chat_id: str, count: int, timeout: float = 10.0) -> list[Sent]:
        """Wait until ``count`` messages went to ``chat_id`` in total; return them all."""
        deadline = time.monotonic() + timeout
        while len(self.by_chat[chat_id]) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                got = [s.text for s in self.by_chat[chat_id]]
                raise AssertionError(
                    f"expected {count} messages to {chat_id}, got {len(got)}: {got}"
                )
            self._new_sent.clear()
            try:
                await asyncio.wait_for(self._new_sent.wait(), remaining)
            except TimeoutError:
                pass
        return list(self.by_chat[chat_id])

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.02)
