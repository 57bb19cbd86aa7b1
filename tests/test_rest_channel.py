"""The REST channel keeps Rasa's contract and answers bad input politely (never a 500)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import Server, start_server, stop_server
from tests.conversation.chat import Chat

WEBHOOK = "/webhooks/rest/webhook"


def test_the_rest_contract_returns_a_list_of_bot_messages(server: Server) -> None:
    response = server.post(WEBHOOK, json={"sender": f"rest-{uuid.uuid4().hex}", "message": "你好"})
    assert response.status_code == 200
    [message] = response.json()
    assert message["recipient_id"].startswith("rest-")
    assert message["text"]


def test_health_and_readiness(server: Server) -> None:
    assert server.get("/health").json() == {"status": "ok"}
    assert server.get("/ready").json() == {
        "ready": True, "checks": {"model": True, "database": True, "not_draining": True},  # no Redis configured
    }
    assert server.get("/webhooks/rest/").json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"\xff\xfe\x00garbage", "invalid_json"),
        (b"[1, 2, 3]", "invalid_json"),
        (b'{"message": "hello"}', "missing_sender"),
        (b'{"sender": "   ", "message": "hello"}', "missing_sender"),
        (b'{"sender": null, "message": "hello"}', "missing_sender"),
    ],
)
def test_malformed_requests_get_a_polite_400(server: Server, body: bytes, code: str) -> None:
    response = server.post(WEBHOOK, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    payload = response.json()
    assert payload["error"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in payload["message"])


def test_a_huge_body_is_refused_kindly(server: Server) -> None:
    body = b'{"sender": "x", "message": "' + b"a" * (300 * 1024) + b'"}'
    response = server.post(WEBHOOK, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "分成几条" in response.json()["message"]


@pytest.mark.parametrize(
    "message",
    ["", None, 12345, {"nested": True}, "😀" * 50, "!!!???", "<script>alert(1)</script>", "a" * 10000],
    ids=["empty", "null", "number", "object", "emoji", "punctuation", "script", "10k-ascii"],
)
def test_odd_message_values_are_answered(server: Server, message: object) -> None:
    response = server.post(WEBHOOK, json={"sender": f"odd-{uuid.uuid4().hex}", "message": message})
    assert response.status_code == 200
    assert response.json(), "every message gets an answer"


# --- a deployment that exposes REST sets a shared secret in credentials.yml ----------------------
SECRET = "a-long-random-shared-secret-for-tests"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("rest-secret")
    credentials = folder / "credentials.yml"
    credentials.write_text(f"rest:\n  shared_secret: \"{SECRET}\"\n", encoding="utf-8")
    server = start_server(folder / "var", {"QINGTING_CREDENTIALS": str(credentials)})
    yield server
    stop_server(server)


def test_with_a_shared_secret_only_callers_that_present_it_are_answered(guarded: Server) -> None:
    body = {"sender": f"partner-{uuid.uuid4().hex[:8]}", "message": "你好"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": SECRET[:-1]}):
        refused = guarded.post(WEBHOOK, json=body, headers=headers)
        assert refused.status_code == 401 and "凭证" in refused.json()["message"], headers
    answered = guarded.post(WEBHOOK, json=body, headers={"Authorization": f"Bearer {SECRET}"})
    assert answered.status_code == 200 and answered.json()[0]["recipient_id"] == body["sender"]


def test_with_a_shared_secret_the_chat_page_still_speaks_as_its_own_cookie(guarded: Server) -> None:
    customer = Chat.on_the_page(guarded)
    reply = guarded.post(WEBHOOK, json={"sender": "someone-else", "message": "你好"}, cookies=customer.cookies)
    assert reply.status_code == 200 and reply.json()[0]["recipient_id"] == customer.sender
