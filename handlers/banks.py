"""The project's own list of banks and e-wallets that receive allowances
(``handlers/reference/banks.csv``; its source is named in the file's header), and
finding one from what a person types: part of a name, an abbreviation or a
BIN, with or without diacritics ("vietcom", "agri", "chinh sach xa hoi")."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from handlers.text import words

# Words that say "bank" or "wallet" rather than which one.
GENERIC = {"ngan", "hang", "nh", "bank", "tmcp", "vi", "dien", "tu", "cua", "toi", "la"}


@dataclass(frozen=True)
class Bank:
    bin: str
    short_name: str
    full_name: str
    aliases: tuple[str, ...]


def _compact(text: str) -> str:
    return "".join(words(text))


@cache
def all_banks() -> tuple[Bank, ...]:
    text = resources.files("handlers").joinpath("reference/banks.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    out = []
    for row in csv.DictReader(io.StringIO("\n".join(lines))):
        aliases = tuple(a.strip() for a in row["aliases"].split("|") if a.strip())
        out.append(Bank(row["bin"], row["short_name"], row["full_name"], aliases))
    return tuple(out)


def by_bin(bin_code: str) -> Bank | None:
    return next((b for b in all_banks() if b.bin == bin_code), None)


def find_banks(text: str) -> list[Bank]:
    """Banks matching what was typed, the most common first; one when the text
    names a bank exactly (its short name, an alias or its BIN)."""
    ws = words(text)
    specific = [w for w in ws if w not in GENERIC]
    ws = specific or ws
    query = "".join(ws)
    if len(query) < 2:
        return []
    exact = [
        b
        for b in all_banks()
        if query in {b.bin, _compact(b.short_name), *(_compact(a) for a in b.aliases)}
    ]
    if exact:
        return exact
    found = []
    for b in all_banks():
        names = [b.short_name, b.full_name, *b.aliases]
        if any(query in _compact(n) for n in names):
            found.append(b)
            continue
        full = words(b.full_name)
        if all(any(f.startswith(w) for f in full) for w in ws):
            found.append(b)
    return found
