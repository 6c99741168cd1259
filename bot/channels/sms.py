"""SMS through any HTTP gateway (plain aiohttp, no provider SDK).

Sending: one request per message to ``SMS_SEND_URL`` with the method
(``SMS_METHOD`` POST or GET), an optional auth header (``SMS_AUTH_HEADER``,
"Name: value") and the number and text under configurable parameter names
(``SMS_TO_PARAM``, ``SMS_TEXT_PARAM``), as JSON (``SMS_JSON=true``) or a
form / query string -- so a Vietnamese SMS provider, an Android phone running
an SMS gateway app or a GSM modem's web API plugs in with settings only.
2xx is sent; 429 and 5xx (and timeouts) are tried again later; any other 4xx
refuses the message for good (401 is the bot's own setup, so kept for later).

Receiving: the gateway POSTs (or GETs) each incoming SMS to ``/sms/inbound``
on the bot's web server with the sender and text under ``SMS_FROM_PARAM`` /
``SMS_INBOUND_TEXT_PARAM`` (form, JSON or query string) and the shared secret
``SMS_INBOUND_SECRET`` in the ``X-SMS-Secret`` header or a ``secret`` query
parameter (compared in constant time; 403 otherwise) -- prefer the header
with POST: a secret in the URL, and a GET's sender and text, end up in the
access logs of every proxy on the way. The answer goes back by SMS at once.

Texts go without diacritics unless ``SMS_UNICODE=true``: a diacritic makes a
segment 70 characters instead of 160.

Budget: a proactive SMS first reserves its segments in the commune's month
(one conditional UPDATE, :meth:`storage.sms.SmsStore.reserve`) and gives them
back when the send fails; one that does not fit is refused. Answers to
incoming SMS are never refused but are counted against the number's
commune. Either way the officers are told once a month when it is used up.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.base import DeliveryError, Rejected, RetryLater
from handlers.citizen import normalize_phone
from handlers.core import VN_TZ, Dispatcher
from handlers.sms import budget_reached
from handlers.sms_text import segments, sms_form
from handlers.types import Incoming, Reply

log = logging.getLogger(__name__)

INBOUND_PATH = "/sms/inbound"
SECRET_HEADER = "X-SMS-Secret"
MAX_TEXT = 1000  # characters of an incoming SMS read


@dataclass(frozen=True)
class GatewayConfig:
    send_url: str
    method: str = "POST"  # POST | GET
    auth_header: str = ""  # "Authorization: Bearer ..."
    to_param: str = "to"
    text_param: str = "text"
    json: bool = True
    unicode: bool = False
    inbound_secret: str = ""
    from_param: str = "from"
    inbound_text_param: str = "text"
    timeout: float = 10.0


def _retry_after(headers: Any) -> float | None:
    raw = headers.get("Retry-After") if headers is not None else None
    if raw:
        with contextlib.suppress(ValueError):
            return max(0.0, float(raw))
    return None


def classify(status: int, headers: Any = None) -> None:
    """Nothing for 2xx; otherwise the matching delivery error."""
    if 200 <= status < 300:
        return
    reason = f"sms gateway: HTTP {status}"
    if status == 429:
        raise RetryLater(reason, retry_after=_retry_after(headers))
    if status >= 500:
        raise RetryLater(reason)
    if status == 401:
        raise RetryLater(reason + " (check SMS_AUTH_HEADER)")
    raise Rejected(reason)


class SmsChannel:
    name = "sms"

    def __init__(self, dispatcher: Dispatcher, config: GatewayConfig) -> None:
        self.dispatcher = dispatcher
        self.config = config
        self._session: aiohttp.ClientSession | None = None
        self.sent_segments = 0  # segments handed to the gateway, for health checks and tests

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        log.info("sms: gateway ready")

    @property
    def state(self) -> str:
        """For /healthz: "running" while the gateway session is open."""
        return "running" if self._session is not None else "stopped"

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def routes(self) -> list[web.AbstractRouteDef]:
        return [web.post(INBOUND_PATH, self._on_inbound), web.get(INBOUND_PATH, self._on_inbound)]

    def text_of(self, reply: Reply) -> str:
        # An SMS is text only; the options of a messenger's message do not apply
        # (a feature phone answers with the keywords of :mod:`handlers.sms`).
        return sms_form(reply.text, unicode=self.config.unicode)

    # ------------------------------------------------------------ sending

    def _period(self) -> tuple[datetime, str]:
        now = self.dispatcher.clock()
        local = now.astimezone(VN_TZ)
        return now, f"{local.year:04d}-{local.month:02d}"

    async def deliver(self, external_id: str, reply: Reply) -> None:
        """Send one proactive message to this SMS user (``external_id``: the
        lookup hash of their phone, kept encrypted) -- the delivery
        worker's entry point): only while the person's commune has SMS on,
        and only once its segments are reserved in the commune's monthly
        budget (given back when the send fails). Raises RetryLater or
        Rejected."""
        text = self.text_of(reply)
        if not text:
            return
        cost = segments(text)
        now, period = self._period()
        db = self.dispatcher.db
        async with db.transaction() as tx:
            phone = await tx.sms.phone_of(external_id)
            if phone is None:
                raise Rejected("sms: no phone number for this person")
            code = await tx.sms.commune_of(external_id)
            settings = await tx.sms.settings(code) if code else None
            if code is None or settings is None or not settings.enabled:
                raise Rejected("sms: SMS is off for this person's commune")
            reserved = await tx.sms.reserve(code, period, cost, settings.budget)
            if settings.budget is not None and (
                not reserved or await tx.sms.used(code, period) >= settings.budget
            ):
                # Committed with this transaction (once a month per officer).
                await budget_reached(
                    tx, self.dispatcher.catalogs, code, settings.budget, period, now
                )
        if not reserved:
            raise Rejected("sms: the commune's monthly SMS budget is used up")
        try:
            await self.send_text(phone, text)
        except BaseException:
            try:
                async with db.transaction() as tx:
                    await tx.sms.refund(code, period, cost)
            except Exception:
                log.exception("sms: segments reserved for an unsent message were not given back")
            raise

    async def reply(self, phone: str, reply: Reply) -> int:
        """Send one answer to an incoming SMS; the segments it cost."""
        text = self.text_of(reply)
        if not text:
            return 0  # nothing to say (the number's daily limit is reached)
        await self.send_text(phone, text)
        return segments(text)

    async def send_text(self, phone: str, text: str) -> None:
        if self._session is None:
            raise RetryLater("sms channel is not running")
        c = self.config
        params = {c.to_param: phone, c.text_param: text}
        headers: dict[str, str] = {}
        if c.auth_header:
            name, _sep, value = c.auth_header.partition(":")
            headers[name.strip()] = value.strip()
        kwargs: dict[str, Any] = {"headers": headers}
        if c.method == "GET":
            kwargs["params"] = params
        elif c.json:
            kwargs["json"] = params
        else:
            kwargs["data"] = params
        try:
            async with self._session.request(
                c.method, c.send_url, timeout=aiohttp.ClientTimeout(total=c.timeout), **kwargs
            ) as resp:
                await resp.read()
                classify(resp.status, resp.headers)
        except TimeoutError:
            raise RetryLater("sms gateway: timed out") from None
        except aiohttp.ClientError as err:
            # The URL may hold a key: name only the kind of failure.
            raise RetryLater(f"sms gateway: {type(err).__name__}") from None
        self.sent_segments += segments(text)

    async def send(self, phone: str, replies: Sequence[Reply]) -> None:
        """Answer an incoming SMS; a failure is logged (the person can text
        again). The answer is never refused for the budget, but it counts
        against the budget of the number's commune, whose officers are told
        when that uses the budget up."""
        sent = 0
        for reply in replies:
            try:
                sent += await self.reply(phone, reply)
            except DeliveryError as err:
                log.warning("sms: reply not sent (%s)", err.reason)
                break
        if sent:
            try:
                await self._count_answer(phone, sent)
            except Exception:
                log.exception("sms: an answer was not counted in the commune's usage")

    async def _count_answer(self, phone: str, cost: int) -> None:
        now, period = self._period()
        async with self.dispatcher.db.transaction() as tx:
            code = await tx.sms.commune_of_number(tx.sms.identity(phone))
            if code is None:
                return  # a number not on file: no commune pays for it
            await tx.sms.add_usage(code, period, cost)
            settings = await tx.sms.settings(code)
            if (
                settings is not None
                and settings.enabled
                and settings.budget is not None
                and await tx.sms.used(code, period) >= settings.budget
            ):
                await budget_reached(
                    tx, self.dispatcher.catalogs, code, settings.budget, period, now
                )

    # ------------------------------------------------------------ receiving

    async def _on_inbound(self, request: web.Request) -> web.Response:
        secret = self.config.inbound_secret
        given = request.headers.get(SECRET_HEADER) or request.query.get("secret", "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403, text="forbidden")
        fields: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    body = None
                if isinstance(body, dict):
                    fields.update(body)
            else:
                fields.update(dict(await request.post()))
        sender = fields.get(self.config.from_param)
        text = fields.get(self.config.inbound_text_param)
        phone = normalize_phone(str(sender)) if sender else None
        if phone is None or not isinstance(text, str):
            # Never log the number or the text.
            log.warning("sms inbound: a message without a valid sender or text was ignored")
            return web.json_response({"ok": False}, status=400)
        async with self.dispatcher.db.transaction() as tx:
            # The identity is the phone's lookup hash; the phone is kept encrypted.
            await tx.sms.ensure_user(phone, self.dispatcher.catalogs.default)
            identity = tx.sms.identity(phone)
        incoming = Incoming(channel="sms", user_id=identity, text=text[:MAX_TEXT].strip())
        replies = await self.dispatcher.handle(incoming)
        await self.send(phone, replies)
        return web.json_response({"ok": True})
