"""How a capability plugs into the conversation.

The citizen's conversation (:mod:`handlers.citizen`) owns the entry point and
the main menu. Every other capability -- bank-account registration, volunteers,
officers' broadcasts, ... -- is a :class:`Feature`: the states it owns, the
option prefixes it answers, the commands it takes, and one step function for
each kind of input. The router gives a feature the message when the user is in
one of its states, tapped one of its options or typed one of its commands.

A feature module builds its ``FEATURE`` constant and is listed once in
:mod:`handlers.registry`. "menu", "cancel" and "back" keep working in every
state: cancel and menu are handled by the router; back asks the feature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from handlers.core import Context

OptionStep = Callable[[Context, str], Awaitable[None]]
TextStep = Callable[[Context, str], Awaitable[None]]
CommandStep = Callable[[Context, str, str], Awaitable[None]]
Step = Callable[[Context], Awaitable[None]]
Claim = Callable[[Context], Awaitable[bool]]


@dataclass(frozen=True)
class Feature:
    name: str
    # Conversation states this feature owns (``ctx.state.state``).
    states: frozenset[str] = frozenset()
    # Of those, the states that wait for typed data: there "2" is data, not
    # the second option.
    data_states: frozenset[str] = frozenset()
    # Option-id prefixes it answers: "bank" for "bank:confirm".
    prefixes: frozenset[str] = frozenset()
    # Slash commands it takes ("progress" for /progress).
    commands: frozenset[str] = frozenset()
    # A tapped (or typed and resolved) option with one of ``prefixes``.
    on_option: OptionStep | None = None
    # Typed text while the user is in one of ``states``.
    on_text: TextStep | None = None
    on_command: CommandStep | None = None
    # "Back" in one of ``states``.
    on_back: Step | None = None
    # Anything else in one of ``states``: a document, a location, a shared
    # contact, a photo or an empty message. Without it the router asks the
    # state's question again through ``on_back``'s neighbour: the menu.
    on_other: Step | None = None
    # Runs before everything else for every message; returns True when it
    # handled the message (e.g. a volunteer's invite code typed anywhere).
    claim: Claim | None = None
    # Main-menu entries by role ("citizen", "officer", "volunteer"):
    # (option id, msgid); the ids must carry one of ``prefixes``.
    menu: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # Free-text intents (matching-key phrases) -> option id.
    intents: dict[str, list[str]] = field(default_factory=dict)

    def owns_option(self, option: str) -> bool:
        return option.partition(":")[0] in self.prefixes
