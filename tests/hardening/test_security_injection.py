"""SQL injection strings through every field a customer or a console user can send: never a
500, never more data than asked for, and the text stored as it was typed (inert)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import Server
from tests.console.conftest import ConsoleClient, Staff, handed_off_customer, staff  # noqa: F401
from tests.conversation.chat import Chat

INJECTIONS = [
    "' OR '1'='1",
    "'; DROP TABLE complaints; --",
    "\" OR 1=1 --",
    "1; SELECT pg_sleep(5); --",
    "' UNION SELECT username, password_hash, role, id FROM console_users --",
    "admin'--",
    "1' AND (SELECT COUNT(*) FROM customers) > 0 AND '1'='1",
    "%' OR sender_id LIKE '%",
    "\\'; DELETE FROM events; --",
]
TABLES = ["complaints", "customers", "events", "console_users", "conversations", "handoffs", "evidence"]


def counts(server: Server) -> dict[str, int]:
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        found = {t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()) for t in TABLES}  # noqa: S608
    engine.dispose()
    return found


def stored_user_texts(server: Server, sender: str) -> int:
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM events WHERE sender_id = :s AND type_name = 'user'"),
                         {"s": sender}).scalar_one()
    engine.dispose()
    return int(n)


@pytest.fixture
def supervisor(server: Server, staff: Staff) -> ConsoleClient:  # noqa: F811
    client = ConsoleClient(server)
    assert client.login(staff.supervisor).status_code == 200
    return client


@pytest.fixture
def trainer(server: Server, staff: Staff) -> ConsoleClient:  # noqa: F811
    client = ConsoleClient(server)
    assert client.login(staff.trainer).status_code == 200
    return client


def test_rest_sender_and_message_are_stored_as_typed(server: Server) -> None:
    before = counts(server)
    for payload in INJECTIONS:
        sender = f"{payload}-{uuid.uuid4().hex[:6]}"
        response = server.post("/webhooks/rest/webhook", json={"sender": sender, "message": payload})
        assert response.status_code == 200, (payload, response.text)
        assert isinstance(response.json(), list) and response.json()
        assert stored_user_texts(server, sender) == 1, payload  # one row under exactly that id
    after = counts(server)
    assert all(after[t] >= before[t] for t in TABLES), (before, after)  # nothing dropped or deleted


def test_the_text_comes_back_verbatim_in_the_history(server: Server) -> None:
    customer = Chat.on_the_page(server)
    for payload in INJECTIONS[:3]:
        customer.say(payload)
    said = [m["text"] for m in customer.history() if m["from"] == "user"]
    assert said == INJECTIONS[:3]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_chat_page_session_credentials_are_checked_before_any_lookup(server: Server, payload: str) -> None:
    cookies = {"qingting_customer": payload}
    history = server.get("/api/chat/history", params={"session_id": payload}, cookies=cookies)
    assert history.status_code == 200 and history.json()["messages"] == [], payload  # a fresh session
    upload = server.post("/api/chat/upload", params={"session_id": payload}, cookies=cookies,
                         files={"photo": ("a.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")})
    assert upload.status_code == 403 and upload.json()["error"] == "no_session", payload


@pytest.mark.parametrize("payload", INJECTIONS)
def test_login_fields(server: Server, payload: str) -> None:
    client = ConsoleClient(server)
    for body in ({"username": payload, "password": payload}, {"username": "admin", "password": payload}):
        response = client.login(body["username"], body["password"])
        # 429: the login limits slow the many failures for "admin" from one address
        assert response.status_code in (401, 403, 429), (payload, response.status_code)
        assert client.get("/api/console/me").status_code == 401


ANALYTICS_TEXT = ["type", "product", "remedy", "reason"]
ANALYTICS_TYPED = ["from", "to", "channel", "day", "severity", "csat", "outcome", "sla", "fcr", "reopened",
                   "page", "per_page"]


def test_analytics_filters(server: Server, supervisor: ConsoleClient) -> None:
    everything = supervisor.get("/api/console/analytics/complaints")
    assert everything.status_code == 200
    for name in ANALYTICS_TEXT + ANALYTICS_TYPED:
        for payload in INJECTIONS:
            listed = supervisor.get("/api/console/analytics/complaints", params={name: payload})
            assert listed.status_code in (200, 400), (name, payload, listed.status_code)
            if listed.status_code == 200:
                assert listed.json()["total"] == 0, (name, payload)  # matches nothing, leaks nothing
            summary = supervisor.get("/api/console/analytics/summary", params={name: payload})
            assert summary.status_code in (200, 400), (name, payload, summary.status_code)
            exported = supervisor.get("/api/console/analytics/export.csv", params={name: payload})
            assert exported.status_code in (200, 400), (name, payload, exported.status_code)
            if exported.status_code == 200:
                assert len(exported.content.decode("utf-8-sig").strip().splitlines()) == 1  # the header only
    assert supervisor.get("/api/console/analytics/complaints/' OR '1'='1").status_code == 404


def test_audit_and_training_filters(server: Server, supervisor: ConsoleClient, trainer: ConsoleClient) -> None:
    unfiltered = trainer.get("/api/console/training/conversations").json()["items"]
    for payload in INJECTIONS:
        audit = supervisor.get("/api/console/audit", params={"target": payload})
        assert audit.status_code == 200 and audit.json()["entries"] == [], payload
        for name in ("kinds", "from", "to", "channel", "threshold", "limit"):
            listed = trainer.get("/api/console/training/conversations", params={name: payload})
            assert listed.status_code in (200, 400), (name, payload, listed.status_code)
            if listed.status_code == 200:
                assert len(listed.json()["items"]) <= len(unfiltered), (name, payload)
                if name == "channel":
                    assert listed.json()["items"] == [], payload
        assert trainer.get(f"/api/console/training/conversations/{payload}").status_code in (400, 404)


def test_console_text_fields_are_stored_as_typed(server: Server, staff: Staff) -> None:  # noqa: F811
    _, handoff_id = handed_off_customer(server)
    agent = ConsoleClient(server)
    assert agent.login(staff.agent).status_code == 200
    assert agent.post(f"/api/console/handoffs/{handoff_id}/claim").status_code == 200
    for payload in INJECTIONS:
        assert agent.post(f"/api/console/handoffs/{handoff_id}/notes", json={"text": payload}).status_code == 201
        checked = agent.post("/api/console/language/check", json={"text": payload})
        assert checked.status_code == 200, payload
        moved = agent.post(f"/api/console/handoffs/{handoff_id}/transfer", json={"to": payload})
        assert moved.status_code in (400, 404, 409), (payload, moved.status_code)
        assert agent.get(f"/api/console/handoffs/{payload}").status_code in (400, 404), payload
    notes = [n["text"] for n in agent.get(f"/api/console/handoffs/{handoff_id}").json()["notes"]]
    assert set(INJECTIONS) <= set(notes)
