"""The local web chat (aiohttp): a page to chat with the bot in a browser.

Each browser gets its own identity from a random cookie. The page talks to
``POST /api/chat`` with JSON and renders replies with buttons.
"""

from __future__ import annotations

import base64
import logging
import secrets
from pathlib import Path

from aiohttp import web

from handlers.core import Dispatcher
from handlers.types import Incoming, Reply

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent.parent / "static"
COOKIE = "chat_id"
MAX_TEXT = 2000


def reply_json(reply: Reply) -> dict:
    out: dict = {
        "text": reply.text,
        "keyboard": reply.keyboard,
        "options": [{"id": o.id, "label": o.label} for o in reply.options],
    }
    if reply.attachments:
        # A chart or a spreadsheet, inline as base64: the page shows an image
        # or offers the file to save.
        out["attachments"] = [
            {
                "kind": a.kind,
                "filename": a.filename,
                "mime_type": a.mime_type,
                "data": base64.b64encode(a.data).decode("ascii"),
            }
            for a in reply.attachments
        ]
    return out


class WebChat:
    def __init__(self, dispatcher: Dispatcher, *, secure_cookie: bool = False) -> None:
        self.dispatcher = dispatcher
        self.secure_cookie = secure_cookie

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.get("/", self.index),
            web.post("/api/chat", self.chat),
            web.static("/static", STATIC),
        ]

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
        chat_id = request.cookies.get(COOKIE)
        new_cookie = False
        if not chat_id or len(chat_id) < 16 or len(chat_id) > 64:
            chat_id = secrets.token_urlsafe(24)
            new_cookie = True
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
            origin=f"ip:{request.remote}" if request.remote else None,
        )
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
