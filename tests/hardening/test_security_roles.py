"""Roles enforced on every console API route, for every role, straight from the OpenAPI
document the server publishes (x-permission per operation), in one table.

anonymous → 401 on every /api/console/ route; a role without the operation's permission →
403 "forbidden" (with a valid CSRF token, so the refusal is the role's); a role with it → an
answer other than 401/403 (GET routes; of the POST routes only those safe to call with an
empty body — exporting training data and reloading the model are not called for real).
"""

from __future__ import annotations

import re

import pytest

from bot.console.accounts import PERMISSIONS
from tests.conftest import Server
from tests.console.conftest import ConsoleClient, Staff, staff  # noqa: F401 - the fixture

ROLES = ["anonymous", "agent", "supervisor", "trainer", "admin"]
NOT_CALLED_WHEN_ALLOWED = {("POST", "/api/console/training/export"), ("POST", "/api/console/training/reload")}


def operations(server: Server) -> list[tuple[str, str, str | None]]:
    doc = server.get("/api/openapi.json").json()
    found = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method != "parameters" and path.startswith("/api/console/"):
                found.append((method.upper(), path, op.get("x-permission")))
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "nosuchid0000", path)


@pytest.fixture(scope="module")
def clients(server: Server, staff: Staff) -> dict[str, ConsoleClient]:  # noqa: F811
    people = {"agent": staff.agent, "supervisor": staff.supervisor, "trainer": staff.trainer, "admin": staff.admin}
    out = {"anonymous": ConsoleClient(server)}
    for role, username in people.items():
        client = ConsoleClient(server)
        assert client.login(username).status_code == 200
        out[role] = client
    return out


def call(client: ConsoleClient, method: str, path: str) -> tuple[int, str]:
    response = client.get(path) if method == "GET" else client.post(path, json={})
    try:
        code = response.json().get("error", "") if response.headers.get("Content-Type", "").startswith(
            "application/json") else ""
    except ValueError:
        code = ""
    return response.status_code, code


def test_every_documented_route_enforces_its_permission_for_every_role(
    server: Server, clients: dict[str, ConsoleClient]
) -> None:
    table = operations(server)
    assert len(table) >= 30  # the whole console API, not a sample
    wrong = []
    for method, path, permission in table:
        for role in ROLES:
            allowed = role != "anonymous" and (permission is None or permission in PERMISSIONS[role])
            if allowed and (method, path) in NOT_CALLED_WHEN_ALLOWED:
                continue
            status, code = call(clients[role], method, concrete(path))
            if role == "anonymous":
                ok = status == 401 and code == "login_required"
            elif not allowed:
                ok = status == 403 and code == "forbidden"
            else:
                ok = status not in (401, 403) and status < 500
            if not ok:
                wrong.append(f"{method} {path} as {role} (needs {permission}): {status} {code}")
    assert not wrong, "\n".join(wrong)


def test_the_document_names_a_permission_for_every_route_but_the_personal_ones(server: Server) -> None:
    open_to_any_login = {("GET", "/api/console/me"), ("POST", "/api/console/language/check")}
    missing = {(m, p) for m, p, permission in operations(server) if permission is None}
    assert missing == open_to_any_login
    known = set().union(*PERMISSIONS.values())
    assert {permission for _, _, permission in operations(server) if permission} <= known
