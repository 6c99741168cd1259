"""Telegram, through python-telegram-bot's Application.

Long polling by default. In webhook mode PTB's own web server is not used:
updates arrive at the bot's aiohttp server (``/telegram/webhook``), which checks
the secret-token header before handing them to the Application.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
from collections import OrderedDict
from collections.abc import Sequence
from datetime import timedelta

from aiohttp import web
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import MessageLimit
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.aiohttp_request import AiohttpRequest
from bot.channels.base import Rejected, RetryLater, Unreachable
from bot.channels.text import split_text as _split_text
from handlers.core import Dispatcher
from handlers.i18n import Catalogs
from handlers.i18n import _ as N_
from handlers.officer import MAX_UPLOAD
from handlers.types import FileUpload, Incoming, Reply

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
KEYBOARD_CACHE = 50_000  # chats whose current menu keyboard is remembered
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# The command menu, in each language (set with setMyCommands).
COMMANDS = [
    ("start", N_("Start and show the menu")),
    ("status", N_("Check my allowance")),
    ("language", N_("Change language")),
    ("help", N_("Questions and answers")),
    ("contact", N_("Contact the commune officer")),
    ("notify", N_("Payment messages on or off")),
    ("forget", N_("Forget me")),
]


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split a long message on line boundaries into parts of at most ``limit``."""
    return _split_text(text, limit)


def render_markup(reply: Reply):  # type: ignore[no-untyped-def]
    """The keyboard for a reply: the main menu as a large persistent keyboard,
    choices inside a step as inline buttons, and a share-contact button when
    asked (Telegram allows one keyboard per message, so then the choices become
    keyboard buttons too; their text comes back and is matched to the option)."""
    if reply.request_contact:
        rows = [[KeyboardButton(reply.request_contact, request_contact=True)]]
        rows += [[KeyboardButton(o.label)] for o in reply.options]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if not reply.options:
        return None
    if reply.keyboard == "menu":
        # The first choice (checking the allowance) gets a whole row; the
        # others go two to a row so the keyboard stays on one screen.
        buttons = [KeyboardButton(o.label) for o in reply.options]
        menu_rows = [buttons[:1]] + [buttons[i : i + 2] for i in range(1, len(buttons), 2)]
        return ReplyKeyboardMarkup(menu_rows, resize_keyboard=True, is_persistent=True)
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(o.label, callback_data=o.id[:64])] for o in reply.options]
    )


class _DeliveryBot:
    """Proactive calls (sendMessage, editMessageText) without
    python-telegram-bot's request building and Message objects: the
    parameters go as one JSON body straight through the aiohttp transport,
    and the answer is read by :func:`bot_api_result`, which raises PTB's own
    errors (RetryAfter, Forbidden, ...). That halves the CPU time of a send,
    which is what bounds a broadcast's rate."""

    def __init__(self, token: str, *, base_url: str, transport: AiohttpRequest) -> None:
        self._transport = transport
        self._api_url = f"{base_url}{token}/"

    async def initialize(self) -> None:
        await self._transport.initialize()

    async def shutdown(self) -> None:
        await self._transport.shutdown()

    async def _call(self, method: str, params: dict[str, object], *, result: bool = True) -> object:
        code, payload = await self._transport.post_json(self._api_url + method, params)
        return bot_api_result(code, payload, result=result)

    async def send_text(self, chat_id: int, text: str, markup: dict | None) -> None:
        params: dict[str, object] = {"chat_id": chat_id, "text": text}
        if markup is not None:
            params["reply_markup"] = markup
        await self._call("sendMessage", params, result=False)

    async def post_text(self, chat_id: int, text: str, markup: dict | None) -> int:
        """sendMessage; returns the message's id (to edit it later)."""
        params: dict[str, object] = {"chat_id": chat_id, "text": text}
        if markup is not None:
            params["reply_markup"] = markup
        result = await self._call("sendMessage", params)
        if not isinstance(result, dict) or not isinstance(result.get("message_id"), int):
            raise NetworkError("sendMessage: the answer has no message_id")
        return result["message_id"]

    async def edit_text(
        self, chat_id: int, message_id: int, text: str, markup: dict | None
    ) -> None:
        params: dict[str, object] = {"chat_id": chat_id, "message_id": message_id, "text": text}
        if markup is not None:
            params["reply_markup"] = markup
        await self._call("editMessageText", params, result=False)


