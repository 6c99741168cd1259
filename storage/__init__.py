"""Persistence: the only package that writes SQL."""

from storage.crypto import Vault
from storage.db import Database, Tx

__all__ = ["Database", "Tx", "Vault"]
