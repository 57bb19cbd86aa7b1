"""`qingting serve --workers N`: N identical server processes on consecutive ports.

A load balancer in front (docs/SCALE_OUT.md has an nginx example) spreads customers over
them; socket.io's long-polling needs the balancer to keep a client on one process (sticky by
client address). The processes share nothing but PostgreSQL and Redis, so the supervisor
only starts them, restarts one that dies, and passes a stop signal on (each then drains its
in-flight turns before exiting).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from bot.settings import Settings

RESTART_DELAY_S = 1.0
MAX_RESTARTS_PER_MINUTE = 5


class WorkersRefused(RuntimeError):
    pass


def check_shared_storage(settings: Settings) -> None:
    """Several processes are one bot only on a shared database and a shared lock store."""
    if settings.is_sqlite:
        raise WorkersRefused("several workers need DATABASE_URL=postgresql://… (the SQLite file belongs to one process)")
    if not settings.redis_url:
        raise WorkersRefused("several workers need REDIS_URL=redis://… (conversation locks and live events)")


@dataclass
class Worker:
    index: int
    port: int
    process: subprocess.Popen | None = None  # type: ignore[type-arg]
    restarts: list[float] = field(default_factory=list)

    def start(self) -> None:
        env = {**os.environ, "QINGTING_PORT": str(self.port), "QINGTING_WORKER": str(self.index)}
        self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(self.port)], env=env)

    def may_restart(self, now: float) -> bool:
        self.restarts = [t for t in self.restarts if now - t < 60] + [now]
        return len(self.restarts) <= MAX_RESTARTS_PER_MINUTE


class Supervisor:
    def __init__(self, count: int, first_port: int) -> None:
        self.workers = [Worker(i, first_port + i) for i in range(count)]
        self.stopping = False

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for worker in self.workers:
            worker.start()
        while not self.stopping:
            time.sleep(0.5)
            self._restart_dead()
        return self._wait_all()

    def _restart_dead(self) -> None:
        for worker in self.workers:
            code = worker.process.poll() if worker.process else None
            if code is None or self.stopping:
                continue
            if not worker.may_restart(time.monotonic()):
                print(f"worker {worker.index} keeps failing (exit {code}); stopping all", file=sys.stderr, flush=True)
                self._stop()
                return
            print(f"worker {worker.index} (port {worker.port}) exited with {code}; restarting", flush=True)
            time.sleep(RESTART_DELAY_S)
            worker.start()

    def _stop(self, *_: object) -> None:
        self.stopping = True
        for worker in self.workers:
            if worker.process and worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)

    def _wait_all(self) -> int:
        codes = [worker.process.wait() for worker in self.workers if worker.process]
        clean = (0, -signal.SIGTERM)
        return 0 if all(code in clean for code in codes) else 1
