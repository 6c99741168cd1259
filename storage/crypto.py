"""Protection of personal numbers at rest.

Citizen IDs and phone numbers are stored twice: as a keyed hash (HMAC-SHA256)
for lookups, and encrypted (Fernet: AES-128-CBC + HMAC) for display. Both keys
are derived from BOT_SECRET_KEY with HKDF, so a copy of the database alone
exposes neither.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"allowance-bot", info=purpose).derive(
        secret.encode("utf-8")
    )


class Vault:
    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise ValueError("BOT_SECRET_KEY must be at least 16 characters")
        self._hash_key = _derive(secret, b"lookup-hash")
        # Keyed once; each hash starts from a copy (an import hashes every row).
        self._hmac = hmac.new(self._hash_key, digestmod=hashlib.sha256)
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"encryption")))

    def lookup_hash(self, value: str) -> str:
        mac = self._hmac.copy()
        mac.update(value.encode("utf-8"))
        return mac.hexdigest()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:  # wrong key: say so instead of a bare traceback
            raise ValueError(
                "cannot decrypt: BOT_SECRET_KEY differs from the one used to write"
            ) from exc
