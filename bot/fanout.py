"""Process-to-process notices over Redis pub/sub (one process: a direct call).

Several identical processes behind a load balancer must act as one bot. Most of that is the
engines' job (PostgreSQL rows, Redis locks, socket.io's Redis manager); what is left is
telling "whoever holds this customer's connection" that something is waiting for them. A
notice carries no data that matters: the data is in the durable outbox, so a notice lost
while Redis is away only delays a message until the customer's next visit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.tasks import stop_task

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]
RECONNECT_S = (0.2, 0.5, 1.0, 2.0, 5.0)


class Fanout:
    def __init__(self, redis_url: str | None = None, namespace: str = "qingting") -> None:
        self.redis_url = redis_url
        self.channel = f"{namespace}:fanout"
        self._handlers: dict[str, list[Handler]] = {}
        self._listener: asyncio.Task | None = None  # type: ignore[type-arg]
        self._redis: Any = None

    @property
    def shared(self) -> bool:
        return self.redis_url is not None

    def on(self, topic: str, handler: Handler) -> None:
        self._handlers.setdefault(topic, []).append(handler)

    async def publish(self, topic: str, data: dict[str, Any]) -> None:
        """Every process's handlers for `topic` run (this one's included)."""
        if not self.shared:
            await self._dispatch(topic, data)
            return
        try:
            await self._client().publish(self.channel, json.dumps({"topic": topic, "data": data}))
        except Exception as exc:  # noqa: BLE001 - Redis away: at least this process hears it
            log.warning("fan-out of %s via Redis failed (%s); handled locally only", topic, type(exc).__name__)
            await self._dispatch(topic, data)

    async def start(self) -> None:
        if self.shared and self._listener is None:
            self._listener = asyncio.create_task(self._listen_forever())

    async def stop(self) -> None:
        await stop_task(self._listener)
        self._listener = None
        if self._redis is not None:
            await self._redis.close()
            self._redis = None

    def _client(self) -> Any:
        if self._redis is None:
            import redis.asyncio as aioredis

            self._redis = aioredis.Redis.from_url(self.redis_url, socket_timeout=5, socket_connect_timeout=2)
        return self._redis

    async def _listen_forever(self) -> None:
        failures = 0
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep listening across Redis restarts
                delay = RECONNECT_S[min(failures, len(RECONNECT_S) - 1)]
                failures += 1
                log.warning("fan-out listener lost Redis (%s); again in %.1f s", type(exc).__name__, delay)
                await asyncio.sleep(delay)

    async def _listen(self) -> None:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.redis_url, socket_connect_timeout=2, health_check_interval=10)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            async for raw in pubsub.listen():
                await self._on_raw(raw)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.close()
                await client.close()

    async def _on_raw(self, raw: dict[str, Any]) -> None:
        try:
            notice = json.loads(raw["data"])
            await self._dispatch(str(notice["topic"]), dict(notice["data"]))
        except (ValueError, KeyError, TypeError):
            log.warning("fan-out: ignored a malformed notice")

    async def _dispatch(self, topic: str, data: dict[str, Any]) -> None:
        for handler in self._handlers.get(topic, []):
            try:
                await handler(data)
            except Exception as exc:  # noqa: BLE001 - one bad handler must not stop the others
                log.warning("fan-out handler for %s failed: %s", topic, type(exc).__name__)
