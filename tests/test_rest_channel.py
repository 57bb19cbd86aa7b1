"""The REST channel keeps Rasa's contract and answers bad input politely (never a 500)."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import Server

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
