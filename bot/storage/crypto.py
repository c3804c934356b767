"""Encryption of personal data at rest with cryptography's MultiFernet (authenticated, key rotation)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["Cipher", "InvalidToken", "generate_key"]


def generate_key() -> str:
    """A new random Fernet key, as text for DATA_ENCRYPTION_KEYS."""
    return Fernet.generate_key().decode("ascii")


def _json_default(value: Any) -> str:
    # Dates in a summary come back as ISO-8601 strings.
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class Cipher:
    """Encrypts with the first (newest) key; decrypts with any of them."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_env(cls) -> Cipher:
        from bot.storage.config import encryption_keys

        return cls(encryption_keys())

    def encrypt_json(self, data: dict) -> bytes:
        text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_json_default)
        return self._fernet.encrypt(text.encode("utf-8"))

    def decrypt_json(self, token: bytes) -> dict:
        """Raises cryptography's InvalidToken when no key fits or the data was altered."""
        data = json.loads(self._fernet.decrypt(bytes(token)).decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("decrypted data is not a JSON object")
        return data

    def rotate(self, token: bytes) -> bytes:
        """The same data re-encrypted with the newest key (keeps the original timestamp)."""
        return self._fernet.rotate(bytes(token))
