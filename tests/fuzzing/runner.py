"""Drive the async targets from synchronous hypothesis tests against the session server."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Coroutine
from typing import Any

from hypothesis import HealthCheck, settings

from tests.conftest import WECHAT, Server
from tests.fuzzing import oracles
from tests.fuzzing.targets import Outcome, Target, attempt

# Small samples for the suite (bench/fuzz.py sends 10,000 per entry point). No example
# database: nothing is written into the checkout, every run draws afresh.
SUITE = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
IGNORED_LOG_LINES = ("InjectedFault",)  # the suite's own fault injection (tests/conftest.py)


class Fuzzer:
    """An event loop in a thread, holding one Target for the whole test session."""

    def __init__(self, server: Server, admin: tuple[str, str] | None = None) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.target: Target = self.run(Target.open(server.url, dict(WECHAT), admin, limit=16))

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 300) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def send(self, target_function, case: Any) -> Outcome:  # type: ignore[no-untyped-def]
        return self.run(attempt(target_function, self.target, case))

    def close(self) -> None:
        self.run(self.target.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def log_offset(server: Server) -> int:
    return server.log_path.stat().st_size


def log_alarms_since(server: Server, offset: int) -> list[str]:
    with server.log_path.open("rb") as log:
        log.seek(offset)
        text = log.read().decode("utf-8", "replace")
    return [line for line in oracles.log_alarms(text) if not any(i in line for i in IGNORED_LOG_LINES)]


_ADMINS: dict[str, tuple[str, str]] = {}


def admin_account(server: Server) -> tuple[str, str]:
    """One admin account per test server (created once, by the real CLI)."""
    if server.url not in _ADMINS:
        from tests.console.conftest import PASSWORD, create_user

        username = f"fuzz_{uuid.uuid4().hex[:6]}"
        create_user(server, username, "admin", "模糊测试管理员")
        _ADMINS[server.url] = (username, PASSWORD)
    return _ADMINS[server.url]
