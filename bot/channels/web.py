"""The local web chat (aiohttp): a page to chat with the bot in a browser.

Each browser gets its own identity from a random cookie. The page talks to
``POST /api/chat`` with JSON and renders replies with buttons. Messages the
bot sends on its own (the delivery worker, through :class:`WebInbox`) wait in
the database until the page fetches them with ``GET /api/inbox``.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import BodyPartReader, web

from handlers.core import Dispatcher
from handlers.officer import MAX_UPLOAD
from handlers.types import FileUpload, Incoming, Option, Reply
from storage import Database

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent.parent / "static"
# A reverse proxy on the same machine (nginx, deploy/nginx.conf) is trusted to say
# who the browser is; BOT_TRUSTED_PROXIES adds proxies on other machines.
LOOPBACK = ("127.0.0.1", "::1")
COOKIE = "chat_id"
MAX_TEXT = 2000


def reply_json(reply: Reply, ref: str | None = None) -> dict:
    out: dict = {
        "text": reply.text,
        "keyboard": reply.keyboard,
        "options": [{"id": o.id, "label": o.label} for o in reply.options],
    }
    if ref:
        # The page replaces the message it shows with this ref, if any.
        out["ref"] = ref
    if reply.attachments:
        # Images (a VietQR code) and files (a report, a list) as data URLs:
        # the page shows the image or offers the file to save.
        out["attachments"] = [
            {
                "kind": a.kind,
                "filename": a.filename,
                "url": f"data:{a.mime_type};base64,{base64.b64encode(a.data).decode('ascii')}",
            }
            for a in reply.attachments
        ]
    return out


INBOX_BATCH = 20  # messages handed to the page per request


class WebInbox:
    """The web chat as a delivery channel: ``deliver`` keeps the message for
    that browser (its cookie identity) until the page fetches it."""

    name = "web"
    typed_options = True  # "2" may be typed as well as tapped

    def __init__(self, db: Database, clock: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self.clock = clock or (lambda: datetime.now(UTC))

    async def deliver(self, external_id: str, reply: Reply) -> None:
        async with self.db.transaction() as tx:
            options = [(o.id, o.label) for o in reply.options]
            await tx.inbox.put(external_id, reply.text, options, self.clock())

    async def post(self, external_id: str, reply: Reply) -> str:
        """Like ``deliver``, for a message that will change: returns the
        reference :meth:`edit` takes."""
        ref = secrets.token_hex(8)
        async with self.db.transaction() as tx:
            options = [(o.id, o.label) for o in reply.options]
            await tx.inbox.put(external_id, reply.text, options, self.clock(), ref=ref)
        return ref

    async def edit(self, external_id: str, ref: str, reply: Reply) -> None:
        """Replace the message ``ref`` in place (on the page, or while it waits)."""
        async with self.db.transaction() as tx:
            options = [(o.id, o.label) for o in reply.options]
            await tx.inbox.replace(external_id, ref, reply.text, options, self.clock())

    async def take_refs(self, external_id: str) -> list[tuple[Reply, str | None]]:
        async with self.db.transaction() as tx:
            waiting = await tx.inbox.take(external_id, INBOX_BATCH)
        return [
            (Reply(text, [Option(oid, label) for oid, label in opts]), ref)
            for text, opts, ref in waiting
        ]

    async def take(self, external_id: str) -> list[Reply]:
        return [reply for reply, _ref in await self.take_refs(external_id)]


class WebChat:
    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        secure_cookie: bool = False,
        trusted_proxies: tuple[str, ...] = LOOPBACK,
    ) -> None:
        self.dispatcher = dispatcher
        self.secure_cookie = secure_cookie
        self.trusted_proxies = trusted_proxies
        self.inbox = WebInbox(dispatcher.db, dispatcher.clock)

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.get("/", self.index),
            web.post("/api/chat", self.chat),
            web.post("/api/upload", self.upload),
            web.get("/api/inbox", self.inbox_view),
            web.static("/static", STATIC),
        ]

    async def inbox_view(self, request: web.Request) -> web.Response:
        """What the bot sent this browser on its own since the last look."""
        chat_id = request.cookies.get(COOKIE)
        replies: list[tuple[Reply, str | None]] = []
        if chat_id and 16 <= len(chat_id) <= 64:
            replies = await self.inbox.take_refs(chat_id)
        resp = web.json_response({"replies": [reply_json(r, ref) for r, ref in replies]})
        resp.headers["Cache-Control"] = "no-store"
        return resp

    async def index(self, request: web.Request) -> web.StreamResponse:
        resp = web.FileResponse(STATIC / "index.html")
        resp.headers["Cache-Control"] = "no-store"
        return resp

    async def chat(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return web.json_response({"error": "expected JSON"}, status=415)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "invalid JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "invalid request"}, status=400)
        # Check the types before defaulting: ``0``, ``false`` or ``[]`` are not
        # an empty message (``or ""`` would let them through as one).
        text = body.get("text")
        option = body.get("option")
        command = body.get("command")
        if (
            not isinstance(text, str | None)
            or not isinstance(option, str | None)
            or not isinstance(command, str | None)
        ):
            return web.json_response({"error": "invalid request"}, status=400)
        text = (text or "")[:MAX_TEXT]
        option = option or None
        command = command or None
        chat_id, new_cookie = _identity(request)
        if command is None and text.startswith("/") and len(text) > 1:
            command, _sep, rest = text[1:].partition(" ")
            command, text = command.lower(), rest
            body_args = rest
        else:
            body_args = ""
        incoming = Incoming(
            channel="web",
            user_id=chat_id,
            text=text if command is None else "",
            command=command,
            args=body_args,
            option=option,
            locale=request.headers.get("Accept-Language", "")[:2] or None,
            origin=self._origin(request),
        )
        return await self._answer(incoming, chat_id, new_cookie)

    async def upload(self, request: web.Request) -> web.Response:
        """A file sent from the page (an officer's list), as a document."""
        if not request.content_type.startswith("multipart/"):
            return web.json_response({"error": "expected a file"}, status=415)
        reader = await request.multipart()
        part = await reader.next()
        while part is not None and getattr(part, "name", None) != "file":
            part = await reader.next()
        if not isinstance(part, BodyPartReader):
            return web.json_response({"error": "expected a file"}, status=400)
        name = (part.filename or "file")[-200:]
        data = bytearray()
        too_large = False
        while chunk := await part.read_chunk(64 * 1024):
            data += chunk
            if len(data) > MAX_UPLOAD:
                too_large = True  # say so, and stop reading
                break
        chat_id, new_cookie = _identity(request)
        incoming = Incoming(
            channel="web",
            user_id=chat_id,
            document=FileUpload(name, b"" if too_large else bytes(data), too_large=too_large),
            locale=request.headers.get("Accept-Language", "")[:2] or None,
            origin=self._origin(request),
        )
        return await self._answer(incoming, chat_id, new_cookie)

    def _origin(self, request: web.Request) -> str | None:
        """Where a message came from, for the per-address limit on failed checks."""
        address = client_address(
            request.remote, request.headers.get("X-Forwarded-For"), self.trusted_proxies
        )
        return f"ip:{address}" if address else None

    async def _answer(self, incoming: Incoming, chat_id: str, new_cookie: bool) -> web.Response:
        replies = await self.dispatcher.handle(incoming)
        resp = web.json_response({"replies": [reply_json(r) for r in replies]})
        if new_cookie:
            resp.set_cookie(
                COOKIE,
                chat_id,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="Strict",
                secure=self.secure_cookie,
            )
        return resp


def client_address(
    remote: str | None, forwarded_for: str | None, trusted: tuple[str, ...]
) -> str | None:
    """The browser's address. Behind a trusted proxy it is the last address in
    X-Forwarded-For that is not itself a trusted proxy (the one the proxy saw);
    from anyone else the header is ignored, as it could be made up."""
    if remote is None or not _is_trusted(remote, trusted) or not forwarded_for:
        return remote
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else remote


def _is_trusted(address: str, trusted: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(trusted))


@functools.cache
def _networks(
    trusted: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The trusted proxies as networks, parsed once (the settings check them at start)."""
    out = []
    for entry in trusted:
        try:
            out.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return tuple(out)


def _identity(request: web.Request) -> tuple[str, bool]:
    """This browser's chat identity (its cookie), or a new one: (id, is new)."""
    chat_id = request.cookies.get(COOKIE)
    if not chat_id or len(chat_id) < 16 or len(chat_id) > 64:
        return secrets.token_urlsafe(24), True
    return chat_id, False
