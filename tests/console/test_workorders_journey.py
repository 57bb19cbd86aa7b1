"""Work orders through the real server: from a complaint to a refund work order, staff moving
it through the back-office API to done, the customer hearing each change once and asking
"进度如何", and the follow-up (回访) becoming due a set time after the work is done."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.followups.store import FollowUpStore
from bot.knowledge import load_knowledge_base
from tests.conftest import Server
from tests.console.conftest import ConsoleClient, Staff
from tests.conversation.chat import Chat

pytestmark = pytest.mark.conversation
KB = load_knowledge_base()
SHANGHAI = ZoneInfo("Asia/Shanghai")


def refund_customer(server: Server) -> tuple[Chat, str]:
    """A kettle bought online four days ago, returned for a refund, follow-up at 15:00."""
    customer = Chat(server)
    customer.say("我上周买的电水壶用了三天就不加热了，气死我了")
    customer.say("QT202611150003")
    assert customer.click("退货退款").says("已为您确认：退货退款")
    customer.give_work_facts()
    assert customer.say("明天下午三点").says("已为您预约")
    [complaint] = customer.complaints()
    return customer, complaint["reference"]


def work_orders_of(agent: ConsoleClient, reference: str) -> dict[str, dict]:
    listing = agent.get("/api/console/workorders")
    assert listing.status_code == 200, listing.text
    return {w["kind"]: w for w in listing.json()["items"] if w["complaint_reference"] == reference}


def move(agent: ConsoleClient, work_order: dict, action: str, **extra: str) -> dict:
    response = agent.post(f"/api/console/workorders/{work_order['id']}/moves", json={"action": action, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def test_complaint_to_refund_work_order_moved_to_done_heard_once_and_followed_up(
        server: Server, staff: Staff, console) -> None:  # type: ignore[no-untyped-def]
    customer, reference = refund_customer(server)
    agent = console(staff.agent)
    orders = work_orders_of(agent, reference)
    assert {kind: (w["state"], w["team"]) for kind, w in orders.items()} == {
        "return_pickup": ("created", "物流组"), "refund": ("created", "财务组")}
    [held] = customer.follow_ups()
    assert held["status"] == "awaiting_work"  # the follow-up waits for the work
    assert customer.say("进度如何").says("退款单已生成", "等工单全部完成后")

    move(agent, orders["return_pickup"], "accept")
    move(agent, orders["return_pickup"], "schedule", slot="周四下午2点")
    heard = customer.say("进度如何")
    assert heard.texts[:2] == ["物流同事已接单，马上为您预约快递上门取件。", "快递已约好周四下午2点上门取件，请您把商品准备好。"]
    assert heard.says("快递已约好周四下午2点上门取件")

    move(agent, orders["return_pickup"], "start")
    move(agent, orders["return_pickup"], "done")
    move(agent, orders["refund"], "accept")
    done = move(agent, orders["refund"], "done")
    assert done["state"] == "done" and done["times"]["done"]

    told = customer.say("进度如何")
    expected = ["快递小哥正在上门取件的路上。", "退货商品已取走，我们收到后会尽快为您办理退款。",
                "财务同事已接单，正在为您办理退款。", "退款已原路退回，1-3个工作日到账。"]
    assert told.texts[:4] == expected
    assert told.says("退款：退款已原路退回，1-3个工作日到账")
    again = customer.say("进度如何")
    assert not any(text in again.texts for text in expected)  # each change is heard once
    assert again.says("退款已原路退回，1-3个工作日到账")

    [complaint] = customer.complaints()
    assert complaint["status"] == "resolved"
    [follow_up] = customer.follow_ups()
    assert follow_up["status"] == "scheduled"
    due = datetime.fromisoformat(str(follow_up["due_at"])).replace(tzinfo=timezone.utc)
    done_at = datetime.fromisoformat(done["times"]["done"])
    assert due >= done_at + timedelta(hours=KB.work_orders.followup_after_done_hours)
    assert due < done_at + timedelta(hours=KB.work_orders.followup_after_done_hours, days=1)
    assert due.astimezone(SHANGHAI).strftime("%H:%M") == "15:00"  # the time the customer chose
    store = FollowUpStore(server.database_url, KB.service.followup)
    assert [job for job in store.claim_due(due - timedelta(minutes=1), "test:1") if job.id == follow_up["id"]] == []
    assert [job.id for job in store.claim_due(due, "test:1") if job.id == follow_up["id"]] == [follow_up["id"]]


def test_a_refused_move_is_a_clear_409_and_changes_nothing(server: Server, staff: Staff, console) -> None:  # type: ignore[no-untyped-def]
    _, reference = refund_customer(server)
    agent = console(staff.agent)
    refund = work_orders_of(agent, reference)["refund"]
    refused = agent.post(f"/api/console/workorders/{refund['id']}/moves", json={"action": "done"})
    assert refused.status_code == 409
    assert refused.json()["error"] == "transition_refused" and "工单保持原样" in refused.json()["message"]
    bad = agent.post(f"/api/console/workorders/{refund['id']}/moves", json={"action": "explode", "slot": 5})
    assert bad.status_code == 400 and bad.json()["message"]
    after = agent.get(f"/api/console/workorders/{refund['id']}").json()
    assert after["state"] == "created" and len(after["events"]) == 1


def test_the_back_office_needs_a_login_a_role_and_the_csrf_token(server: Server, staff: Staff, console) -> None:  # type: ignore[no-untyped-def]
    assert server.get("/api/console/workorders").status_code == 401
    trainer = console(staff.trainer)
    assert trainer.get("/api/console/workorders").status_code == 403
    agent = console(staff.agent)
    assert agent.post("/api/console/workorders", csrf=False, json={}).status_code == 403


def test_a_failed_work_order_reopens_the_complaint_and_the_customer_hears_a_person_follows_up(
        server: Server, staff: Staff, console) -> None:  # type: ignore[no-untyped-def]
    customer, reference = refund_customer(server)
    agent = console(staff.agent)
    pickup = work_orders_of(agent, reference)["return_pickup"]
    move(agent, pickup, "accept")
    failed = move(agent, pickup, "fail", reason="快递两次上门都没联系上客户")
    assert failed["state"] == "failed"
    [complaint] = customer.complaints()
    assert complaint["status"] == "reopened"
    assert any(h["reasons"] and "workorder_failed" in h["reasons"] for h in customer.handoffs())
    heard = customer.say("进度如何")
    assert heard.texts[1] == "您的退货上门取件在执行中遇到了一点情况，我们已经请资深同事优先为您跟进，很快会和您联系并给出新的安排。"


def test_an_agent_creates_a_work_order_from_a_case_address_masked_for_agents(
        server: Server, staff: Staff, console) -> None:  # type: ignore[no-untyped-def]
    customer, reference = refund_customer(server)
    agent = console(staff.agent)
    address = "上海市浦东新区世纪大道100号5栋1201室"
    made = agent.post("/api/console/workorders", json={
        "complaint_reference": reference, "kind": "repair_visit", "address": address,
        "facts": {"time_slot": "周六上午"}})
    assert made.status_code == 201, made.text
    assert made.json()["address"] == "上海市浦东新****" and made.json()["origin"] == "agent"
    supervisor = console(staff.supervisor)
    assert supervisor.get(f"/api/console/workorders/{made.json()['id']}").json()["address"] == address
    assert customer.say("进度如何").texts[0] == "维修单已生成，售后同事正在为您安排师傅。"
    unknown = agent.post("/api/console/workorders", json={"complaint_reference": "TS19990101-0001", "kind": "refund"})
    assert unknown.status_code == 404 and unknown.json()["message"]


def test_supervisors_see_work_order_figures_and_dead_letters(server: Server, staff: Staff, console) -> None:  # type: ignore[no-untyped-def]
    refund_customer(server)
    supervisor = console(staff.supervisor)
    figures = supervisor.get("/api/console/workorders/figures", params={"days": 7})
    assert figures.status_code == 200, figures.text
    kinds = {row["kind"]: row for row in figures.json()["by_kind"]}
    assert kinds["refund"]["total"] >= 1 and kinds["refund"]["label"] == "退款"
    assert {row["team"] for row in figures.json()["by_team"]} >= {"物流组", "财务组"}
    assert supervisor.get("/api/console/workorders/figures", params={"days": "lots"}).status_code == 400
    assert supervisor.get("/api/console/workorders/dead-letters").json() == {"items": []}  # no shop system here
    agent = console(staff.agent)
    assert agent.get("/api/console/workorders/figures").status_code == 403
