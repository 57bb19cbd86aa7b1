"""Who a web customer is: a session id the server issues, bound to a signed credential.

The server creates every web session id (128 random bits from `secrets`). The customer proves
it with a credential signed by the server: the chat page holds it in an HttpOnly cookie, the
rasa-webchat widget (which keeps the value `session_confirm` gives it) holds it as a token.
Anything else - an unknown, forged or client-made id - gets a fresh session, never someone
else's. Issued ids have their own shape (`web_` + 32 hex digits) that the REST channel never
accepts as a sender, so no other channel can name a web customer's conversation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from aiohttp import web

COOKIE = "qingting_customer"
COOKIE_MAX_AGE = 180 * 24 * 3600  # a customer may come back for a follow-up months later
PREFIX = "web_"
ISSUED = re.compile(r"^web_[0-9a-f]{32}$")
_TOKEN = re.compile(r"^(web_[0-9a-f]{32})\.([0-9a-f]{32})$")


class CustomerIdentity:
    """Issues session ids and checks the credentials that carry them."""

    def __init__(self, secret_key: bytes, *, secure_cookie: bool = False) -> None:
        self._key = hashlib.sha256(b"qingting-customer-identity:" + secret_key).digest()
        self.secure_cookie = secure_cookie

    @staticmethod
    def new_session_id() -> str:
        return PREFIX + secrets.token_hex(16)

    def token_for(self, session_id: str) -> str:
        return f"{session_id}.{self._mac(session_id)}"

    def session_of(self, token: object) -> str | None:
        """The session id a credential proves, or None for anything unsigned or forged."""
        match = _TOKEN.match(token) if isinstance(token, str) else None
        if match is None or not hmac.compare_digest(match.group(2), self._mac(match.group(1))):
            return None
        return match.group(1)

    def from_request(self, request: web.Request) -> str | None:
        return self.session_of(request.cookies.get(COOKIE))

    def set_cookie(self, response: web.StreamResponse, session_id: str) -> None:
        response.set_cookie(COOKIE, self.token_for(session_id), max_age=COOKIE_MAX_AGE, httponly=True,
                            samesite="Strict", secure=self.secure_cookie or None, path="/")

    def _mac(self, session_id: str) -> str:
        return hmac.new(self._key, session_id.encode(), hashlib.sha256).hexdigest()[:32]


IDENTITY = web.AppKey("customer_identity", CustomerIdentity)