_ACCEPTED = (b'{"ok":true,', b'{"ok": true,')


def bot_api_result(code: int, payload: bytes, *, result: bool = True) -> object:
    """The ``result`` of a Bot API answer, or PTB's error for it, read as
    python-telegram-bot reads answers: ``parameters.retry_after`` is a
    RetryAfter whatever the status (a fraction of a second rounded up); then
    by status: 403 Forbidden, 400 BadRequest, 401/404 InvalidToken, anything
    else NetworkError -- also when the body is not JSON (a proxy's page), and
    for a 200 that is not the Bot API's JSON.

    ``result=False``: the caller only needs to know the call was accepted,
    and an answer in the Bot API's own form (``{"ok":true,...}``, compact
    as Telegram writes it or with a space) is taken without reading the
    rest: parsing the message Telegram sends back was a tenth of a
    broadcast's CPU time."""
    if (
        not result
        and 200 <= code <= 299
        and payload.startswith(_ACCEPTED)
        and payload.endswith(b"}")
    ):
        return None
    try:
        answer = json.loads(payload)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        answer = {}
    if 200 <= code <= 299:
        if answer.get("ok"):
            return answer.get("result")
        raise NetworkError(f"the Bot API answered {code} without a result")
    message = str(answer.get("description") or f"HTTP {code}")
    parameters = answer.get("parameters")
    if isinstance(parameters, dict):
        if parameters.get("migrate_to_chat_id"):
            raise ChatMigrated(int(parameters["migrate_to_chat_id"]))
        if parameters.get("retry_after"):
            raise RetryAfter(math.ceil(float(parameters["retry_after"])))
    if code == 403:
        raise Forbidden(message)
    if code == 400:
        raise BadRequest(message)
    if code in (401, 404):
        raise InvalidToken(message)
    raise NetworkError(message)


def _inline_markup(reply: Reply) -> dict | None:
    """The inline keyboard, as InlineKeyboardMarkup would send it, at a
    fraction of the cost."""
    if not reply.options:
        return None
    return {
        "inline_keyboard": [[{"text": o.label, "callback_data": o.id[:64]}] for o in reply.options]
    }


def _delivery_error(err: TelegramError) -> Exception:
    """PTB's error as the delivery worker's (RetryLater, Unreachable, Rejected)."""
    if isinstance(err, RetryAfter):
        wait = err.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return RetryLater("telegram 429", retry_after=seconds)
    if isinstance(err, Forbidden):
        return Unreachable(f"telegram 403: {err.message[:100]}")
    if isinstance(err, BadRequest):
        if "chat not found" in err.message.lower() or "user not found" in err.message.lower():
            return Unreachable(f"telegram 400: {err.message[:100]}")
        return Rejected(f"telegram 400: {err.message[:100]}")
    # NetworkError: timeouts, 5xx, connection problems; and anything else.
    return RetryLater(f"telegram: {type(err).__name__}: {err.message[:100]}")


