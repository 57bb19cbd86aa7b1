"""Signatures of the shop-system contract (docs/shop_webhook.openapi.yaml), both ways:

    X-Qingting-Timestamp: <unix seconds>
    X-Qingting-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

A request whose timestamp is further than the replay window from now is refused even with a
valid signature, so a captured request cannot be sent again later."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

TIMESTAMP = "X-Qingting-Timestamp"
SIGNATURE = "X-Qingting-Signature"
IDEMPOTENCY = "Idempotency-Key"
PREFIX = "sha256="


class SignatureRefused(Exception):
    """The message (Chinese) says what was wrong, never what the right signature is."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {TIMESTAMP: str(timestamp), SIGNATURE: sign(secret, timestamp, body)}


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float, window_s: int) -> None:
    raw = headers.get(TIMESTAMP, "")
    if not raw.isdigit() or len(raw) > 12:
        raise SignatureRefused("请求缺少有效的时间戳，请按接口约定签名后重发。")
    if abs(now - int(raw)) > window_s:
        raise SignatureRefused("请求的时间戳已超出有效期，请用当前时间重新签名后发送。")
    if not hmac.compare_digest(headers.get(SIGNATURE, ""), sign(secret, int(raw), body)):
        raise SignatureRefused("签名校验未通过，请核对共享密钥和签名方式后重发。")
