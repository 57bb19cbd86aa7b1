"""Bad input found by the outside review (issue 20) gets a 400 with a Chinese sentence, never a
5xx; and nothing of the request (a password, its hash) reaches the server log."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import Server
from tests.console.conftest import ConsoleClient, Staff, staff  # noqa: F401
from tests.fuzzing import oracles

HUGE_NUMBER = "9" * 5000
WITNESS_PASSWORD = f"Witness-{uuid.uuid4().hex}"


def login(server: Server, username: str) -> ConsoleClient:
    client = ConsoleClient(server)
    assert client.login(username).status_code == 200
    return client


def assert_polite_400(response, what: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, (what, response.status_code, response.text[:200])
    assert oracles.is_chinese(response.json()["message"]), what


def test_a_five_thousand_digit_number_in_json(server: Server, staff: Staff) -> None:  # noqa: F811
    raw = '{"sender": "big-number", "message": ' + HUGE_NUMBER + "}"
    assert_polite_400(server.post("/webhooks/rest/webhook", data=raw, headers={"Content-Type": "application/json"}),
                      "REST")
    trainer = login(server, staff.trainer)
    body = '{"sender_id": "x", "event_id": ' + HUGE_NUMBER + ', "intent": "greet"}'
    assert_polite_400(trainer.post("/api/console/training/annotations", data=body,
                                   headers={"Content-Type": "application/json"}), "trainer annotation")


@pytest.mark.parametrize("page", ["²", "①", "٣", "9" * 5000])
def test_a_page_number_that_is_no_plain_number(server: Server, staff: Staff, page: str) -> None:  # noqa: F811
    supervisor = login(server, staff.supervisor)
    for key in ("page", "per_page", "severity"):
        assert_polite_400(supervisor.get("/api/console/analytics/complaints", params={key: page}), key)
    trainer = login(server, staff.trainer)
    assert_polite_400(trainer.get("/api/console/training/conversations", params={"limit": page}), "limit")


@pytest.mark.parametrize("body", [
    {"sender_id": ["a"], "event_id": 1, "intent": "greet"},
    {"sender_id": "a", "event_id": 1, "intent": ["greet"]},
    {"sender_id": "a", "event_id": 1, "intent": "greet", "entities": "start"},
    {"sender_id": "a", "event_id": 1, "intent": "greet", "entities": [{"entity": ["x"], "start": 0, "end": 1}]},
])
def test_a_list_where_the_trainer_api_expects_a_string(server: Server, staff: Staff, body: dict) -> None:  # noqa: F811
    assert_polite_400(login(server, staff.trainer).post("/api/console/training/annotations", json=body), str(body))


def test_a_list_where_the_story_mark_expects_a_string(server: Server, staff: Staff) -> None:  # noqa: F811
    trainer = login(server, staff.trainer)
    assert_polite_400(trainer.post("/api/console/training/stories", json={"sender_id": ["a"], "name": "x"}), "id")
    assert_polite_400(trainer.post("/api/console/training/stories", json={"sender_id": "a", "name": ["x"]}), "name")


@pytest.mark.parametrize("field", ["username", "password", "role", "display_name"])
def test_a_list_where_the_user_api_expects_a_string(server: Server, staff: Staff, field: str) -> None:  # noqa: F811
    admin = login(server, staff.admin)
    body = {"username": f"new_{uuid.uuid4().hex[:6]}", "password": WITNESS_PASSWORD, "role": "agent",
            "display_name": "新同事"}
    body[field] = [body[field]]
    assert_polite_400(admin.post("/api/console/users", json=body), field)
    assert admin.get("/api/console/agents").status_code == 200


def test_no_password_or_its_hash_reaches_the_log(server: Server, staff: Staff) -> None:  # noqa: F811
    admin = login(server, staff.admin)
    for display_name in (["名字"], {"a": 1}, 12):
        admin.post("/api/console/users", json={"username": f"log_{uuid.uuid4().hex[:6]}", "password": WITNESS_PASSWORD,
                                               "role": "agent", "display_name": display_name})
    created = admin.post("/api/console/users", json={"username": f"ok_{uuid.uuid4().hex[:6]}",
                                                     "password": WITNESS_PASSWORD, "role": "agent"})
    assert created.status_code == 201  # a real account was made, so a hash existed to leak
    log = server.log_path.read_text(encoding="utf-8", errors="replace")
    assert WITNESS_PASSWORD not in log and "$argon2" not in log


# --- query strings: the same schema layer as bodies (bot/console/validation.py) -----------------
def signed_wechat_query(timestamp: str) -> dict[str, str]:
    from tests.test_wechat_channel import signature

    nonce = uuid.uuid4().hex[:10]
    return {"timestamp": timestamp, "nonce": nonce, "signature": signature(timestamp, nonce)}


def test_a_signed_wechat_push_with_a_400_digit_timestamp(server: Server) -> None:
    """Found in review: the signature holds for any timestamp, and 400 digits overflowed the
    freshness check into a 5xx."""
    xml = ("<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[oTs]]></FromUserName>"
           "<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content>"
           "<MsgId>1</MsgId></xml>")
    response = server.post("/webhooks/wechat/webhook", params=signed_wechat_query("9" * 400), data=xml.encode())
    assert_polite_400(response, "wechat timestamp")


@pytest.mark.parametrize(("path", "params"), [
    ("/webhooks/wechat/webhook", {"signature": "0" * 40, "timestamp": "١٢٣", "nonce": "n", "echostr": "e"}),
    ("/webhooks/wechat/webhook", {"signature": "not hex", "timestamp": "1", "nonce": "n", "echostr": "e"}),
    ("/webhooks/wechat/webhook", {"signature": "0" * 40, "timestamp": "1", "nonce": "n" * 500, "echostr": "e"}),
    ("/api/chat/history", {"session_id": "x" * 5000}),
])
def test_bad_query_values_on_customer_channels(server: Server, path: str, params: dict) -> None:
    assert_polite_400(server.get(path, params=params), f"{path} {list(params)}")


def test_bad_query_values_on_console_reads(server: Server, staff: Staff) -> None:  # noqa: F811
    supervisor, trainer = login(server, staff.supervisor), login(server, staff.trainer)
    assert_polite_400(supervisor.get("/api/console/audit", params={"target": "x" * 5000}), "audit target")
    assert_polite_400(supervisor.get("/api/console/workorders/figures", params={"days": ["7", "30"]}), "days twice")
    for threshold in ("nan", "inf", "2", "-1", "1e999", "０.５"):
        assert_polite_400(trainer.get("/api/console/training/conversations", params={"threshold": threshold}),
                          f"threshold {threshold}")
    assert_polite_400(supervisor.get("/api/console/analytics/summary", params={"from": "2026-02-30"}), "from")
    assert trainer.get("/api/console/training/conversations", params={"threshold": "0.5", "_": "1"}).status_code == 200
    assert supervisor.get("/api/console/audit", params={"target": "abc"}).status_code == 200
