"""A logged-in shop account, vouched for by the shop's own web server (docs/SHOP_LOGIN.md).

The shop's site signs a short token for the customer it has logged in and hands it to the
web widget (rasa-webchat `customData: {"shop_token": …}`) or puts it in a REST message's
`metadata.shop_token`. The gateway checks it and passes only the account it proves on to the
dialogue (`metadata.shop_account`); a `shop_account` the client sent itself is dropped. An
order whose shop account is that account is the customer's own (actions/form_facts.py).

    v1.<account, base64url without padding>.<expiry, unix seconds>.<HMAC-SHA256 hex>

The HMAC is over `v1.<account part>.<expiry>` with the secret shared with the shop
(credentials.yml `shop_login: {secret: …}`, or QINGTING_SHOP_LOGIN_SECRET). Without a secret
no token is accepted. A token proves its account only to the conversation that presented it
first (bot/channels/shop_token_uses.py): one copied into another conversation proves nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import time
from typing import Any

from bot.channels.shop_token_uses import ShopTokenUses
from bot.credentials import load_credentials

VERSION = "v1"
KEY_VARIABLE = "QINGTING_SHOP_LOGIN_SECRET"
MAX_LIFETIME_S = 24 * 3600  # a token claiming to live longer than a day is not accepted
PROOF_FIELD = "shop_token"  # what the client sends
ACCOUNT_FIELD = "shop_account"  # what the dialogue reads: set only by the gateway
_TOKEN = re.compile(r"^v1\.([A-Za-z0-9_-]{1,172})\.(\d{1,12})\.([0-9a-f]{64})$")


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


class ShopLogin:
    def __init__(self, secret: str | bytes | None, uses: ShopTokenUses | None = None) -> None:
        self._key = secret.encode() if isinstance(secret, str) else secret
        self.uses = uses  # without it (unit tests) a token is not bound to a conversation

    @classmethod
    def configured(cls, database_url: str) -> ShopLogin:
        section = load_credentials("shop_login") or {}
        return cls(section.get("secret") or os.environ.get(KEY_VARIABLE) or None, ShopTokenUses(database_url))

    @property
    def enabled(self) -> bool:
        return bool(self._key)

    def token_for(self, account: str, expires_at: int) -> str:
        """What the shop's server makes (here for tests and the documentation's example)."""
        assert self._key, "no shop login secret configured"
        body = f"{VERSION}.{_b64(account)}.{int(expires_at)}"
        return f"{body}.{self._mac(body)}"

    def account_of(self, token: object, now: float | None = None) -> str | None:
        """The shop account a token proves, or None (unsigned, forged, expired, no secret)."""
        checked = self._checked(token, now)
        return checked[0] if checked else None

    def _checked(self, token: object, now: float | None = None) -> tuple[str, int] | None:
        """The account and expiry of a well-signed, unexpired token."""
        if not self._key or not isinstance(token, str):
            return None
        match = _TOKEN.match(token)
        if match is None:
            return None
        body = token.rsplit(".", 1)[0]
        if not hmac.compare_digest(match.group(3), self._mac(body)):
            return None
        now = time.time() if now is None else now
        expires = int(match.group(2))
        if not now < expires <= now + MAX_LIFETIME_S:
            return None
        try:
            account = base64.urlsafe_b64decode(match.group(1) + "=" * (-len(match.group(1)) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return (account.strip(), expires) if account.strip() else None

    async def vouch(self, metadata: dict[str, Any] | None, sender_id: str) -> dict[str, Any] | None:
        """A message's metadata as the dialogue may trust it: the token replaced by the
        account it proves to this conversation; an account the client named itself removed."""
        if not metadata:
            return metadata
        clean = {k: v for k, v in metadata.items() if k not in (PROOF_FIELD, ACCOUNT_FIELD)}
        token = metadata.get(PROOF_FIELD)
        checked = self._checked(token)
        if checked and (self.uses is None or await self.uses.belongs_to(str(token), sender_id, checked[1])):
            clean[ACCOUNT_FIELD] = checked[0]
        return clean

    def _mac(self, body: str) -> str:
        assert self._key
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
