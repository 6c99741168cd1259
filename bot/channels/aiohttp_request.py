"""An aiohttp transport for python-telegram-bot's ``Bot``.

Replies and polling go through it as PTB's transport (several times less CPU
per call than the default httpx one). Proactive messages use
:meth:`AiohttpRequest.post_json` directly: one JSON body, no PTB request
building (see ``bot.channels.telegram._DeliveryBot``), which is what a
broadcast's rate is bound by.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    def __init__(self, *, connections: int = 64, timeout: float = 10.0) -> None:
        self._connections = connections
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(  # type: ignore[override]
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        total = self._timeout
        if not isinstance(read_timeout, DefaultValue) and isinstance(read_timeout, int | float):
            total = max(total, float(read_timeout))
        data: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            if request_data.contains_files:
                form = aiohttp.FormData()
                for name, value in request_data.multipart_data.items():
                    if isinstance(value, tuple):
                        filename, content, mime = value
                        form.add_field(name, content, filename=filename, content_type=mime)
                    else:
                        form.add_field(name, value)
                for name, param in request_data.json_parameters.items():
                    form.add_field(name, param)
                data = form
            else:
                # Encoded here, as aiohttp would encode the dict (the same
                # bytes): handed a dict, aiohttp first tries every payload
                # type it knows, then builds a FormData, for each message.
                data = urlencode(request_data.json_parameters).encode()
                headers = _FORM
        return await self._exchange(method, url, data, headers, total)

    async def post_json(self, url: str, params: dict[str, object]) -> tuple[int, bytes]:
        """POST ``params`` as a JSON body (what the Bot API takes for any call
        without files); the answer's status and body."""
        body = json.dumps(params, ensure_ascii=False).encode()
        return await self._exchange("POST", url, body, _JSON, self._timeout)

    async def _exchange(
        self,
        method: str,
        url: str,
        data: aiohttp.FormData | bytes | None,
        headers: dict[str, str] | None,
        total: float,
    ) -> tuple[int, bytes]:
        """One request: its status and body. Timeouts raise TimedOut,
        connection problems NetworkError (PTB's errors)."""
        if self._session is None:
            raise RuntimeError("this AiohttpRequest is not initialized")
        try:
            async with self._session.request(
                method,
                url,
                data=data,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=total),
            ) as resp:
                return resp.status, await resp.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err
