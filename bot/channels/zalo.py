"""Zalo, through the Zalo Bot Platform's bot API (plain aiohttp, no SDK).

Methods are called as ``{base}{token}/{method}`` with a JSON body; answers are
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
"description": "..."}``.

- Long polling (the default): ``getUpdates`` with a ``timeout`` returns one
  update per call, with no offset; 408 (as the HTTP status or the
  ``error_code``) means nothing new arrived. Any other failure is logged and
  polling goes on after a pause.
- Webhook: ``setWebhook`` with the URL and a secret; Zalo POSTs each update to
  ``/zalo/webhook`` on the bot's web server with the secret in
  ``X-Bot-Api-Secret-Token`` (compared in constant time; 403 otherwise).

Zalo has no buttons: options are a numbered list under the text and the person
answers "2", "số 2" or the option's words. Messages longer than 2,000
characters are split on line boundaries. Pictures are sent by URL from the
bot's own web server (:mod:`bot.channels.media`); other files as a link.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import Sequence
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.base import DeliveryError, Rejected, RetryLater, Unreachable
from bot.channels.media import MediaStore
from bot.channels.text import numbered, split_text
from handlers.core import Dispatcher
from handlers.types import Attachment, Incoming, Reply

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/zalo/webhook"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_TEXT = 2000
EVENT_TEXT = "message.text.received"
# Events the bot cannot read: the person is told to type instead.
EVENTS_OTHER = {
    "message.image.received",
    "message.sticker.received",
    "message.unsupported.received",
}
SEND_TIMEOUT = 20.0
DIRECT_RETRIES = 2  # a direct reply that hits a rate limit or a 5xx is tried again
CONCURRENCY = 4  # updates of different people handled at once


class _NothingNew(Exception):
    """getUpdates found no update within its timeout (408)."""


class RateLimiter:
    """At most ``rate`` sends a second, evenly spaced; 0 turns it off."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
                now = time.monotonic()
            self._next = max(now, self._next) + self.interval


def _retry_after(body: dict, headers: Any) -> float | None:
    for source in (body.get("parameters") or {}, body):
        value = source.get("retry_after") if isinstance(source, dict) else None
        if isinstance(value, int | float) and value >= 0:
            return float(value)
    raw = headers.get("Retry-After") if headers is not None else None
    if raw:
        with contextlib.suppress(ValueError):
            return max(0.0, float(raw))
    return None


def classify(method: str, status: int, body: Any, headers: Any = None) -> Any:
    """The ``result`` of a successful answer, or the matching delivery error.

    429 and 5xx mean try later; 403 (or a description saying the person
    blocked the bot) means unreachable; 401 means the token is wrong, which
    is the bot's own setup, so the message is kept for later; any other 4xx
    refuses the message for good.
    """
    if not isinstance(body, dict):
        if status == 408:
            raise _NothingNew()
        if status >= 500 or status == 429 or 200 <= status < 300:
            raise RetryLater(f"{method}: HTTP {status} without a JSON answer")
        body = {}
    if body.get("ok") is True and 200 <= status < 300:
        return body.get("result")
    code = body.get("error_code")
    if not isinstance(code, int):
        code = status if status >= 400 else 400
    description = str(body.get("description") or "")[:200]
    reason = f"{method}: {code} {description}".strip()
    if code == 408 or status == 408:
        raise _NothingNew()
    if code == 429 or status == 429:
        raise RetryLater(reason, retry_after=_retry_after(body, headers))
    if code >= 500 or status >= 500:
        raise RetryLater(reason)
    if code == 401 or status == 401:
        raise RetryLater(reason + " (check ZALO_BOT_TOKEN)")
    if code == 403 or status == 403 or "block" in description.lower():
        raise Unreachable(reason)
    raise Rejected(reason)


