"""Text rendering shared by channel adapters (no messenger SDK here)."""

from __future__ import annotations

from handlers.types import Reply


def split_text(text: str, limit: int) -> list[str]:
    """Split a long message on line boundaries into parts of at most ``limit``
    characters; a single line longer than ``limit`` is cut hard."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def numbered(reply: Reply) -> str:
    """The reply's text with its options as a numbered list below it, for
    messengers without buttons: the person answers with the number ("2"),
    "số 2", or the option's words."""
    if not reply.options:
        return reply.text
    lines = [f"{i}. {o.label}" for i, o in enumerate(reply.options, start=1)]
    return reply.text + "\n\n" + "\n".join(lines)
