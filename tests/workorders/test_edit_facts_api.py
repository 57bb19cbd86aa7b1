"""Editing a work order's facts from the console (POST /api/console/workorders/{id}/facts)
through the real server, connected to the stand-in shop (tests/shop_standin.py).

What must hold: agents and supervisors may edit (anonymous 401, a trainer 403), only with the
CSRF header; a body the OpenAPI schema refuses, and an over-long value, are a 400 in Chinese;
the address is stored encrypted and read masked by agents, in clear by supervisors; the edit is
audited (the fields, not their contents), recorded as a same-state event and reaches the shop as
a signed `work_order.updated`; a work order in a final state is a Chinese 409 and stays as it is.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import Server
from tests.console.conftest import ConsoleClient, create_user
from tests.conversation.chat import Chat, banned_phrases
from tests.shop_standin import ShopStandIn

pytestmark = pytest.mark.conversation

SECRET = "shop-secret-for-the-facts-edit-test"
ADDRESS = "杭州市西湖区文三路90号5幢301室"
NOTE = "客户白天上班，请先打13812345678约时间"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def people(shop_server: Server) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:6]
    found = {"agent": f"fe_agent_{suffix}", "supervisor": f"fe_super_{suffix}", "trainer": f"fe_train_{suffix}"}
    for role, name in (("agent", "周专员"), ("supervisor", "吴主管"), ("trainer", "郑训练师")):
        create_user(shop_server, found[role], role, name)
    return found


def signed_in(server: Server, username: str) -> ConsoleClient:
    client = ConsoleClient(server)
    assert client.login(username).status_code == 200
    return client


def query(server: Server, sql: str, **params: object) -> list[dict]:
    engine = create_engine(server.database_url)
    with engine.connect() as connection:
        rows = [dict(r) for r in connection.execute(text(sql), params).mappings()]
    engine.dispose()
    return rows


def returned_kettle(server: Server) -> dict[str, str]:
    """A return agreed in the conversation (address and window not given yet): its work orders by kind."""
    customer = Chat(server)
    customer.say("我的电水壶坏了，订单号QT202611150003")
    assert customer.click("退货退款").says("已为您确认：退货退款")
    return {row["kind"]: row["id"] for row in customer.work_orders()}


def wait_for(condition, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("not reached in time")


def facts(work_order_id: str) -> str:
    return f"/api/console/workorders/{work_order_id}/facts"


def assert_polite(answer: dict) -> None:
    assert CHINESE.search(answer["message"]), answer
    assert not [p for p in banned_phrases() if p in answer["message"]], answer


def test_an_agent_edits_the_facts_stored_encrypted_read_masked_audited_and_sent_to_the_shop(
        shop_server: Server, shop: ShopStandIn, people: dict[str, str]) -> None:
    pickup = returned_kettle(shop_server)["return_pickup"]
    agent, supervisor = signed_in(shop_server, people["agent"]), signed_in(shop_server, people["supervisor"])
    answer = agent.post(facts(pickup), json={"address": ADDRESS, "time_slot": "周六上午", "note": NOTE})
    assert answer.status_code == 200, answer.text
    edited = answer.json()
    assert edited["address"] == "杭州市西湖区****" and edited["facts"]["time_slot"] == "周六上午"
    assert edited["changed"] == ["地址", "约定时间", "备注"]
    assert "13812345678" not in edited["note"] and "文三路" not in answer.text  # masked for an agent

    [raw] = query(shop_server, "SELECT address, address_masked, team_note FROM work_orders WHERE id = :id", id=pickup)
    assert "文三路" not in raw["address"] and "13812345678" not in raw["team_note"]  # encrypted at rest
    assert raw["address_masked"] == "杭州市西湖区****"
    seen = supervisor.get(f"/api/console/workorders/{pickup}").json()
    assert seen["address"] == ADDRESS and seen["note"] == NOTE  # supervisors see personal data
    listed = [w for w in agent.get("/api/console/workorders").json()["items"] if w["id"] == pickup]
    assert listed[0]["address"] == "杭州市西湖区****"
    last = seen["events"][-1]
    assert (last["from"], last["to"], last["actor"]) == ("created", "created", people["agent"])

    [audit] = query(shop_server, "SELECT actor, detail FROM audit_log WHERE target = :t AND action = 'workorder_edit'",
                    t=pickup)
    assert audit["actor"] == people["agent"] and "文三路" not in str(audit["detail"])
    queued = query(shop_server, "SELECT payload FROM shop_events WHERE work_order_id = :id ORDER BY id", id=pickup)
    assert len(queued) == 2 and "文三路" not in str(queued)  # created, then the edit; encrypted in the outbox
    wait_for(lambda: any(e["type"] == "work_order.updated" and e["work_order"]["id"] == pickup for e in shop.events))
    [sent] = [e for e in shop.events if e["type"] == "work_order.updated" and e["work_order"]["id"] == pickup]
    assert sent["work_order"]["address"] == ADDRESS and sent["work_order"]["note"] == NOTE
    assert sent["work_order"]["facts"]["time_slot"] == "周六上午" and sent["work_order"]["state"] == "created"


def test_a_time_window_changed_by_staff_reaches_the_customer_once_in_their_conversation(
        shop_server: Server, people: dict[str, str]) -> None:
    customer = Chat.on_the_page(shop_server)
    customer.say("我的电水壶坏了，订单号QT202611150003")
    assert customer.click("退货退款").says("已为您确认：退货退款")
    pickup = next(row["id"] for row in customer.work_orders() if row["kind"] == "return_pickup")
    agent = signed_in(shop_server, people["agent"])
    assert agent.post(facts(pickup), json={"time_slot": "周六上午"}).json()["changed"] == ["约定时间"]
    assert agent.post(facts(pickup), json={"time_slot": "周六上午"}).json()["changed"] == []  # nothing new to tell
    assert agent.post(facts(pickup), json={"note": "客户要求先电话"}).json()["changed"] == ["备注"]  # internal

    def told() -> list[str]:
        return [m["text"] for m in customer.history() if "时间已为您调整" in str(m.get("text") or "")]

    wait_for(lambda: bool(told()))
    time.sleep(1)  # a second copy would arrive with the next scheduler tick
    assert told() == ["退货上门取件的时间已为您调整为周六上午，同事会按这个时间安排。如需再改，随时告诉我。"]
    assert not [line for line in customer.history() if "客户要求先电话" in str(line.get("text") or "")]


def test_only_staff_who_handle_work_orders_edit_and_only_with_the_csrf_header(
        shop_server: Server, people: dict[str, str]) -> None:
    pickup = returned_kettle(shop_server)["return_pickup"]
    anonymous = ConsoleClient(shop_server)
    trainer, agent = signed_in(shop_server, people["trainer"]), signed_in(shop_server, people["agent"])
    refused = [anonymous.post(facts(pickup), json={"note": "x"}), trainer.post(facts(pickup), json={"note": "x"}),
               agent.post(facts(pickup), json={"note": "x"}, csrf=False)]
    assert [(r.status_code, r.json()["error"]) for r in refused] == [(401, "login_required"), (403, "forbidden"),
                                                                      (403, "csrf")]
    for answer in refused:
        assert_polite(answer.json())
    assert query(shop_server, "SELECT team_note FROM work_orders WHERE id = :id", id=pickup)[0]["team_note"] is None
    supervisor = signed_in(shop_server, people["supervisor"])
    assert supervisor.post(facts(pickup), json={"time_slot": "周日下午"}).json()["facts"]["time_slot"] == "周日下午"


@pytest.mark.parametrize("body", [{}, {"address": ["杭州"]}, {"note": 5}, {"colour": "红"}, {"time_slot": None}])
def test_a_body_the_schema_refuses_is_a_chinese_400(shop_server: Server, people: dict[str, str],
                                                      body: dict) -> None:
    pickup = query(shop_server, "SELECT id FROM work_orders WHERE kind = 'return_pickup' LIMIT 1")[0]["id"]
    answer = signed_in(shop_server, people["agent"]).post(facts(pickup), json=body)
    assert answer.status_code == 400 and answer.json()["error"] == "bad_request", answer.text
    assert_polite(answer.json())


def test_an_over_long_value_is_a_chinese_400_and_changes_nothing(shop_server: Server, people: dict[str, str]) -> None:
    pickup = returned_kettle(shop_server)["return_pickup"]
    agent = signed_in(shop_server, people["agent"])
    for field, length, code in (("address", 201, "bad_address"), ("time_slot", 41, "bad_slot"),
                                ("note", 501, "bad_note")):
        answer = agent.post(facts(pickup), json={field: "长" * length})
        assert answer.status_code == 400 and answer.json()["error"] == code, answer.text
        assert_polite(answer.json())
    assert len(agent.get(f"/api/console/workorders/{pickup}").json()["events"]) == 1


def test_a_work_order_in_a_final_state_is_a_chinese_409_and_keeps_its_facts(
        shop_server: Server, people: dict[str, str]) -> None:
    refund = returned_kettle(shop_server)["refund"]
    agent = signed_in(shop_server, people["agent"])
    assert agent.post(f"/api/console/workorders/{refund}/moves", json={"action": "cancel"}).status_code == 200
    before = agent.get(f"/api/console/workorders/{refund}").json()
    answer = agent.post(facts(refund), json={"note": "补充说明", "time_slot": "周六上午"})
    assert answer.status_code == 409 and answer.json()["error"] == "final_state", answer.text
    assert "已撤销" in answer.json()["message"]
    assert_polite(answer.json())
    assert agent.get(f"/api/console/workorders/{refund}").json() == before
    assert not query(shop_server, "SELECT id FROM audit_log WHERE target = :t AND action = 'workorder_edit'", t=refund)
