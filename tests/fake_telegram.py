"""A small loopback fake of the Telegram Bot API (aiohttp, 127.0.0.1, port 0).

The real python-telegram-bot Application talks to it through its configurable
base URL. Tests push updates (as Telegram would deliver them to getUpdates)
and read what the bot sent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 777000
BOT_USERNAME = "allowance_test_bot"


@dataclass
class Sent:
    method: str
    chat_id: int
    text: str
    reply_markup: dict | None
    params: dict
    at: float = 0.0  # time.monotonic() when it arrived


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-TOKEN"
    # How long getUpdates waits for news at most (keeps shutdown quick).
    max_poll_wait: float = 0.5
    updates: list[dict] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    calls: list[tuple[str, dict]] = field(default_factory=list)
    commands: dict[str | None, list[dict]] = field(default_factory=dict)
    webhook: dict | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # file_id -> content

    # ---- fault switches (for send* methods)
    # The next N sends answer 429 "Too Many Requests" with ``retry_after``.
    fail_429: int = 0
    retry_after: int = 1
    # The next N sends answer 500.
    fail_5xx: int = 0
    # The next N sends answer only after ``slow_delay`` seconds (timeouts).
    slow: int = 0
    slow_delay: float = 0.0
    # Chats that blocked the bot: 403 "Forbidden: bot was blocked by the user".
    blocked: set[int] = field(default_factory=set)
    # At most this many accepted sends in any second; more get 429 (0: no cap).
    cap_per_second: int = 0
    # After this many accepted sends, further sends hang unanswered (to kill the
    # sender while requests are in flight); None: never.
    freeze_after: int | None = None
    # What was answered with an error, by kind.
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._msg_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._new_sent = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.by_chat: dict[int, list[Sent]] = defaultdict(list)
        # Sent messages by message_id, as edits change them; and each edit.
        self.messages: dict[int, Sent] = {}
        self.edits: list[Sent] = []
        self._accepted: deque[float] = deque()
        self._thawed = asyncio.Event()

    # ------------------------------------------------------------ server

    async def start(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
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

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        data = await request.post()
        out: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, str):
                out[key] = value
            else:  # an uploaded file (sendDocument, sendPhoto)
                out.setdefault("_files", {})[key] = (value.filename, value.file.read())
        return out

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append((method, params))
        if method.startswith("send"):
            fault = await self._fault(params)
            if fault is not None:
                return fault
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return web.json_response({"ok": True, "result": True})
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    def _error(self, kind: str, status: int, description: str, **params: Any) -> web.Response:
        self.refused[kind] += 1
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if params:
            body["parameters"] = params
        return web.json_response(body, status=status)

    async def _fault(self, p: dict) -> web.Response | None:
        if self.freeze_after is not None and len(self.sent) >= self.freeze_after:
            await self._thawed.wait()  # unanswered until thaw(), then dropped
            return self._error("frozen", 504, "Gateway Timeout (dropped)")
        if self.fail_429 > 0:
            self.fail_429 -= 1
            return self._error(
                "429",
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                retry_after=self.retry_after,
            )
        if self.fail_5xx > 0:
            self.fail_5xx -= 1
            return self._error("5xx", 500, "Internal Server Error")
        if self.slow > 0:
            self.slow -= 1
            self.refused["slow"] += 1
            await asyncio.sleep(self.slow_delay)
            return self._error("timeout", 504, "Gateway Timeout (answered too late)")
        try:
            chat_id = int(p.get("chat_id", 0))
        except (TypeError, ValueError):
            chat_id = 0
        if chat_id in self.blocked:
            return self._error("403", 403, "Forbidden: bot was blocked by the user")
        if self.cap_per_second:
            now = time.monotonic()
            while self._accepted and self._accepted[0] <= now - 1.0:
                self._accepted.popleft()
            if len(self._accepted) >= self.cap_per_second:
                return self._error("429", 429, "Too Many Requests: retry after 1", retry_after=1)
            self._accepted.append(now)
        return None

    def thaw(self) -> None:
        """Answer the requests held by ``freeze_after`` (without sending them)
        and stop holding new ones."""
        self.freeze_after = None
        self._thawed.set()

    def counts_per_chat(self) -> dict[int, int]:
        return {chat: len(msgs) for chat, msgs in self.by_chat.items()}

    # ------------------------------------------------------------ methods

    async def _m_getMe(self, p: dict) -> dict:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Trợ lý trợ cấp",
            "username": BOT_USERNAME,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getUpdates(self, p: dict) -> list[dict]:
        offset = int(p.get("offset") or 0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        limit = int(p.get("limit") or 100)
        wait = min(float(p.get("timeout") or 0), self.max_poll_wait)
        deadline = time.monotonic() + wait
        while not self.updates and time.monotonic() < deadline:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        return self.updates[:limit]

    async def _m_getFile(self, p: dict) -> dict:
        file_id = p["file_id"]
        data = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": len(data),
            "file_path": f"documents/{file_id}",
        }

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id])

    async def _m_setMyCommands(self, p: dict) -> bool:
        cmds = p["commands"]
        self.commands[p.get("language_code")] = json.loads(cmds) if isinstance(cmds, str) else cmds
        return True

    async def _m_setWebhook(self, p: dict) -> bool:
        self.webhook = p
        return True

    async def _m_deleteWebhook(self, p: dict) -> bool:
        self.webhook = None
        return True

    def _record(self, method: str, p: dict, text: str) -> dict:
        chat_id = int(p["chat_id"])
        markup = p.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        sent = Sent(method, chat_id, text, markup, p, time.monotonic())
        self.sent.append(sent)
        self.by_chat[chat_id].append(sent)
        self._new_sent.set()
        message_id = next(self._msg_ids)
        sent.params = {**p, "message_id": message_id}
        self.messages[message_id] = sent
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý trợ cấp"},
            "text": text,
        }

    async def _m_sendMessage(self, p: dict) -> dict:
        return self._record("sendMessage", p, p.get("text", ""))

    async def _m_sendPhoto(self, p: dict) -> dict:
        return self._record("sendPhoto", p, p.get("caption", ""))

    async def _m_editMessageText(self, p: dict) -> dict | web.Response:
        """Changes the text (and inline keyboard) of a message the bot sent."""
        message_id = int(p.get("message_id", 0))
        old = self.messages.get(message_id)
        if old is None or old.chat_id != int(p.get("chat_id", 0)):
            return self._error("400", 400, "Bad Request: message to edit not found")
        markup = p.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if old.text == p.get("text", "") and old.reply_markup == markup:
            return self._error(
                "400",
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        old.text = p.get("text", "")
        old.reply_markup = markup
        edit = Sent("editMessageText", old.chat_id, old.text, markup, p, time.monotonic())
        self.edits.append(edit)
        self._new_sent.set()
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "edit_date": int(time.time()),
            "chat": {"id": old.chat_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý trợ cấp"},
            "text": old.text,
        }

    async def _m_sendDocument(self, p: dict) -> dict:
        return self._record("sendDocument", p, p.get("caption", ""))

    # ------------------------------------------------------------ test side

    def _user(self, user_id: int, language: str = "vi") -> dict:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
            "language_code": language,
        }

    def make_message(self, user_id: int, text: str | None = None, **extra: Any) -> dict:
        msg: dict[str, Any] = {
            "message_id": next(self._msg_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": f"User{user_id}"},
            "from": self._user(user_id),
        }
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                msg["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
                ]
        msg.update(extra)
        return {"update_id": next(self._ids), "message": msg}

    def make_callback(self, user_id: int, data: str) -> dict:
        return {
            "update_id": next(self._ids),
            "callback_query": {
                "id": str(next(self._ids)),
                "from": self._user(user_id),
                "chat_instance": str(user_id),
                "data": data,
                "message": {
                    "message_id": next(self._msg_ids),
                    "date": int(time.time()),
                    "chat": {"id": user_id, "type": "private"},
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý trợ cấp"},
                    "text": "…",
                },
            },
        }

    def push(self, update: dict) -> None:
        self.updates.append(update)
        self._new_update.set()

    def push_document(self, user_id: int, filename: str, data: bytes) -> None:
        file_id = f"doc{len(self.files) + 1}"
        self.files[file_id] = data
        document = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": filename,
            "file_size": len(data),
        }
        self.push(self.make_message(user_id, None, document=document))

    def push_text(self, user_id: int, text: str) -> None:
        self.push(self.make_message(user_id, text))

    def push_callback(self, user_id: int, data: str) -> None:
        self.push(self.make_callback(user_id, data))

    def push_contact(self, user_id: int, phone: str, owner_id: int | None = None) -> None:
        contact = {
            "phone_number": phone,
            "first_name": "Me",
            "user_id": owner_id if owner_id is not None else user_id,
        }
        self.push(self.make_message(user_id, None, contact=contact))

    async def wait_sent(self, chat_id: int, count: int, timeout: float = 10.0) -> list[Sent]:
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


# ---------------------------------------------------------------- out of process
#
# Benchmarks run the fake in its own process, so that its work does not eat
# into the bot's CPU time: ``python -m tests.fake_telegram`` prints its port,
# then takes test commands over HTTP.


async def _control_push(fake: FakeTelegram, request: web.Request) -> web.Response:
    body = await request.json()
    for user_id, text in body["messages"]:
        fake.updates.append(fake.make_message(int(user_id), text))
    fake._new_update.set()
    return web.json_response({"ok": True})


async def _control_stats(fake: FakeTelegram, request: web.Request) -> web.Response:
    # The texts of the last N messages sent ("last=0" or none: no texts; a
    # driver polling the count must not be sent every text each time).
    last = int(request.query.get("last") or 0)
    texts = [s.text for s in fake.sent[-last:]] if last > 0 else []
    return web.json_response(
        {"sent": len(fake.sent), "pending_updates": len(fake.updates), "last": texts}
    )


async def _control_config(fake: FakeTelegram, request: web.Request) -> web.Response:
    """Set fault switches: {"cap_per_second": 30, "blocked": [5, 6], ...}."""
    body = await request.json()
    for key, value in body.items():
        setattr(fake, key, set(value) if key == "blocked" else value)
    return web.json_response({"ok": True})


async def _control_counts(fake: FakeTelegram, request: web.Request) -> web.Response:
    return web.json_response(
        {
            "sent": len(fake.sent),
            "per_chat": {str(k): v for k, v in fake.counts_per_chat().items()},
            "refused": dict(fake.refused),
            "first_at": fake.sent[0].at if fake.sent else None,
            "last_at": fake.sent[-1].at if fake.sent else None,
            "times": [s.at for s in fake.sent] if request.query.get("times") else [],
        }
    )


async def _control_reset(fake: FakeTelegram, request: web.Request) -> web.Response:
    fake.sent.clear()
    fake.by_chat.clear()
    fake.refused.clear()
    fake._accepted.clear()
    return web.json_response({"ok": True})


async def _serve_forever() -> None:
    fake = FakeTelegram(max_poll_wait=0.05)
    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", fake._handle)
    app.router.add_post("/_test/push", lambda r: _control_push(fake, r))
    app.router.add_get("/_test/stats", lambda r: _control_stats(fake, r))
    app.router.add_post("/_test/config", lambda r: _control_config(fake, r))
    app.router.add_get("/_test/counts", lambda r: _control_counts(fake, r))
    app.router.add_post("/_test/reset", lambda r: _control_reset(fake, r))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_serve_forever())
