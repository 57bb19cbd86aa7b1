"""Liveness, readiness and graceful shutdown of one server process.

`/health` says the process answers (a load balancer restarts it otherwise). `/ready` says it
should get traffic: the model is loaded, the database and (when configured) Redis answer, and
the process is not draining. On SIGTERM aiohttp stops accepting connections and runs
`drain`: `/ready` turns 503, in-flight turns finish (bounded), then socket.io clients are
disconnected so their widgets reconnect to another process and carry on the same session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field

from aiohttp import web
from sqlalchemy import text

from bot.appkeys import AGENT, GATEWAY, SETTINGS
from bot.storage.db import engine_for

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 2.0
DRAIN_TIMEOUT_S = 12.0


@dataclass
class Lifecycle:
    draining: bool = False
    sio: object | None = field(default=None, repr=False)


LIFECYCLE = web.AppKey("lifecycle", Lifecycle)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    app = request.app
    agent = app.get(AGENT)
    checks = {
        "model": agent is not None and agent.is_ready(),
        "database": await _database_answers(app[SETTINGS].database_url),
        "not_draining": not app[LIFECYCLE].draining,
    }
    if app[SETTINGS].redis_url:
        checks["redis"] = await _redis_answers(app[SETTINGS].redis_url)
    ok = all(checks.values())
    return web.json_response({"ready": ok, "checks": checks}, status=200 if ok else 503)


async def _database_answers(url: str) -> bool:
    def ping() -> None:
        with engine_for(url).connect() as connection:
            connection.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(asyncio.to_thread(ping), CHECK_TIMEOUT_S)
        return True
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        log.warning("readiness: database check failed (%s)", type(exc).__name__)
        return False


async def _redis_answers(url: str) -> bool:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url, socket_timeout=CHECK_TIMEOUT_S, socket_connect_timeout=CHECK_TIMEOUT_S)
    try:
        return bool(await client.ping())
    except Exception as exc:  # noqa: BLE001
        log.warning("readiness: redis check failed (%s)", type(exc).__name__)
        return False
    finally:
        await client.close()


async def drain(app: web.Application) -> None:
    """on_shutdown: let in-flight turns finish, then release the socket.io clients."""
    state = app[LIFECYCLE]
    state.draining = True
    _ignore_repeated_stop_signals()
    finished = await app[GATEWAY].wait_idle(DRAIN_TIMEOUT_S)
    log.info("shutdown: in-flight turns %s", "finished" if finished else "still running after the drain timeout")
    if state.sio is not None:
        await state.sio.shutdown()  # type: ignore[attr-defined]


def _ignore_repeated_stop_signals() -> None:
    """A second SIGTERM while draining must not abort the drain: `kill` on the process group of
    `serve --workers N` reaches each worker twice (directly and forwarded by the supervisor),
    and aiohttp would raise GracefulExit again in the middle of the cleanup (exit status 1)."""
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        # Outside the main thread (the app run in-process by tests) there is nothing to guard.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(number, log.info, "shutdown: already stopping, signal %s ignored", number)


def add_routes(app: web.Application, sio: object | None) -> None:
    app[LIFECYCLE] = Lifecycle(sio=sio)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.on_shutdown.append(drain)
