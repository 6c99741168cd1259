"""The project's own snapshot of Vietnam's administrative units since 1 July 2025:
34 provinces and 3,321 communes, wards and special zones
(``handlers/reference/communes.csv``; its source is named in the file's header).

It answers "is this an official commune code?" and "which commune is this name?"
for imports and for ``commune add``. The communes the bot *serves* are still the
rows of the ``communes`` table; the snapshot only knows what exists."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from handlers.text import match_key

# Words naming the kind of unit rather than which one ("xã Hòa An" is "Hòa An").
COMMUNE_WORDS = ("xa ", "phuong ", "thi tran ", "dac khu ")
PROVINCE_WORDS = ("tinh ", "thanh pho ", "tp ", "tp. ")


@dataclass(frozen=True)
class OfficialCommune:
    code: str
    name: str
    province_code: str
    province_name: str


def commune_key(name: str) -> str:
    """A commune's name without its kind word, for matching ("Xã Hòa An" → "hoa an")."""
    return _strip(match_key(name), COMMUNE_WORDS)


def province_key(name: str) -> str:
    return _strip(match_key(name), PROVINCE_WORDS)


def _strip(key: str, words: tuple[str, ...]) -> str:
    for word in words:
        if key.startswith(word):
            return key[len(word) :].strip()
    return key


class CommuneSnapshot:
    def __init__(self, communes: list[OfficialCommune]) -> None:
        self.communes = tuple(communes)
        self.by_code = {c.code: c for c in communes}
        self.provinces = {c.province_code: c.province_name for c in communes}
        self._by_full: dict[str, list[OfficialCommune]] = {}
        self._by_short: dict[str, list[OfficialCommune]] = {}
        for c in communes:
            self._by_full.setdefault(match_key(c.name), []).append(c)
            self._by_short.setdefault(commune_key(c.name), []).append(c)

    def commune(self, code: str) -> OfficialCommune | None:
        return self.by_code.get(code.strip())

    def province(self, code: str) -> str | None:
        return self.provinces.get(code.strip())

    def find(self, text: str) -> list[OfficialCommune]:
        """Communes a written name may be: "Xã Hòa An", "hoa an", or with its
        province after a comma or a dash ("Phường An Phú, TP Hồ Chí Minh").
        The full name with its kind word is preferred to the bare name."""
        cleaned = text.replace("(", ",").replace(")", " ").replace(" - ", ",")
        name, _, province = cleaned.partition(",")
        found = self._by_name(name)
        if not found and not province.strip():
            name, province = self._split_province(name)
            found = self._by_name(name) if province else []
        if province.strip():
            wanted = province_key(province)
            found = [
                c
                for c in found
                if province_key(c.province_name) == wanted or c.province_code == province.strip()
            ]
        return found

    def _by_name(self, name: str) -> list[OfficialCommune]:
        return self._by_full.get(match_key(name)) or self._by_short.get(commune_key(name)) or []

    def _split_province(self, text: str) -> tuple[str, str]:
        """ "tan phu dong nai" → ("tan phu", "dong nai") when it ends with a province."""
        key = match_key(text)
        for province in self.provinces.values():
            tail = province_key(province)
            if key.endswith(" " + tail) and len(key) > len(tail) + 1:
                return key[: -len(tail) - 1], tail
        return text, ""


@cache
def official_communes() -> CommuneSnapshot:
    text = resources.files("handlers").joinpath("reference/communes.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    rows = csv.DictReader(io.StringIO("\n".join(lines)))
    return CommuneSnapshot(
        [
            OfficialCommune(
                r["commune_code"], r["commune_name"], r["province_code"], r["province_name"]
            )
            for r in rows
        ]
    )
