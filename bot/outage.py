"""Telling a storage outage (PostgreSQL/SQLite or Redis away for a moment) from a bug."""

from __future__ import annotations


def is_outage(exc: BaseException) -> bool:
    """Connection-level failures of PostgreSQL/SQLite or Redis (not bugs, not bad data).

    Nearly always they hit the turn's start (the lock or the tracker cannot be read), where
    trying again is safe. One hitting the final tracker save means the turn's events were not
    stored, and the retry replays the message on the stored tracker."""
    from rasa.core.lock_store import LockError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(exc, (RedisConnectionError, RedisTimeoutError, OperationalError, InterfaceError, LockError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
