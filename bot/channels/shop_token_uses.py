"""Which conversation a shop login token belongs to (docs/SHOP_LOGIN.md).

A token is a bearer proof: whoever holds it could present it. The shop's widget presents it at
once, so the first conversation to present a token keeps it, and the same token from any other
conversation proves nothing. The binding is a row per token (its SHA-256, never the token)
until the token expires; the primary key settles two processes binding it at the same moment.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.storage import models as m
from bot.storage.db import session_scope

RECENT = 2048  # bindings this process has confirmed: later messages need no database read


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ShopTokenUses:
    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self._recent: OrderedDict[str, str] = OrderedDict()

    async def belongs_to(self, token: str, sender_id: str, expires_at: int) -> bool:
        """True when this conversation presented the token first (binding it now if it is new)."""
        digest = token_digest(token)
        if self._recent.get(digest) == sender_id:
            return True
        owner = await asyncio.to_thread(self._bind, digest, sender_id, expires_at)
        if owner == sender_id:
            self._remember(digest, sender_id)
        return owner == sender_id

    def _bind(self, digest: str, sender_id: str, expires_at: int) -> str:
        expiry = datetime.fromtimestamp(expires_at, tz=timezone.utc).replace(tzinfo=None)
        with session_scope(self.url) as db:
            owner = db.execute(select(m.ShopTokenUse.sender_id).where(m.ShopTokenUse.token_digest == digest)
                               ).scalar_one_or_none()
            if owner is not None:
                return str(owner)
            db.execute(delete(m.ShopTokenUse).where(m.ShopTokenUse.expires_at < m.utcnow()))
            try:
                with db.begin_nested():
                    db.add(m.ShopTokenUse(token_digest=digest, sender_id=sender_id, expires_at=expiry))
            except IntegrityError:  # another process bound it this moment
                return str(db.execute(select(m.ShopTokenUse.sender_id)
                                      .where(m.ShopTokenUse.token_digest == digest)).scalar_one())
            return sender_id

    def _remember(self, digest: str, sender_id: str) -> None:
        self._recent[digest] = sender_id
        self._recent.move_to_end(digest)
        while len(self._recent) > RECENT:
            self._recent.popitem(last=False)
