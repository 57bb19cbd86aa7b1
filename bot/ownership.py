"""Whether an order quoted in a conversation is the customer's own.

Quoting an order number proves nothing: anyone may read it off a parcel. Until the customer
proves the order is theirs, nothing about it is said back and it is not linked to the
complaint (actions/form_facts.py). Proof is one of: a logged-in shop account the shop's site
vouched for (bot/channels/shop_login.py) that owns the order; the WeChat OpenID the order's
customer has, on the WeChat channel; or the last four digits of the phone on the order.
"""

from __future__ import annotations

import hmac
import re

from bot.orders import OrderRecord
from bot.storage.crypto import lookup_hash

WECHAT_PREFIX = "wechat:"
_FOUR_DIGITS = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{5}(\d{4})(?!\d)")


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


def proven_without_asking(order: OrderRecord | None, *, shop_account: str | None, channel: str,
                          sender_id: str) -> str | None:
    """How the customer is already known as the order's owner ("shop_account" / "wechat"),
    or None. An order that does not exist is never proven."""
    if order is None:
        return None
    if _same(order.owner_account, shop_account):
        return "shop_account"
    if channel == "wechat" and sender_id.startswith(WECHAT_PREFIX):
        openid = sender_id[len(WECHAT_PREFIX):]
        if openid and _same(order.owner_openid_hash, lookup_hash(openid)):
            return "wechat"
    return None


def four_digits(answer: str) -> str | None:
    """The four digits in an answer like "5678", "尾号是 5678" or a whole mobile number; None
    if there are none or several candidates."""
    found = _FOUR_DIGITS.findall(answer or "") + _MOBILE.findall(answer or "")
    return found[0] if len(found) == 1 else None


def phone_digits_prove(order: OrderRecord | None, answer: str) -> bool:
    """The customer's answer holds the last four digits of the phone on the order. A missing
    order fails exactly like a wrong answer."""
    digits = four_digits(answer)
    expected = order.owner_phone_last4 if order is not None else None
    return _same(digits, expected) if digits else False
