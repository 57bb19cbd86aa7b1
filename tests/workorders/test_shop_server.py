"""A shop system connected through the real server: our signed webhooks reach the stand-in
shop (tests/shop_standin.py) from the scheduler, and its signed status callbacks move the work
orders at POST /webhooks/shop/workorders.

Must survive: a bad or stale signature (401), a replayed callback (nothing changes), callbacks
in the wrong order (the right final state), a callback for an unknown work order (404), a 5 MB
body (413), a valid signature with a move the state machine does not allow (409, nothing
changed); the customer hears each customer-facing change once."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import requests
import yaml

from tests.conftest import Server
from tests.conversation.chat import Chat
from tests.shop_standin import ShopStandIn

SECRET = "shop-callback-secret-for-tests"
CALLBACK = "/webhooks/shop/workorders"


def returned_kettle(server: Server) -> tuple[Chat, str]:
    customer = Chat(server)
    customer.say("我的电水壶坏了，订单号QT202611150003")
    assert customer.click("退货退款").says("已为您确认：退货退款")
    [complaint] = customer.complaints()
    return customer, complaint["reference"]


def wait_for(condition, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("not reached in time")


def report(server: Server, shop: ShopStandIn, payload: dict, **signing) -> requests.Response:  # type: ignore[no-untyped-def]
    body, headers = shop.signed_callback(payload, **signing)
    return server.post(CALLBACK, data=body, headers=headers)


def callback(work_order: str, state: str, **extra: str) -> dict:
    return {"callback_id": uuid.uuid4().hex, "work_order": work_order, "state": state, **extra}


def state_of(customer: Chat, reference: str) -> str:
    [row] = customer._query(f"SELECT state FROM work_orders WHERE reference = '{reference}'")
    return row["state"]


def test_our_signed_events_reach_the_shop_and_its_callbacks_in_the_wrong_order_end_right(
        shop_server: Server, shop: ShopStandIn) -> None:
    customer, reference = returned_kettle(shop_server)
    refund = f"{reference}-2"
    wait_for(lambda: {e["work_order"]["reference"] for e in shop.events} >= {f"{reference}-1", refund})
    assert shop.refused_signatures == 0

    done = report(shop_server, shop, callback(refund, "done"))  # before "accepted" arrived
    assert done.status_code == 200 and done.json() == {"status": "applied", "state": "done"}
    late = report(shop_server, shop, callback(refund, "accepted"))
    assert late.json() == {"status": "stale", "state": "done"}
    assert state_of(customer, refund) == "done"

    heard = customer.say("进度如何")
    assert heard.texts.count("退款已原路退回，1-3个工作日到账。") == 1
    assert customer.say("进度如何").texts.count("退款已原路退回，1-3个工作日到账。") == 0
    wait_for(lambda: [e["type"] for e in shop.events if e["work_order"]["reference"] == refund]
             == ["work_order.created", "work_order.accepted", "work_order.done"])


def test_a_replayed_callback_changes_nothing(shop_server: Server, shop: ShopStandIn) -> None:
    customer, reference = returned_kettle(shop_server)
    pickup = f"{reference}-1"
    first = callback(pickup, "scheduled", slot="周五上午")
    assert report(shop_server, shop, first).json()["status"] == "applied"
    events = customer._query(f"SELECT COUNT(*) AS n FROM work_order_events e JOIN work_orders w "
                             f"ON w.id = e.work_order_id WHERE w.reference = '{pickup}'")[0]["n"]
    again = report(shop_server, shop, first)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert customer._query(f"SELECT COUNT(*) AS n FROM work_order_events e JOIN work_orders w "
                           f"ON w.id = e.work_order_id WHERE w.reference = '{pickup}'")[0]["n"] == events
    assert customer.say("进度如何").says("快递已约好周五上午上门取件")


def test_bad_and_stale_signatures_are_refused(shop_server: Server, shop: ShopStandIn) -> None:
    customer, reference = returned_kettle(shop_server)
    payload = callback(f"{reference}-2", "accepted")
    forged = report(shop_server, shop, payload, secret="guessed")
    stale = report(shop_server, shop, payload, timestamp=int(time.time()) - 3600)
    unsigned = shop_server.post(CALLBACK, json=payload)
    for refused in (forged, stale, unsigned):
        assert refused.status_code == 401 and refused.json()["message"]
    assert state_of(customer, f"{reference}-2") == "created"


def test_a_valid_signature_with_a_move_the_state_machine_refuses_changes_nothing(
        shop_server: Server, shop: ShopStandIn) -> None:
    customer, reference = returned_kettle(shop_server)
    refund = f"{reference}-2"
    assert report(shop_server, shop, callback(refund, "cancelled")).json()["state"] == "cancelled"
    refused = report(shop_server, shop, callback(refund, "done"))
    assert refused.status_code == 409
    assert refused.json()["error"] == "transition_refused" and "工单保持原样" in refused.json()["message"]
    assert state_of(customer, refund) == "cancelled"


def test_unknown_work_orders_big_bodies_and_bad_json_get_clear_answers(shop_server: Server, shop: ShopStandIn) -> None:
    unknown = report(shop_server, shop, callback("TS19990101-0001-1", "done"))
    assert unknown.status_code == 404 and unknown.json()["message"]
    big = b"{" + b" " * (5 * 1024 * 1024) + b"}"
    _, headers = shop.signed_callback({})
    huge = shop_server.post(CALLBACK, data=big, headers=headers)
    assert huge.status_code == 413 and huge.json()["message"]
    bad_state = report(shop_server, shop, callback("TS19990101-0001-1", "teleported"))
    assert bad_state.status_code == 400 and bad_state.json()["message"]
    body, headers = b"not json", shop.signed_callback({})[1]
    from tests.shop_standin import shop_signature

    headers["X-Qingting-Signature"] = shop_signature(SECRET, int(headers["X-Qingting-Timestamp"]), body)
    assert shop_server.post(CALLBACK, data=body, headers=headers).status_code == 400


def test_without_a_shop_system_the_callback_path_says_so(server: Server) -> None:
    answer = server.post(CALLBACK, json={})
    assert answer.status_code == 404 and "后台工单" in answer.json()["message"]


def test_the_contract_file_describes_the_webhook_and_the_callback() -> None:
    contract = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "shop_webhook.openapi.yaml")
                              .read_text(encoding="utf-8"))
    assert contract["openapi"].startswith("3.1")
    assert "workOrderEvent" in contract["webhooks"]
    assert "post" in contract["paths"][CALLBACK]