class ZaloChannel:
    name = "zalo"
    typed_options = True  # options are a numbered list: "2" answers a pushed message

    def __init__(
        self,
        dispatcher: Dispatcher,
        media: MediaStore,
        *,
        token: str,
        base_url: str,
        public_url: str | None = None,
        rate_limit: float = 10.0,
        webhook: bool = False,
        webhook_url: str | None = None,
        webhook_secret: str = "",
        poll_timeout: int = 30,
        retry_pause: float = 1.0,
        typing_after: float = 1.0,
    ) -> None:
        self.dispatcher = dispatcher
        self.media = media
        self.token = token
        self.base_url = base_url
        # Where people's phones (and Zalo's servers) reach the bot's web
        # server; set by the app from BOT_PUBLIC_URL or the bound address.
        self.public_url = public_url.rstrip("/") if public_url else None
        self.limiter = RateLimiter(rate_limit)
        self.webhook = webhook
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.poll_timeout = poll_timeout
        self.retry_pause = retry_pause
        self.typing_after = typing_after
        self._session: aiohttp.ClientSession | None = None
        self._poller: asyncio.Task[None] | None = None
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self.polls = 0  # getUpdates calls answered, for health checks and tests

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        try:
            if self.webhook:
                await self.call(
                    "setWebhook",
                    {"url": self.webhook_url or "", "secret_token": self.webhook_secret},
                )
            else:
                with contextlib.suppress(DeliveryError):
                    # getUpdates is refused while a webhook is set.
                    await self.call("deleteWebhook", {})
                self._poller = asyncio.create_task(self._poll_forever(), name="zalo-polling")
        except BaseException:
            await self._session.close()
            self._session = None
            raise
        log.info("zalo: %s", "webhook" if self.webhook else "long polling")

    @property
    def state(self) -> str:
        """ "polling" or "webhook" while updates come in, else "stopped"."""
        if self.webhook:
            return "webhook" if self._session is not None else "stopped"
        return "polling" if self._poller is not None and not self._poller.done() else "stopped"

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poller
            self._poller = None
        if self._tasks:
            # Let messages being answered finish, briefly.
            await asyncio.wait(list(self._tasks), timeout=5)
            for task in list(self._tasks):
                task.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def routes(self) -> list[web.AbstractRouteDef]:
        return [web.post(WEBHOOK_PATH, self._on_webhook)] if self.webhook else []

    # ------------------------------------------------------------ the API

    async def call(self, method: str, payload: dict, *, limit: float = SEND_TIMEOUT) -> Any:
        if self._session is None:
            raise RetryLater(f"{method}: zalo channel is not running")
        url = f"{self.base_url}{self.token}/{method}"
        try:
            async with self._session.post(
                url, json=payload, timeout=aiohttp.ClientTimeout(total=limit)
            ) as resp:
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
                return classify(method, resp.status, body, resp.headers)
        except TimeoutError:
            raise RetryLater(f"{method}: timed out") from None
        except aiohttp.ClientError as err:
            # The URL holds the token: name only the kind of failure.
            raise RetryLater(f"{method}: {type(err).__name__}") from None

    # ------------------------------------------------------------ receiving

    async def _poll_forever(self) -> None:
        pause = self.retry_pause
        while True:
            began = time.monotonic()
            try:
                result = await self.call(
                    "getUpdates", {"timeout": str(self.poll_timeout)}, limit=self.poll_timeout + 10
                )
            except _NothingNew:
                self.polls += 1
                pause = self.retry_pause
                if time.monotonic() - began < 0.2:
                    # Answered at once instead of waiting: do not spin.
                    await asyncio.sleep(0.2)
                continue
            except DeliveryError as err:
                log.warning("zalo: getUpdates failed (%s); polling again shortly", err.reason)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 30.0)
                continue
            except Exception:
                log.exception("zalo: unexpected error while polling; polling again shortly")
                await asyncio.sleep(pause)
                pause = min(pause * 2, 30.0)
                continue
            self.polls += 1
            pause = self.retry_pause
            updates = result if isinstance(result, list) else [result]
            for update in updates:
                if isinstance(update, dict):
                    self._schedule(update)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not self.webhook_secret or not hmac.compare_digest(
            given.encode(), self.webhook_secret.encode()
        ):
            return web.Response(status=403, text="forbidden")
        try:
            body = await request.json()
        except ValueError:
            log.warning("zalo webhook: malformed update ignored")
            return web.json_response({"ok": True})
        if isinstance(body, dict) and "result" in body and "event_name" not in body:
            body = body["result"]  # the {ok, result} envelope
        if isinstance(body, dict):
            self._schedule(body)
        return web.json_response({"ok": True})

    def _schedule(self, update: dict) -> None:
        """Handle an update in the background; one person's updates are
        handled and answered strictly in order."""
        message = update.get("message")
        sender = message.get("from") if isinstance(message, dict) else None
        key = str(sender.get("id", "")) if isinstance(sender, dict) else ""
        previous = self._tails.get(key)
        task = asyncio.create_task(self._run_after(previous, update))
        self._tails[key] = task
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            if self._tails.get(key) is t:
                del self._tails[key]

        task.add_done_callback(done)

    async def _run_after(self, previous: asyncio.Task[None] | None, update: dict) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        async with self._slots:
            try:
                await self.handle_update(update)
            except Exception:
                log.exception("zalo: error while handling an update")

    @staticmethod
    def to_incoming(update: dict) -> tuple[Incoming, str] | None:
        """The neutral message and the chat to answer in, or None for what
        the bot ignores (groups, other bots, unknown events)."""
        event = update.get("event_name")
        message = update.get("message")
        if event != EVENT_TEXT and event not in EVENTS_OTHER:
            return None
        if not isinstance(message, dict):
            return None
        sender = message.get("from") or {}
        chat = message.get("chat") or {}
        if not isinstance(sender, dict) or not isinstance(chat, dict) or sender.get("is_bot"):
            return None
        user_id = str(sender.get("id") or "")
        chat_id = str(chat.get("id") or user_id)
        if not user_id:
            return None
        chat_type = str(chat.get("chat_type") or "PRIVATE").upper()
        if chat_type != "PRIVATE":
            return None  # the bot talks to people one to one
        text = ""
        if event == EVENT_TEXT:
            raw = message.get("text")
            text = raw[: MAX_TEXT * 2] if isinstance(raw, str) else ""
        command = None
        args = ""
        if text.startswith("/") and len(text) > 1:
            head, _sep, args = text[1:].partition(" ")
            command = head.split("@", 1)[0].lower()
            text = ""
        name = sender.get("display_name") or sender.get("name")
        return (
            Incoming(
                channel="zalo",
                user_id=user_id,
                text=text,
                command=command,
                args=args.strip(),
                display_name=str(name) if name else None,
                buttons=False,
            ),
            chat_id,
        )

    async def handle_update(self, update: dict) -> None:
        found = self.to_incoming(update)
        if found is None:
            return
        incoming, chat_id = found
        typing = asyncio.create_task(self._typing(chat_id))
        try:
            replies = await self.dispatcher.handle(incoming)
        finally:
            typing.cancel()
        await self.send(chat_id, replies)

    async def _typing(self, chat_id: str) -> None:
        """Show "typing…" when an answer takes a while (an officer's import);
        a quick answer does not spend a call on it."""
        await asyncio.sleep(self.typing_after)
        with contextlib.suppress(DeliveryError):
            await self.call("sendChatAction", {"chat_id": chat_id, "action": "typing"})

    # ------------------------------------------------------------ sending

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """Answer an incoming message: the same calls as :meth:`deliver`, each
        tried again a couple of times on a rate limit or a 5xx (so a part
        already sent is not sent twice); a person who cannot be reached is
        logged."""
        for reply in replies:
            try:
                calls = self._calls(chat_id, reply)
            except DeliveryError as err:
                log.warning("zalo: reply not sent (%s)", err.reason)
                return
            for method, payload in calls:
                for attempt in range(DIRECT_RETRIES + 1):
                    try:
                        await self._send(method, payload)
                        break
                    except RetryLater as err:
                        if attempt == DIRECT_RETRIES:
                            log.warning("zalo: reply not sent (%s)", err.reason)
                            return
                        wait = self.retry_pause if err.retry_after is None else err.retry_after
                        await asyncio.sleep(min(wait, 5.0))
                    except DeliveryError as err:
                        log.warning("zalo: reply not sent (%s)", err.reason)
                        return

    async def deliver(self, external_id: str, reply: Reply) -> None:
        """Send one reply to this Zalo identity (the delivery worker's entry
        point). Raises RetryLater, Unreachable or Rejected."""
        for method, payload in self._calls(external_id, reply):
            await self._send(method, payload)

    def _calls(self, chat_id: str, reply: Reply) -> list[tuple[str, dict]]:
        """The API calls that send ``reply``: the text (options numbered
        below it) in parts of at most 2,000 characters, then each attachment."""
        calls = [
            ("sendMessage", {"chat_id": chat_id, "text": part})
            for part in split_text(numbered(reply), MAX_TEXT)
            if part.strip()
        ]
        for att in reply.attachments:
            url = self.media_url(att)
            if att.kind == "image":
                calls.append(("sendPhoto", {"chat_id": chat_id, "photo": url, "caption": ""}))
            else:
                # The bot cannot upload files: a link the person can open instead.
                text = f"📎 {att.filename}\n{url}"
                calls.append(("sendMessage", {"chat_id": chat_id, "text": text}))
        return calls

    async def _send(self, method: str, payload: dict) -> Any:
        await self.limiter.wait()
        return await self.call(method, payload)

    def media_url(self, att: Attachment) -> str:
        if not self.public_url:
            raise RetryLater("no public address for media (set BOT_PUBLIC_URL)")
        return self.public_url + self.media.put(att.data, att.mime_type, att.filename)
