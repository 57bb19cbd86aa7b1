"""The smaller findings of the outside review (issue 20), one test each."""

from __future__ import annotations

import asyncio
import stat

import pytest
import socketio

from tests.conftest import Server
from tests.console.conftest import ConsoleClient, Staff, handed_off_customer, staff  # noqa: F401
from tests.test_chat_api import PNG, upload


def login(server: Server, username: str) -> ConsoleClient:
    client = ConsoleClient(server)
    assert client.login(username).status_code == 200
    return client


def test_notes_are_written_only_by_the_agent_holding_the_case(server: Server, staff: Staff) -> None:  # noqa: F811
    _, handoff_id = handed_off_customer(server)
    holder, colleague = login(server, staff.agent), login(server, staff.colleague)
    assert holder.post(f"/api/console/handoffs/{handoff_id}/claim").status_code == 200
    refused = colleague.post(f"/api/console/handoffs/{handoff_id}/notes", json={"text": "我来补一句"})
    assert refused.status_code == 403 and "其他同事" in refused.json()["message"]
    assert holder.post(f"/api/console/handoffs/{handoff_id}/notes", json={"text": "已电话联系"}).status_code == 201
    notes = holder.get(f"/api/console/handoffs/{handoff_id}").json()["notes"]
    assert [n["text"] for n in notes] == ["已电话联系"]


async def _console_socket(server: Server, cookie: str, origin: str) -> bool:
    client = socketio.AsyncClient(reconnection=False)
    try:
        await client.connect(server.url, namespaces=["/console"], socketio_path="socket.io",
                             transports=["websocket"], headers={"Cookie": cookie, "Origin": origin}, wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        return False
    connected = "/console" in client.namespaces
    await client.disconnect()
    return connected


def test_the_console_socket_accepts_only_its_own_origin(server: Server, staff: Staff) -> None:  # noqa: F811
    agent = login(server, staff.agent)
    cookie = "; ".join(f"{name}={value}" for name, value in agent.http.cookies.items())
    assert asyncio.run(_console_socket(server, cookie, server.url))
    assert not asyncio.run(_console_socket(server, cookie, "https://evil.example"))


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "1234567890", "qwertyuiop", "Password2024!", "woaini1314!!"])
def test_a_weak_or_common_password_is_refused(server: Server, staff: Staff, password: str) -> None:  # noqa: F811
    admin = login(server, staff.admin)
    response = admin.post("/api/console/users", json={"username": "weak_pw_user", "password": password,
                                                       "role": "admin"})
    assert response.status_code == 400 and "密码" in response.json()["message"]


def test_console_json_is_never_cached_and_no_versions_are_told(server: Server, staff: Staff) -> None:  # noqa: F811
    agent = login(server, staff.agent)
    for response in (agent.get("/api/console/me"), agent.get("/api/console/queue"), server.get("/api/auth/session")):
        assert response.headers.get("Cache-Control") == "no-store", response.url
    for response in (server.get("/version"), server.get("/health"), server.get("/chat")):
        server_header = response.headers.get("Server", "")
        assert "aiohttp" not in server_header and "Python" not in server_header, server_header


def test_the_database_and_the_photos_are_readable_by_the_servers_user_only(server: Server) -> None:
    from tests.conversation.chat import Chat

    customer = Chat.on_the_page(server)
    customer.say("我的电水壶坏了")
    assert upload(customer, PNG).status_code == 200
    photos = [p for p in (server.var_dir / "uploads").rglob("*") if p.is_file()]
    assert photos
    for path in [server.var_dir, server.var_dir / "qingting.db", *photos]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, (path, oct(mode))


def console_session_rows(server: Server) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT COUNT(*) FROM console_sessions")).scalar_one()
    engine.dispose()
    return count


def test_anonymous_calls_leave_no_session_rows_and_login_still_works(server: Server, staff: Staff) -> None:  # noqa: F811
    """Before login the session holds only the CSRF token, signed in its cookie; a row is a login."""
    before = console_session_rows(server)
    for _ in range(5):
        ConsoleClient(server)  # a fresh browser: GET /api/auth/session gives it a CSRF token
        server.get("/api/console/queue")
        server.post("/api/auth/login", json={"username": "nobody", "password": "x"})
    assert console_session_rows(server) == before
    client = ConsoleClient(server)
    assert client.login(staff.agent).status_code == 200
    assert client.get("/api/console/me").status_code == 200
    assert console_session_rows(server) == before + 1
    forged = ConsoleClient(server)
    cookie = forged.http.cookies.get("qingting_console")
    forged.http.cookies.clear()
    forged.http.cookies.set("qingting_console", cookie[:-4] + ("0000" if not cookie.endswith("0000") else "1111"))
    assert forged.login(staff.agent).status_code == 403  # an altered anonymous cookie carries no token


def test_versions_are_told_to_logged_in_staff_only(server: Server, staff: Staff) -> None:  # noqa: F811
    anonymous = server.get("/version")
    assert anonymous.status_code == 200 and anonymous.json() == {"status": "ok"}
    assert "model" not in anonymous.text
    staff_view = login(server, staff.agent).get("/version").json()
    assert staff_view["model_id"] and "reloads" in staff_view
