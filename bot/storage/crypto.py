"""Personal data at rest: Fernet-encrypted columns, masking for display, keyed hashes for lookup."""

from __future__ import annotations

import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.types import String, Text, TypeDecorator

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


_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_ID_CARD = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+)")
# A street address: a place name, then a road/street/lane, then a number ("…路88号3栋").
# Words such as 超市 or 小区 alone are no address and stay readable.
_ADDRESS = re.compile(
    r"([\u4e00-\u9fa5]{2,6}(?:省|市|区|县|镇))?([\u4e00-\u9fa5]{1,12}(?:路|街|大道|巷|弄|胡同))"
    r"\s*\d+\s*号[\dA-Za-z\-栋幢单元室楼层号]*"
)


def mask_phone(phone: str) -> str:
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", phone)


def mask_personal_data(text: str) -> str:
    """Mask phones, ID numbers, e-mails and street addresses inside free text (for logs)."""
    text = _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***{m.group(2)}", text)
    return _ADDRESS.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}***", text)
