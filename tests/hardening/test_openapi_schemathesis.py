"""schemathesis against /api/openapi.json: every documented operation, anonymous and as an
admin (session cookie + CSRF header), positive and negative cases.

Anonymous: 401/403 with a Chinese {error, message} body, never 5xx. Admin: never 5xx, and
every answer conforms to the document (status, content type, schema). schemathesis runs in
its own virtualenv (requirements/schemathesis.in says why). bench/fuzz.py runs it bigger.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Server
from tests.fuzzing import schemathesis_env
from tests.fuzzing import strategies as S
from tests.fuzzing.runner import Fuzzer, admin_account, log_alarms_since, log_offset

EXAMPLES = 6  # per operation and generation mode


def failures(report: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {name: op["failures"] for name, op in report["operations"].items() if op["failures"]}


def test_every_operation_refuses_anonymous_callers_politely(server: Server) -> None:
    offset = log_offset(server)
    report = schemathesis_env.run(server.url, "anon", EXAMPLES)
    assert len(report["operations"]) >= 30 and report["requests"] >= 200
    assert report["server_errors"] == 0
    assert not failures(report)
    assert not log_alarms_since(server, offset)


@pytest.fixture(scope="module")
def admin(server: Server) -> Any:
    fuzzer = Fuzzer(server, admin_account(server))
    yield fuzzer.target.admin
    fuzzer.close()


def test_every_operation_conforms_for_an_admin(server: Server, admin: Any) -> None:
    offset = log_offset(server)
    cookie = "; ".join(f"{k}={v}" for k, v in admin.cookies.items())
    guarded = [f"{method} {path}" for method, path in S.GUARDED_SHARED]
    report = schemathesis_env.run(server.url, "admin", EXAMPLES, cookie, admin.csrf, exclude=guarded)
    assert len(report["operations"]) >= 30 - len(guarded)
    assert report["server_errors"] == 0
    assert not failures(report)
    assert not log_alarms_since(server, offset)
