"""A tiny driver for the dispatcher: talk to the bot as a person would."""

from __future__ import annotations

from handlers.core import Dispatcher
from handlers.types import Incoming, Reply


class Chat:
    def __init__(
        self,
        dispatcher: Dispatcher,
        user_id: str = "u1",
        channel: str = "web",
        origin: str | None = None,
    ) -> None:
        self.origin = origin
        self.dispatcher = dispatcher
        self.user_id = user_id
        self.channel = channel
        self.last: list[Reply] = []

    async def _send(self, **kw: object) -> list[Reply]:
        incoming = Incoming(
            channel=self.channel,
            user_id=self.user_id,
            can_share_contact=self.channel == "telegram",
            origin=self.origin,
            **kw,  # type: ignore[arg-type]
        )
        self.last = await self.dispatcher.handle(incoming)
        return self.last

    async def say(self, text: str) -> list[Reply]:
        return await self._send(text=text)

    async def tap(self, option: str) -> list[Reply]:
        return await self._send(option=option)

    async def command(self, name: str, args: str = "") -> list[Reply]:
        return await self._send(command=name, args=args)

    async def share_contact(self, phone: str) -> list[Reply]:
        return await self._send(contact_phone=phone)

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last)

    @property
    def options(self) -> list[tuple[str, str]]:
        for r in reversed(self.last):
            if r.options:
                return [(o.id, o.label) for o in r.options]
        return []

    def option_ids(self) -> list[str]:
        return [oid for oid, _label in self.options]

    async def link(self, national_id: str, born: str, who: str = "who:self") -> list[Reply]:
        await self.tap("menu:status")
        await self.tap(who)
        await self.say(national_id)
        return await self.say(born)
