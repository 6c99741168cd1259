"""Channel-neutral message types shared by handlers and channel adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Conversation states that show something rather than ask for it. Only there
# does a message pushed to the person (a payment message, the end of a
# broadcast) take over what a typed "1" means; in a form ("who should
# receive it? 1. everyone ..."), the form's own numbers stay.
AT_REST = frozenset({"menu", "bc_show"})


@dataclass(frozen=True)
class Option:
    """One choice offered to the user.

    ``id`` comes back in :attr:`Incoming.option` when the user taps it; the user
    may also type the option's number or its words.
    """

    id: str
    label: str


@dataclass(frozen=True)
class Attachment:
    kind: Literal["image", "document"]
    filename: str
    data: bytes
    mime_type: str


@dataclass
class Reply:
    """What the bot says back.

    ``keyboard`` tells the adapter how to render ``options``: ``"menu"`` is the
    main menu (a large persistent keyboard on Telegram), ``"inline"`` is a choice
    inside a step. ``request_contact``, when set, is the label of a "share my
    phone number" button for channels that have one (Telegram).
    """

    text: str
    options: list[Option] = field(default_factory=list)
    keyboard: Literal["inline", "menu"] = "inline"
    request_contact: str | None = None
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class FileUpload:
    """A file the user sent (a document on Telegram). ``too_large`` is set,
    with no data, when the channel would not fetch a file that big."""

    filename: str
    data: bytes
    too_large: bool = False


@dataclass(frozen=True)
class Incoming:
    """One message from a user, whatever the channel.

    ``user_id`` is the channel's own identity of the person (a string: Zalo IDs
    are strings, Telegram's numbers are turned into strings). ``command`` is set
    for slash commands (``"start"`` for ``/start``) with ``args`` holding what
    followed. ``option`` is the id of a tapped option. ``contact_phone`` is set
    when the user shared their own contact card (channels must check that the
    contact is the sender's own).
    """

    channel: str
    user_id: str
    text: str = ""
    command: str | None = None
    args: str = ""
    option: str | None = None
    contact_phone: str | None = None
    location: tuple[float, float] | None = None
    locale: str | None = None
    display_name: str | None = None
    # The channel can offer a "share my phone number" button (Telegram).
    can_share_contact: bool = False
    # The channel shows options as buttons. Without (Zalo), they are a
    # numbered list and the person types the number: say "type", not "tap".
    buttons: bool = True
    # Where the message came from on the network, for channels whose identities
    # cost nothing to make (the web chat's cookie): e.g. "ip:203.0.113.7".
    origin: str | None = None
    document: FileUpload | None = None
