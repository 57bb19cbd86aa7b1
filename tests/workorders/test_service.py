"""Work orders on a real database: a confirmed remedy creates them, moves are enforced, and
what they do to the complaint, the follow-up and the handoff queue.

What must hold: a refused move changes nothing; two staff moving the same work order at once
cannot both win; done (the last one) makes the follow-up due a set time later at the time of
day the customer chose; failed reopens the complaint and queues it for a person with the
reason; an overdue work order escalates once; addresses are encrypted at rest and masked.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from bot.complaints import ComplaintService
from bot.knowledge import load_knowledge_base
from bot.orders import DatabaseOrders
from bot.remedy import RemedyOption
from bot.storage import models as m
from bot.storage.db import engine_for, session_scope
from bot.workorders.service import AWAITING_WORK, WorkOrderService
from bot.workorders.states import TransitionRefused

KB = load_knowledge_base()
RETURN = RemedyOption("return", "退货退款", "七日内", "cpl_25")
GOODWILL = RemedyOption("compensation", "补偿", "服务", "goodwill", amount=Decimal("50"))
CHOSEN = datetime(2026, 12, 5, 7, 0)  # the customer chose 15:00 Shanghai time


def complaints(url: str) -> ComplaintService:
    return ComplaintService(url, KB, DatabaseOrders(url))


def open_case(url: str, option: RemedyOption = RETURN, complaint_type: str = "quality",
              sender: str = "c1") -> str:
    service = complaints(url)
    ref = asyncio.run(service.open_complaint(sender, "rest", complaint_type, "电水壶不加热", 1, {"product": "电水壶"}))
    asyncio.run(service.record_remedy(ref.id, option))
    return ref.id


def work_orders(url: str, complaint_id: str) -> list[m.WorkOrder]:
    with session_scope(url) as db:
        return list(db.execute(select(m.WorkOrder).where(m.WorkOrder.complaint_id == complaint_id)
                               .order_by(m.WorkOrder.reference)).scalars())


def by_kind(url: str, complaint_id: str) -> dict[str, str]:
    return {w.kind: w.id for w in work_orders(url, complaint_id)}


def complaint(url: str, complaint_id: str) -> m.Complaint:
    with session_scope(url) as db:
        return db.get(m.Complaint, complaint_id)


EXCHANGE = RemedyOption("exchange", "换货", "三包", "sanbao_10")


@pytest.mark.parametrize(("option", "kinds"), [(RETURN, ["bulky_return_pickup", "refund"]),
                                               (EXCHANGE, ["bulky_exchange_delivery"])])
def test_bulky_goods_go_with_the_installation_team_not_a_courier(url: str, option: RemedyOption,
                                                                 kinds: list[str]) -> None:
    service = complaints(url)
    ref = asyncio.run(service.open_complaint("c-fridge", "rest", "quality", "冰箱不制冷", 1, {"product": "冰箱"}))
    asyncio.run(service.record_remedy(ref.id, option))
    made = work_orders(url, ref.id)
    assert sorted(w.kind for w in made) == sorted(kinds)
    bulky = next(w for w in made if w.kind.startswith("bulky_"))
    assert bulky.team == "安装配送组" and "师傅" in KB.work_orders.kinds[bulky.kind].customer["scheduled"]


def test_a_confirmed_return_creates_a_pickup_and_a_refund_for_their_teams(url: str) -> None:
    complaint_id = open_case(url)
    rows = work_orders(url, complaint_id)
    assert [(w.kind, w.team, w.state, w.remedy) for w in rows] == [
        ("return_pickup", "物流组", "created", "return"), ("refund", "财务组", "created", "return")]
    reference = complaint(url, complaint_id).reference
    assert [w.reference for w in rows] == [f"{reference}-1", f"{reference}-2"]
    pickup = rows[0]
    assert pickup.due_at - pickup.created_at == timedelta(hours=KB.work_orders.kinds["return_pickup"].sla_hours)


def test_a_small_appliance_is_mailed_in_and_a_service_complaint_also_sends_feedback(url: str) -> None:
    repair = RemedyOption("repair", "免费维修", "保修期内", "sanbao_warranty")
    assert set(by_kind(url, open_case(url, repair))) == {"mail_in_repair"}
    assert set(by_kind(url, open_case(url, GOODWILL, "service", "c2"))) == {"compensation_payout", "apology_feedback"}


def test_confirming_the_same_remedy_again_creates_nothing_new_and_a_new_remedy_replaces_the_old(url: str) -> None:
    complaint_id = open_case(url)
    service = complaints(url)
    asyncio.run(service.record_remedy(complaint_id, RETURN))
    assert len(work_orders(url, complaint_id)) == 2
    exchange = RemedyOption("exchange", "换货", "十五日内", "sanbao_exchange")
    asyncio.run(service.record_remedy(complaint_id, exchange))
    states = {(w.kind, w.state) for w in work_orders(url, complaint_id)}
    assert states == {("return_pickup", "cancelled"), ("refund", "cancelled"), ("exchange_shipment", "created")}


def test_each_move_is_stamped_and_recorded_and_tells_the_customer_only_customer_facing_states(url: str) -> None:
    complaint_id = open_case(url)
    pickup = by_kind(url, complaint_id)["return_pickup"]
    service = WorkOrderService(url, KB)
    service.move(pickup, "accept", "li")
    view = service.move(pickup, "schedule", "li", slot="周四下午2点").work_order
    assert view["state"] == "scheduled" and view["facts"]["time_slot"] == "周四下午2点"
    assert view["times"]["accepted"] and view["times"]["scheduled"]
    assert complaint(url, complaint_id).status == "in_progress"
    detail = service.detail(pickup, reveal=False)
    assert [(e["from"], e["to"], e["actor"]) for e in detail["events"]] == [
        (None, "created", "bot"), ("created", "accepted", "li"), ("accepted", "scheduled", "li")]
    assert detail["events"][0]["told_customer"] is None  # the bot said it already when confirming
    assert "周四下午2点上门取件" in detail["events"][2]["told_customer"]


def test_a_refused_move_changes_nothing(url: str) -> None:
    refund = by_kind(url, open_case(url))["refund"]
    service = WorkOrderService(url, KB)
    before = service.detail(refund, reveal=True)
    for action in ("done", "start", "schedule"):
        with pytest.raises(TransitionRefused):
            service.move(refund, action, "li", slot="明天")
    service.move(refund, "cancel", "li")
    with pytest.raises(TransitionRefused):
        service.move(refund, "cancel", "li")  # repeated
    after = service.detail(refund, reveal=True)
    assert after["state"] == "cancelled"
    assert len(after["events"]) == len(before["events"]) + 1


def test_scheduling_needs_a_slot_and_failing_needs_a_reason(url: str) -> None:
    pickup = by_kind(url, open_case(url))["return_pickup"]
    service = WorkOrderService(url, KB)
    service.move(pickup, "accept", "li")
    with pytest.raises(TransitionRefused) as refused:
        service.move(pickup, "schedule", "li", slot="  ")
    assert refused.value.status == 400
    with pytest.raises(TransitionRefused):
        service.move(pickup, "fail", "li", reason="")
    assert service.detail(pickup, reveal=True)["state"] == "accepted"


def test_two_staff_moving_the_same_work_order_at_once_one_wins(url: str) -> None:
    refund = by_kind(url, open_case(url))["refund"]
    service = WorkOrderService(url, KB)
    results: list[str] = []

    def accept(who: str) -> None:
        try:
            service.move(refund, "accept", who)
            results.append("won")
        except TransitionRefused:
            results.append("refused")

    threads = [threading.Thread(target=accept, args=(who,)) for who in ("li", "wang", "zhao")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["refused", "refused", "won"]
    assert len(service.detail(refund, reveal=True)["events"]) == 2


def test_the_follow_up_waits_for_the_work_and_is_due_a_set_time_after_the_last_is_done(url: str) -> None:
    complaint_id = open_case(url)
    asyncio.run(complaints(url).schedule_followup(complaint_id, "c1", "rest", CHOSEN.replace(tzinfo=timezone.utc)))
    with session_scope(url) as db:
        assert db.execute(select(m.FollowUp.status)).scalar_one() == AWAITING_WORK
    service = WorkOrderService(url, KB)
    kinds = by_kind(url, complaint_id)
    done_at = datetime(2026, 12, 10, 9, 30)  # 17:30 in Shanghai
    for kind in ("return_pickup", "refund"):
        service.move(kinds[kind], "accept", "li", now=done_at - timedelta(hours=1))
        service.move(kinds[kind], "done", "li", now=done_at)
    with session_scope(url) as db:
        follow_up = db.execute(select(m.FollowUp)).scalar_one()
    assert KB.work_orders.followup_after_done_hours == 24
    # earliest 17:30 the next day, so the customer's 15:00 (07:00 UTC) comes the day after
    assert follow_up.status == "scheduled"
    assert follow_up.due_at == datetime(2026, 12, 12, 7, 0)
    assert complaint(url, complaint_id).status == "resolved"


def test_the_due_time_keeps_the_customers_time_of_day() -> None:
    service = WorkOrderService("sqlite://", KB)
    hours = KB.work_orders.followup_after_done_hours
    done = datetime(2026, 12, 10, 1, 0)  # 09:00 in Shanghai
    due = service.due_after_work(CHOSEN, done)
    assert due >= done + timedelta(hours=hours)
    assert due < done + timedelta(hours=hours, days=1)
    assert (due.hour, due.minute) == (7, 0)


def test_a_failed_work_order_reopens_the_complaint_and_queues_it_for_a_person_with_the_reason(url: str) -> None:
    complaint_id = open_case(url)
    pickup = by_kind(url, complaint_id)["return_pickup"]
    service = WorkOrderService(url, KB)
    service.move(pickup, "accept", "li")
    outcome = service.move(pickup, "fail", "li", reason="客户电话13812345678一直无人接听")
    assert complaint(url, complaint_id).status == "reopened"
    with session_scope(url) as db:
        handoff = db.get(m.Handoff, outcome.handoff_id)
        notes = db.execute(select(m.HandoffNote.text).where(m.HandoffNote.handoff_id == handoff.id)).scalars().all()
    assert (handoff.status, handoff.reasons, handoff.complaint_id) == ("queued", ["workorder_failed"], complaint_id)
    assert any("无人接听" in note for note in notes)
    masked = service.detail(pickup, reveal=False)
    assert masked["failure_reason"] == "客户电话138****5678一直无人接听"
    told = masked["events"][-1]["told_customer"]
    assert "资深同事" in told and "退货上门取件" in told


def test_an_overdue_work_order_escalates_once(url: str) -> None:
    complaint_id = open_case(url)
    service = WorkOrderService(url, KB)
    late = datetime.now(timezone.utc) + timedelta(hours=KB.work_orders.kinds["refund"].sla_hours + 1)
    first = service.escalate_overdue(late)
    assert sorted(ref.rsplit("-", 1)[-1] for ref, _ in first) == ["1", "2"]
    assert service.escalate_overdue(late + timedelta(hours=5)) == []
    with session_scope(url) as db:
        handoffs = db.execute(select(m.Handoff)).scalars().all()
    assert len(handoffs) == 1 and handoffs[0].reasons == ["workorder_overdue"]
    assert handoffs[0].complaint_id == complaint_id
    assert complaint(url, complaint_id).status == "reopened"
    assert all(w["overdue"] for w in service.listing([], None, reveal=False))


def test_an_agent_creates_a_work_order_with_an_address_encrypted_at_rest_and_masked(url: str) -> None:
    complaint_id = open_case(url)
    reference = complaint(url, complaint_id).reference
    service = WorkOrderService(url, KB)
    address = "上海市浦东新区世纪大道100号5栋1201室"
    made = service.create_by_agent(reference, "repair_visit", {"time_slot": "周六上午"}, address, "li")
    assert made["address"] == address and made["origin"] == "agent"
    with engine_for(url).connect() as connection:
        stored = connection.execute(text("SELECT address FROM work_orders WHERE id = :id"), {"id": made["id"]}).scalar()
    assert address not in stored and "世纪大道" not in stored
    masked = service.detail(made["id"], reveal=False)
    assert masked["address"] == "上海市浦东新****"
    assert "世纪大道" not in str(masked)
    with pytest.raises(TransitionRefused) as refused:
        service.create_by_agent("TS00000000-9999", "refund", {}, None, "li")
    assert refused.value.status == 404


def test_progress_answers_from_the_work_orders(url: str) -> None:
    complaint_id = open_case(url)
    kinds = by_kind(url, complaint_id)
    service = WorkOrderService(url, KB)
    service.move(kinds["refund"], "accept", "li")
    service.move(kinds["refund"], "done", "li")
    progress = asyncio.run(complaints(url).progress("c1"))
    assert progress is not None
    assert any("退款已原路退回，1-3个工作日到账" in line for line in progress.work_orders)
    assert any(line.startswith("退货上门取件：") for line in progress.work_orders)
