"""Rasa's Redis lock store with atomic updates.

Rasa 3.6's RedisLockStore changes a conversation's ticket lock by GET, edit in Python, SET.
Two processes issuing a ticket for the same conversation at the same moment both read the
same lock, both take the same ticket number and both "hold" the lock: their turns run at
once and one of the two customer messages vanishes from the tracker (seen in
tests/scaleout). Here every change is one Redis transaction (WATCH/MULTI/EXEC, retried on
conflict), so tickets are unique and served in the order they were issued.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore

T = TypeVar("T")
# A Redis call that hangs must not freeze the event loop for Rasa's default 10 s.
SOCKET_TIMEOUT_S = 2.0


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(socket_timeout=SOCKET_TIMEOUT_S, **kwargs)

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
