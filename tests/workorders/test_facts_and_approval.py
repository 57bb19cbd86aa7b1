"""The facts a work order needs from the customer, and a compensation held until approved.

What must hold: the address and time window given in the conversation land on the work orders
that need them (the address encrypted at rest, masked for agents), each as an event the shop
hears as `work_order.updated`; a new remedy keeps what was already given; a compensation above
the bot's cap has no payout work order until a supervisor approves it, and gets exactly one then;
a rejected one gets none.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, text

from bot.console.accounts import ConsoleUser
from bot.console.desk import HandoffDesk
from bot.remedy import RemedyOption
from bot.storage import models as m
from bot.storage.db import engine_for, session_scope
from bot.workorders.service import WorkOrderService
from tests.workorders.test_service import KB, RETURN, by_kind, complaints, open_case, work_orders

ADDRESS = "杭州市西湖区文三路90号5幢301室"
SUPERVISOR = ConsoleUser("u1", "wang", "王主管", "supervisor")
ABOVE_CAP = RemedyOption("compensation", "补偿", "服务", "goodwill", amount=Decimal("800"), needs_approval=True)
RETURN_WITH_DAMAGES = RemedyOption("return", "退货退款并赔偿", "食品安全", "fsl_148", amount=Decimal("4880"),
                                   needs_approval=True, legal=True, includes=("compensation",))


def test_the_address_and_window_go_to_the_work_orders_that_need_them(url: str) -> None:
    complaint_id = open_case(url)
    service = WorkOrderService(url, KB, shop=True)
    assert service.missing_customer_facts(complaint_id) == {"address": "退货上门取件", "time_slot": "退货上门取件"}
    assert service.add_customer_facts(complaint_id, address=ADDRESS) == [work_orders(url, complaint_id)[0].reference]
    service.add_customer_facts(complaint_id, time_slot="12月9日上午9:00-12:00")
    assert service.missing_customer_facts(complaint_id) == {}
    pickup, refund = work_orders(url, complaint_id)
    assert pickup.address == ADDRESS and pickup.address_masked == "杭州市西湖区****"
    assert pickup.facts["time_slot"] == "12月9日上午9:00-12:00"
    assert refund.address is None and "time_slot" not in refund.facts
    with engine_for(url).connect() as connection:
        stored = connection.execute(text("SELECT address FROM work_orders WHERE id = :id"), {"id": pickup.id}).scalar()
    assert "文三路" not in stored
    masked = service.detail(pickup.id, reveal=False)
    assert "文三路" not in json.dumps(masked, ensure_ascii=False)
    assert [(e["from"], e["to"], e["actor"]) for e in masked["events"]][-2:] == [
        ("created", "created", "customer"), ("created", "created", "customer")]
    with session_scope(url) as db:
        sent = [json.loads(e.payload) for e in db.execute(select(m.ShopEvent).where(
            m.ShopEvent.work_order_id == pickup.id).order_by(m.ShopEvent.id)).scalars()]
    assert [e["type"] for e in sent] == ["work_order.updated", "work_order.updated"]  # (created: no shop then)
    assert sent[-1]["work_order"]["address"] == ADDRESS and sent[-1]["work_order"]["state"] == "created"


def test_a_changed_remedy_keeps_the_address_already_given(url: str) -> None:
    complaint_id = open_case(url)
    service = WorkOrderService(url, KB)
    service.add_customer_facts(complaint_id, address=ADDRESS, time_slot="明天上午")
    exchange = RemedyOption("exchange", "换货", "十五日内", "sanbao_exchange")
    asyncio.run(complaints(url).record_remedy(complaint_id, exchange))
    shipment = next(w for w in work_orders(url, complaint_id) if w.kind == "exchange_shipment")
    assert shipment.address == ADDRESS
    assert service.missing_customer_facts(complaint_id) == {}


def approval_case(url: str, option: RemedyOption, sender: str = "c1") -> tuple[str, str]:
    complaint_id = open_case(url, option, "service" if option.kind == "compensation" else "quality", sender)
    handoff_id = asyncio.run(complaints(url).request_approval(sender, "rest", complaint_id, datetime(2026, 12, 7, 10)))
    assert handoff_id
    return complaint_id, handoff_id


def test_a_compensation_above_the_cap_is_paid_out_only_after_a_supervisors_approval(url: str) -> None:
    complaint_id, handoff_id = approval_case(url, ABOVE_CAP)
    assert set(by_kind(url, complaint_id)) == {"apology_feedback"}  # the payout waits for the approval
    desk = HandoffDesk(url, KB)
    desk.decide_approval(handoff_id, SUPERVISOR, True, "")
    payout = [w for w in work_orders(url, complaint_id) if w.kind == "compensation_payout"]
    assert len(payout) == 1 and payout[0].facts["amount"] in ("800", "800.00")
    assert payout[0].created_by == "wang" and payout[0].state == "created"


def test_a_package_with_damages_keeps_its_return_and_holds_only_the_payout(url: str) -> None:
    complaint_id, handoff_id = approval_case(url, RETURN_WITH_DAMAGES)
    assert set(by_kind(url, complaint_id)) == {"return_pickup", "refund"}
    HandoffDesk(url, KB).decide_approval(handoff_id, SUPERVISOR, True, "")
    assert sorted(by_kind(url, complaint_id)) == ["compensation_payout", "refund", "return_pickup"]


def test_a_rejected_compensation_creates_no_payout(url: str) -> None:
    complaint_id, handoff_id = approval_case(url, ABOVE_CAP)
    HandoffDesk(url, KB).decide_approval(handoff_id, SUPERVISOR, False, "金额偏高")
    assert "compensation_payout" not in by_kind(url, complaint_id)


def test_a_compensation_within_the_cap_is_paid_out_at_once(url: str) -> None:
    small = RemedyOption("compensation", "补偿", "服务", "goodwill", amount=Decimal("50"))
    assert "compensation_payout" in by_kind(url, open_case(url, small, "service"))
    assert RETURN.needs_approval is False


# --- one table of feedback teams (work_orders.yml `feedback`) ------------------------------------
def test_one_table_names_the_feedback_team_for_the_apology_and_the_work_order(url: str) -> None:
    import yaml

    from tests.conftest import ROOT

    assert "teams" not in yaml.safe_load((ROOT / "knowledge_base" / "wishes.yml").read_text(encoding="utf-8"))
    assert set(KB.work_orders.feedback) == {"quality", "service", "billing", "delivery", "after_sales", "incident"}
    service_case = open_case(url, RETURN, "service", "c3")  # a remedy of a with_remedy type
    feedback = next(w for w in work_orders(url, service_case) if w.kind == "apology_feedback")
    assert feedback.team == KB.feedback_team("service") == "服务质量团队"
    assert "apology_feedback" not in by_kind(url, open_case(url, RETURN, "quality", "c4"))


def test_an_apology_only_complaint_sends_its_feedback_to_the_team_it_names(url: str) -> None:
    service = complaints(url)
    ref = asyncio.run(service.open_complaint("c5", "rest", "delivery", "快递员态度很差", 1, {}))
    team = KB.feedback_team("delivery")
    asyncio.run(service.record_apology(ref.id, team))
    asyncio.run(service.record_apology(ref.id, team))  # said twice: still one work order
    [feedback] = work_orders(url, ref.id)
    assert (feedback.kind, feedback.team, feedback.state) == ("apology_feedback", "配送团队", "created")
    with session_scope(url) as db:
        assert db.get(m.Complaint, ref.id).facts["feedback_for"] == feedback.team
