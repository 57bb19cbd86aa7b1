"""Rasa's Redis lock store with atomic updates.

Rasa 3.6's RedisLockStore changes a conversation's ticket lock by GET, edit in Python, SET.
Two processes issuing a ticket for the same conversation at the same moment both read the
same lock, both take the same ticket number and both "hold" the lock: their turns run at
once and one of the two customer messages vanishes from the tracker (seen in
tests/scaleout). Here every change is one Redis transaction (WATCH/MULTI/EXEC, retried on
conflict), so tickets are unique and served in the order they were issued.

Rasa's tickets also live 60 s: a process killed while holding a conversation's lock left that
customer unanswered for a minute. Here a ticket lives a few seconds and its holder renews it
while it is alive (a heartbeat), so a dead holder's ticket lapses quickly and a live one's never.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncGenerator, Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore

T = TypeVar("T")
# A Redis call that hangs must not freeze the event loop for Rasa's default 10 s.
SOCKET_TIMEOUT_S = 2.0
# How long a ticket lives without its holder's heartbeat; renewed every third of it.
TICKET_LIFETIME_S = 20.0

logger = logging.getLogger(__name__)


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, ticket_lifetime: float = TICKET_LIFETIME_S, **kwargs: Any) -> None:
        super().__init__(socket_timeout=SOCKET_TIMEOUT_S, **kwargs)
        self.ticket_lifetime = ticket_lifetime

    @contextlib.asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float | None = None,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ticket lock, with the ticket kept alive by its holder (waiting or serving)."""
        lifetime = lock_lifetime or self.ticket_lifetime
        ticket = self.issue_ticket(conversation_id, lifetime)
        heartbeat = asyncio.create_task(self._keep_alive(conversation_id, ticket, lifetime))
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            heartbeat.cancel()
            self.cleanup(conversation_id, ticket)

    async def _keep_alive(self, conversation_id: str, ticket: int, lifetime: float) -> None:
        while True:
            await asyncio.sleep(lifetime / 3)
            try:
                await asyncio.to_thread(self.renew, conversation_id, ticket, lifetime)
            except Exception as exc:  # noqa: BLE001 - Redis away for a moment: try again next beat
                logger.warning("lock heartbeat for a conversation failed: %s", type(exc).__name__)

    def renew(self, conversation_id: str, ticket_number: int, lifetime: float) -> None:
        """Push the ticket's expiry `lifetime` seconds ahead (nothing when it is gone)."""
        def extend(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            for ticket in lock.tickets if lock is not None else []:
                if ticket.number == ticket_number:
                    ticket.expires = time.time() + lifetime
            return lock, None

        self._change(conversation_id, extend)

    def _change(self, conversation_id: str, edit: Callable[[TicketLock | None], tuple[TicketLock | None, T]]) -> T:
        """Apply `edit` to the stored lock atomically; it returns (lock to store or None to
        delete, result)."""
        key = self.key_prefix + conversation_id

        def attempt(pipe: Any) -> T:
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            new_lock, result = edit(lock)
            pipe.multi()
            if new_lock is None:
                pipe.delete(key)
            else:
                pipe.set(key, new_lock.dumps())
            return result

        return self.red.transaction(attempt, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        return self._change(conversation_id, issue)

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, drop_expired)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, finish)
