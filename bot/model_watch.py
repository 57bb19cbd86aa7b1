"""Hot reload: every server process watches models/qingting.tar.gz and loads a new model
into the SAME Agent object (the gateway, the takeover and the scheduler hold references to
it) without dropping conversations.

The model is loaded in a worker thread with Rasa's `Agent.load_model`, which builds a new
MessageProcessor and assigns it in one step; a turn already running keeps the processor it
started with, trackers stay in the database, so conversations simply continue on the new
model. A file that cannot be loaded (partial copy, broken archive) is refused and logged; the
old model keeps serving. QINGTING_MODEL_POLL_S sets the poll interval (default 5 s, 0 = off);
POST /api/console/training/reload asks for a reload now. GET /version tells logged-in staff
which model a process serves; anyone else learns only that it is up (no versions to read).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from rasa.core.agent import Agent

from bot.tasks import stop_task

log = logging.getLogger(__name__)
POLL_ENV = "QINGTING_MODEL_POLL_S"


@dataclass(frozen=True)
class FileState:
    mtime_ns: int
    size: int


def file_state(path: Path) -> FileState | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return FileState(stat.st_mtime_ns, stat.st_size)


class ModelWatcher:
    def __init__(self, agent: Agent, path: Path, interval_s: float) -> None:
        self.agent = agent
        self.path = path
        self.interval_s = interval_s
        self.loaded = file_state(path)
        self.loaded_at = time.time()
        self.reloads = 0
        self.last_error: str | None = None
        self._lock = asyncio.Lock()
        self._refused: FileState | None = None

    def info(self) -> dict[str, Any]:
        return {"model_id": self.agent.model_id, "model_name": self.agent.model_name,
                "reloads": self.reloads, "loaded_at": self.loaded_at,
                "file_mtime_ns": self.loaded.mtime_ns if self.loaded else None,
                "last_error": self.last_error, "poll_s": self.interval_s}

    async def check(self, force: bool = False) -> bool:
        """Load the file if it changed (or `force`); True when a new model now serves."""
        async with self._lock:
            state = file_state(self.path)
            if state is None or (not force and state in (self.loaded, self._refused)):
                return False
            await asyncio.sleep(0.5)  # a copy still being written changes size or mtime meanwhile
            if file_state(self.path) != state:
                return False
            return await self._load(state)

    async def _load(self, state: FileState) -> bool:
        old = self.agent.processor
        try:
            await asyncio.to_thread(self.agent.load_model, str(self.path))
            await self.agent.parse_message("你好")  # trace the graph before a customer pays for it
        except Exception as exc:  # noqa: BLE001 - a broken model must never take the old one down
            self.agent.processor = old
            if old is not None:
                self.agent.domain = old.domain
                self.agent.tracker_store.domain = old.domain
            self._refused = state
            self.last_error = type(exc).__name__
            log.error("new model at %s refused (%s); the previous model keeps serving", self.path,
                      type(exc).__name__)
            return False
        self.loaded, self._refused, self.last_error = state, None, None
        self.loaded_at = time.time()
        self.reloads += 1
        log.info("model reloaded: %s (id %s)", self.path.name, self.agent.model_id)
        return True

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.check()
            except Exception:  # noqa: BLE001 - the watcher must outlive any single failure
                log.exception("model watch failed")


WATCHER = web.AppKey("model_watcher", ModelWatcher)
WATCH_TASK = web.AppKey("model_watch_task", asyncio.Task)


async def version(request: web.Request) -> web.Response:
    from bot.console.auth import current_user

    try:
        await current_user(request)  # any console account; the page has the session cookie
    except web.HTTPException:
        return web.json_response({"status": "ok"})
    return web.json_response(request.app[WATCHER].info())


def install(app: web.Application) -> None:
    """Register the watcher, its poll task and GET /version on the app (one line in app.py)."""
    from bot.appkeys import AGENT, SETTINGS
    from bot.runtime import model_path

    interval = float(os.environ.get(POLL_ENV, "5"))
    app[WATCHER] = ModelWatcher(app[AGENT], model_path(app[SETTINGS]), interval)
    app.router.add_get("/version", version)

    async def start(app: web.Application) -> None:
        if interval > 0:
            app[WATCH_TASK] = asyncio.create_task(app[WATCHER].run_forever())

    async def stop(app: web.Application) -> None:
        await stop_task(app.get(WATCH_TASK))

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
