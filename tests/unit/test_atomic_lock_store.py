"""The Redis lock store hands out each ticket once, also to processes asking at the same time.

Against the real Redis on 127.0.0.1:6379 (skipped with the reason where it is absent).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import redis

from bot.locks import AtomicRedisLockStore

ROOT = Path(__file__).resolve().parents[2]


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


async def test_a_live_holder_keeps_the_lock_past_its_tickets_lifetime(store: AtomicRedisLockStore) -> None:
    store.ticket_lifetime = 0.6  # renewed every 0.2 s while the holder lives
    order: list[str] = []

    async def holder() -> None:
        async with store.lock("c2", wait_time_in_seconds=0.05):
            order.append("holder in")
            await asyncio.sleep(2.0)  # three lifetimes
            order.append("holder out")

    async def waiter() -> None:
        await asyncio.sleep(0.1)
        async with store.lock("c2", wait_time_in_seconds=0.05):
            order.append("waiter in")

    await asyncio.gather(holder(), waiter())
    assert order == ["holder in", "holder out", "waiter in"]


HOLD_AND_HANG = """
import asyncio, sys
from bot.locks import AtomicRedisLockStore
store = AtomicRedisLockStore(ticket_lifetime=1.0, host="127.0.0.1", port=6379, db=0, key_prefix=sys.argv[1])
async def hold():
    async with store.lock("c3"):
        print("held", flush=True)
        await asyncio.sleep(3600)
asyncio.run(hold())
"""


async def test_a_lock_held_by_a_killed_process_is_free_again_within_seconds(store: AtomicRedisLockStore) -> None:
    prefix = store.key_prefix.split(":")[0]
    holder = subprocess.Popen([sys.executable, "-c", HOLD_AND_HANG, prefix], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held", holder.stderr.read()
        assert store.get_lock("c3") is not None
    finally:
        holder.kill()
        holder.wait()

    async def take() -> str:
        async with store.lock("c3", wait_time_in_seconds=0.2):
            return "served"

    # Rasa's own tickets would block this conversation for 60 s; this one lapses after 1 s.
    assert await asyncio.wait_for(take(), timeout=30) == "served"
