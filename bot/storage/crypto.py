"""Personal data at rest: Fernet-encrypted columns, masking for display, keyed hashes for lookup."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.types import String, Text, TypeDecorator

from bot.storage.masking import mask_personal_data, mask_phone

_fernet: Fernet | None = None
_hash_key: bytes = b""


def configure(key: bytes) -> None:
    global _fernet, _hash_key
    _fernet = Fernet(key)
    _hash_key = hashlib.sha256(b"qingting-lookup:" + key).digest()


def _cipher() -> Fernet:
    if _fernet is None:
        from bot.settings import load_settings

        configure(load_settings().secret_key())
    assert _fernet is not None
    return _fernet


def encrypt(value: str) -> str:
    return _cipher().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        return "***"  # a value written under another key stays unreadable, never crashes


def lookup_hash(value: str) -> str:
    """A keyed hash: equal phones find each other without storing them in clear."""
    _cipher()
    return hmac.new(_hash_key, value.encode(), hashlib.sha256).hexdigest()


class EncryptedText(TypeDecorator):
    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[override]
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):  # type: ignore[override]
        return None if value is None else decrypt(value)


class EncryptedJSONText(TypeDecorator):
    """Encrypts Rasa's serialised tracker events (they hold the customer's own words).

    Rows written before encryption was switched on start with "{" and are read as they are.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[override]
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):  # type: ignore[override]
        if value is None or value.startswith("{"):
            return value
        try:
            return _cipher().decrypt(value.encode()).decode()
        except InvalidToken:
            raise UnreadableRecord(
                "a tracker event was written under another secret key: every process must share "
                "QINGTING_SECRET_KEY (docs/SCALE_OUT.md)"
            ) from None


class UnreadableRecord(RuntimeError):
    """Stored data this process cannot decrypt (a key mismatch between processes)."""


__all__ = ["mask_personal_data", "mask_phone"]  # masking lives in bot/storage/masking.py
