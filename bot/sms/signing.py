"""Alibaba Cloud RPC request signing (signature version 1.0, HMAC-SHA1).

  CanonicalizedQueryString = the parameters except Signature, sorted by name, each
                             percentEncode(name) + "=" + percentEncode(value), joined by "&"
  StringToSign = HTTPMethod + "&" + percentEncode("/") + "&" + percentEncode(Canonicalized…)
  Signature    = base64(HMAC-SHA1(AccessKeySecret + "&", UTF-8(StringToSign)))

percentEncode is RFC 3986 over UTF-8: A-Z a-z 0-9 - _ . ~ stay, everything else is %XY with
upper-case hex (a space is %20, never "+"; "*" is %2A).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote


def percent_encode(value: str) -> str:
    return quote(value, safe="~")  # quote() leaves A-Z a-z 0-9 - _ . (and "~" here) alone


def canonical_query(params: Mapping[str, str]) -> str:
    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in pairs)


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_query(secret: str, method: str, params: Mapping[str, str]) -> str:
    """The query string to send: the parameters and their Signature, percent-encoded."""
    signed = {**params, "Signature": signature(secret, method, params)}
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in signed.items())
