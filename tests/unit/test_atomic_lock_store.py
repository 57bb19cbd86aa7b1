"""The Redis lock store hands out each ticket once, also to processes asking at the same time.

Against the real Redis on 127.0.0.1:6379 (skipped with the reason where it is absent).
"""

from __future__ import annotations

import threading
import uuid

import pytest
import redis

from bot.locks import AtomicRedisLockStore


@pytest.fixture
def store() -> AtomicRedisLockStore:
    try:
        redis.Redis("127.0.0.1", 6379, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at 127.0.0.1:6379: {type(exc).__name__}")
    return AtomicRedisLockStore(host="127.0.0.1", port=6379, db=0, key_prefix=f"t{uuid.uuid4().hex[:8]}")


def test_tickets_issued_at_the_same_moment_are_all_different(store: AtomicRedisLockStore) -> None:
    conversation = "same-customer"
    issued: list[int] = []
    start = threading.Barrier(4)

    def issue_many() -> None:
        start.wait()
        for _ in range(50):
            issued.append(store.issue_ticket(conversation, lock_lifetime=60))

    threads = [threading.Thread(target=issue_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(issued) == list(range(200))  # unique, gap-free: served in issue order


async def test_a_later_ticket_waits_until_the_holder_is_done(store: AtomicRedisLockStore) -> None:
    async with store.lock("c1"):
        waiting = store.issue_ticket("c1")
        assert store.get_lock("c1").is_locked(waiting)  # an earlier ticket is being served
        store.cleanup("c1", waiting)
    assert store.get_lock("c1") is None  # nobody waiting: the lock is gone
