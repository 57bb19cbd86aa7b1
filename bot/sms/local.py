"""The default SMS adapter: a local outbox table (the phone encrypted, a masked copy for
display), which a shop's own SMS gateway integration drains. It never fails: with no
provider configured, "delivered" means "queued in the outbox"."""

from __future__ import annotations

import asyncio

from bot.storage import models as m
from bot.storage.crypto import mask_phone
from bot.storage.db import session_scope

MAX_SMS_CHARS = 300


class LocalSmsOutbox:
    def __init__(self, database_url: str) -> None:
        self.url = database_url

    async def send(self, phone: str, text: str) -> bool:
        await asyncio.to_thread(self._store, phone, text[:MAX_SMS_CHARS])
        return True

    def _store(self, phone: str, text: str) -> None:
        with session_scope(self.url) as db:
            db.add(m.SmsMessage(phone=phone, phone_masked=mask_phone(phone), text=text))