class TelegramChannel:
    name = "telegram"

    def __init__(
        self,
        dispatcher: Dispatcher,
        catalogs: Catalogs,
        *,
        token: str,
        base_url: str,
        rate_limit: float = 30.0,
        webhook: bool = False,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        concurrency: int = 4,
        delivery_timeout: float = 10.0,
        delivery_connections: int = 64,
    ) -> None:
        self.dispatcher = dispatcher
        self._token = token
        self._base_url = base_url
        self._delivery_timeout = delivery_timeout
        self._delivery_connections = delivery_connections
        self._delivery_bot: _DeliveryBot | None = None
        self._delivery_lock = asyncio.Lock()
        self.catalogs = catalogs
        self.webhook = webhook
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret or ""
        builder: ApplicationBuilder = ApplicationBuilder().token(token).base_url(base_url)
        file_base = base_url[: -len("bot")] + "file/bot" if base_url.endswith("bot") else base_url
        builder = builder.base_file_url(file_base)
        # Replies and polling go over aiohttp too (see AiohttpRequest): several
        # times less CPU per call than the default httpx transport.
        builder = builder.request(
            AiohttpRequest(connections=concurrency + 4, timeout=delivery_timeout)
        )
        builder = builder.get_updates_request(
            AiohttpRequest(connections=1, timeout=delivery_timeout)
        )
        self._file_base = file_base
        if rate_limit > 0:
            builder = builder.rate_limiter(
                AIORateLimiter(overall_max_rate=rate_limit, overall_time_period=1, max_retries=3)
            )
        if webhook:
            builder = builder.updater(None)
        # Updates of different people are handled concurrently (a few at a time:
        # more only adds contention in the HTTP client); one person's are kept
        # in order by the dispatcher's per-user lock.
        builder = builder.concurrent_updates(concurrency)
        self.application: Application = builder.build()
        self.application.add_handler(CallbackQueryHandler(self._on_callback))
        self.application.add_handler(MessageHandler(filters.ALL, self._on_message))
        self.application.add_error_handler(self._on_error)
        # The main menu is a persistent keyboard: Telegram keeps showing it, so
        # it is sent again only when it changes (saves data on slow phones).
        self._keyboards: OrderedDict[int, str] = OrderedDict()

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = self.application
        await app.initialize()
        await self.set_commands()
        if self.webhook:
            await app.bot.set_webhook(
                url=self.webhook_url or "",
                secret_token=self.webhook_secret or None,
                allowed_updates=Update.ALL_TYPES,
            )
            await app.start()
        else:
            await app.bot.delete_webhook()
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        log.info("telegram: %s", "webhook" if self.webhook else "long polling")

    @property
    def state(self) -> str:
        """ "polling" or "webhook" while updates come in, else "stopped"."""
        app = self.application
        if self.webhook:
            return "webhook" if app.running else "stopped"
        return "polling" if app.updater is not None and app.updater.running else "stopped"

    async def stop(self) -> None:
        if self._delivery_bot is not None:
            bot, self._delivery_bot = self._delivery_bot, None
            await bot.shutdown()
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def set_commands(self) -> None:
        bot = self.application.bot
        for t in self.catalogs.all():
            cmds = [BotCommand(c, t.gettext(d)) for c, d in COMMANDS]
            await bot.set_my_commands(cmds, language_code=t.locale)
        default = self.catalogs.get(self.catalogs.default)
        await bot.set_my_commands([BotCommand(c, default.gettext(d)) for c, d in COMMANDS])

    def routes(self) -> list[web.AbstractRouteDef]:
        return [web.post(WEBHOOK_PATH, self._on_webhook)] if self.webhook else []

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.webhook_secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
            update = Update.de_json(data, self.application.bot)
        except Exception:  # malformed body: tell Telegram not to retry it
            log.warning("telegram webhook: malformed update ignored")
            return web.Response(status=200)
        await self.application.update_queue.put(update)
        return web.Response(status=200)

    # ------------------------------------------------------------ updates

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        user = update.effective_user
        if msg is None or user is None or update.effective_chat is None:
            return
        if update.effective_chat.type != "private":
            return  # the bot talks to people one to one
        text = msg.text or msg.caption or ""
        command = None
        args = ""
        if text.startswith("/"):
            head, _sep, args = text[1:].partition(" ")
            command = head.split("@", 1)[0].lower()
            text = ""
        contact_phone = None
        if msg.contact is not None:
            # Only the sender's own contact proves a phone number.
            if msg.contact.user_id == user.id:
                contact_phone = msg.contact.phone_number
            else:
                text = text or "menu"
        location = (msg.location.latitude, msg.location.longitude) if msg.location else None
        document = await self._download(msg.document) if msg.document is not None else None
        incoming = Incoming(
            channel=self.name,
            user_id=str(user.id),
            text=text,
            command=command,
            args=args.strip(),
            contact_phone=contact_phone,
            location=location,
            locale=user.language_code,
            display_name=user.full_name,
            can_share_contact=True,
            document=document,
        )
        replies = await self.dispatcher.handle(incoming)
        await self.send(update.effective_chat.id, replies)

    async def _download(self, doc) -> FileUpload:  # type: ignore[no-untyped-def]
        """Fetch a sent document, unless it is larger than anyone's list should be."""
        name = doc.file_name or "file"
        if doc.file_size and doc.file_size > MAX_UPLOAD:
            return FileUpload(name, b"", too_large=True)
        telegram_file = await self.application.bot.get_file(doc.file_id)
        return FileUpload(name, bytes(await telegram_file.download_as_bytearray()))

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        user = update.effective_user
        if query is None or user is None:
            return
        await query.answer()
        chat_id = query.message.chat.id if query.message else user.id
        incoming = Incoming(
            channel=self.name,
            user_id=str(user.id),
            option=query.data or "",
            locale=user.language_code,
            display_name=user.full_name,
            can_share_contact=True,
        )
        replies = await self.dispatcher.handle(incoming)
        await self.send(chat_id, replies)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: error while handling an update", exc_info=context.error)

    def _markup_for(self, chat_id: int, reply: Reply):  # type: ignore[no-untyped-def]
        markup = render_markup(reply)
        if isinstance(markup, ReplyKeyboardMarkup):
            key = repr(markup.to_dict())
            if markup.is_persistent and self._keyboards.get(chat_id) == key:
                return None  # already on the person's screen
            self._keyboards[chat_id] = key
            self._keyboards.move_to_end(chat_id)
            while len(self._keyboards) > KEYBOARD_CACHE:
                self._keyboards.popitem(last=False)
        return markup

    async def send(self, chat_id: int, replies: Sequence[Reply]) -> None:
        bot = self.application.bot
        for reply in replies:
            markup = self._markup_for(chat_id, reply)
            parts = split_text(reply.text)
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                await bot.send_message(chat_id, part, reply_markup=markup if last else None)
            for att in reply.attachments:
                if att.kind == "image":
                    await bot.send_photo(chat_id, att.data, filename=att.filename)
                else:
                    await bot.send_document(chat_id, att.data, filename=att.filename)

    # ------------------------------------------------------------ delivery

    async def _sender(self) -> _DeliveryBot:
        """The bot proactive messages go through: its own connections (aiohttp,
        see :mod:`bot.channels.aiohttp_request`) and no rate limiter of PTB's, so 429 answers reach the delivery worker (which
        paces, backs off and records them) instead of being retried here;
        direct replies keep the Application's limiter."""
        if self._delivery_bot is not None:
            return self._delivery_bot
        async with self._delivery_lock:
            if self._delivery_bot is None:
                request = AiohttpRequest(
                    connections=self._delivery_connections, timeout=self._delivery_timeout
                )
                bot = _DeliveryBot(self._token, base_url=self._base_url, transport=request)
                await bot.initialize()
                self._delivery_bot = bot
            return self._delivery_bot

    async def deliver(self, external_id: str, reply: Reply) -> None:
        """Send one proactive message; options become inline buttons. Raises
        :class:`RetryLater`, :class:`Unreachable` or :class:`Rejected`."""
        bot = await self._sender()
        chat_id = int(external_id)
        markup = _inline_markup(reply)
        parts = split_text(reply.text)
        try:
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                await bot.send_text(chat_id, part, markup if last else None)
        except TelegramError as err:
            raise _delivery_error(err) from None

    async def post(self, external_id: str, reply: Reply) -> str:
        """Send a short message that will be edited (a broadcast's progress);
        returns its message id."""
        bot = await self._sender()
        text = split_text(reply.text)[0]
        try:
            return str(await bot.post_text(int(external_id), text, _inline_markup(reply)))
        except TelegramError as err:
            raise _delivery_error(err) from None

    async def edit(self, external_id: str, ref: str, reply: Reply) -> None:
        """editMessageText; an unchanged text is no error."""
        bot = await self._sender()
        text = split_text(reply.text)[0]
        try:
            await bot.edit_text(int(external_id), int(ref), text, _inline_markup(reply))
        except TelegramError as err:
            mapped = _delivery_error(err)
            if isinstance(mapped, Rejected) and "not modified" in mapped.reason:
                return
            raise mapped from None
