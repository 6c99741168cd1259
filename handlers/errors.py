"""Typed, user-facing errors. Adapters never see these: the dispatcher turns
them into a translated reply and rolls the transaction back."""

from __future__ import annotations


class DomainError(Exception):
    """An error the user should be told about, in their language.

    ``message`` is an English msgid from the catalogs (a literal marked with
    ``_()`` where it is defined); ``params`` fill its ``{placeholders}``.
    """

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params
