"""Messages waiting for a customer who is not connected: kept in the database, delivered in
order on their next visit, once (also with several processes), and never lost on a restart.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select, update

from bot.storage import models as m
from bot.storage.db import session_scope

PER_SENDER_LIMIT = 50  # a customer away for weeks gets the newest 50, not an endless scroll
# A message may carry a stable id under this key (a follow-up's words: "followup:<id>:<n>"). A
# retry that puts it again (the process died between putting it and recording the delivery)
# stores nothing new, so the customer reads it once. The key never reaches the customer.
ONCE_KEY = "once"


class Outbox:
    def __init__(self, database_url: str) -> None:
        self.url = database_url

    async def put(self, sender_id: str, channel: str, messages: list[dict[str, Any]]) -> None:
        if messages:
            await asyncio.to_thread(self._put, sender_id, channel, messages)

    async def take(self, sender_id: str) -> list[dict[str, Any]]:
        """The waiting messages, oldest first, marked delivered in the same transaction."""
        return await asyncio.to_thread(self._take, sender_id)

    def _put(self, sender_id: str, channel: str, messages: list[dict[str, Any]]) -> None:
        with session_scope(self.url) as db:
            if any(ONCE_KEY in msg for msg in messages):
                stored = db.execute(select(m.OutboxMessage.payload).where(m.OutboxMessage.sender_id == sender_id))
                seen = {payload.get(ONCE_KEY) for payload in stored.scalars() if isinstance(payload, dict)}
                messages = [msg for msg in messages if msg.get(ONCE_KEY) is None or msg[ONCE_KEY] not in seen]
            db.add_all(m.OutboxMessage(sender_id=sender_id, channel=channel, payload=msg) for msg in messages)

    def _take(self, sender_id: str) -> list[dict[str, Any]]:
        # One UPDATE stamps this call's token on every waiting row; a concurrent take (another
        # tab, another process) stamps none of the same rows, so each message goes out once.
        token = m.new_id()
        pending = (m.OutboxMessage.sender_id == sender_id, m.OutboxMessage.delivered_at.is_(None))
        with session_scope(self.url) as db:
            # Nearly every turn finds nothing waiting: a read keeps it off the write lock.
            if db.execute(select(m.OutboxMessage.id).where(*pending).limit(1)).first() is None:
                return []
            db.execute(
                update(m.OutboxMessage)
                .where(*pending)
                .values(delivered_at=m.utcnow(), claim_token=token)
                .execution_options(synchronize_session=False)
            )
            payloads = db.execute(
                select(m.OutboxMessage.payload).where(m.OutboxMessage.claim_token == token).order_by(m.OutboxMessage.id)
            ).scalars().all()
        return [_without_key(p) for p in payloads][-PER_SENDER_LIMIT:]


def _without_key(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != ONCE_KEY} if isinstance(payload, dict) else payload
