"""Short-lived files served by the bot's own web server.

Messengers that take a picture or a file only by URL (Zalo's bot cannot
upload) get a link to ``/media/<token>.<ext>``: the token is random and
unguessable, the file lives in memory for ``ttl`` seconds and is then gone.
The files stay in the process that made them, so with several bot processes
behind one address the reverse proxy must send ``/media/`` to the right one
(or run the channel that needs it in one process).
"""

from __future__ import annotations

import mimetypes
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from aiohttp import web

MEDIA_PATH = "/media"
SAFE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".csv", ".xlsx", ".txt"}


@dataclass(frozen=True)
class _Item:
    data: bytes
    mime_type: str
    filename: str
    expires: float


class MediaStore:
    def __init__(
        self,
        *,
        ttl: float = 3600.0,
        max_bytes: int = 64 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_bytes = max_bytes
        self.clock = clock
        self._items: OrderedDict[str, _Item] = OrderedDict()
        self._bytes = 0

    def _suffix(self, filename: str, mime_type: str) -> str:
        suffix = PurePosixPath(filename).suffix.lower()
        if suffix not in SAFE_SUFFIXES:
            suffix = mimetypes.guess_extension(mime_type) or ".bin"
        return suffix

    def put(self, data: bytes, mime_type: str, filename: str) -> str:
        """Keep ``data`` and return its path on the web server."""
        self._expire()
        name = secrets.token_urlsafe(24) + self._suffix(filename, mime_type)
        self._items[name] = _Item(data, mime_type, filename, self.clock() + self.ttl)
        self._bytes += len(data)
        while self._bytes > self.max_bytes and len(self._items) > 1:
            _old, item = self._items.popitem(last=False)
            self._bytes -= len(item.data)
        return f"{MEDIA_PATH}/{name}"

    def get(self, name: str) -> _Item | None:
        self._expire()
        return self._items.get(name)

    def _expire(self) -> None:
        now = self.clock()
        while self._items:
            name, item = next(iter(self._items.items()))
            if item.expires > now:
                break
            del self._items[name]
            self._bytes -= len(item.data)

    def routes(self) -> list[web.AbstractRouteDef]:
        return [web.get(MEDIA_PATH + "/{name}", self._serve)]

    async def _serve(self, request: web.Request) -> web.Response:
        item = self.get(request.match_info["name"])
        if item is None:
            return web.Response(status=404, text="not found")
        return web.Response(
            body=item.data,
            content_type=item.mime_type,
            headers={
                "Cache-Control": "private, max-age=300",
                "Content-Disposition": f'inline; filename="{_ascii(item.filename)}"',
                "X-Content-Type-Options": "nosniff",
            },
        )


def _ascii(name: str) -> str:
    return "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_" for ch in name
    )
