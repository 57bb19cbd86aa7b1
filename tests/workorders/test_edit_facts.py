"""Staff edit a work order's facts (address, time window, note for the team) after it was
created (issue 18), at the service level; tests/workorders/test_edit_facts_api.py goes through
the real server.

What must hold: the address is stored encrypted with its masked copy and read masked by staff
who may not see it (the note through `mask_personal_data`); each edit that changes something is
one event (same state, the actor) that the shop hears as `work_order.updated`
with the new facts; "" clears a fact, an unchanged value changes nothing; a work order in a final
state (done, failed, cancelled) is refused with a Chinese 409 and stays as it is, also when it
reached that state between the read and the write; over-long values are a Chinese 400.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from bot.storage import models as m
from bot.storage.db import engine_for, migrate, session_scope
from bot.workorders.service import WorkOrderService
from bot.workorders.states import TransitionRefused
from bot.workorders.store import WorkOrderStore
from tests.test_followups_postgres import pg_url  # noqa: F401 - the scratch PostgreSQL database
from tests.workorders.test_service import KB, by_kind, open_case

ADDRESS = "杭州市西湖区文三路90号5幢301室"
NOTE = "客户白天上班，请先打13812345678约时间"
BANNED = [b.phrase for b in KB.language.banned]


def shop_events(url: str, work_order_id: str) -> list[dict]:
    with session_scope(url) as db:
        return [json.loads(e.payload) for e in db.execute(select(m.ShopEvent).where(
            m.ShopEvent.work_order_id == work_order_id).order_by(m.ShopEvent.id)).scalars()]


def stored(url: str, work_order_id: str) -> dict:
    with engine_for(url).connect() as connection:
        return dict(connection.execute(text("SELECT address, address_masked, team_note, facts FROM work_orders "
                                            "WHERE id = :id"), {"id": work_order_id}).mappings().one())


def test_an_edit_is_stored_encrypted_read_masked_recorded_and_sent_to_the_shop(url: str) -> None:
    pickup = by_kind(url, open_case(url))["return_pickup"]
    service = WorkOrderService(url, KB, shop=True)
    edited = service.edit_facts(pickup, "li", address=ADDRESS, time_slot=" 周六上午 ", note=NOTE)
    assert edited["changed"] == ["地址", "约定时间", "备注"]
    assert (edited["address"], edited["facts"]["time_slot"], edited["note"]) == (ADDRESS, "周六上午", NOTE)

    raw = stored(url, pickup)
    assert "文三路" not in raw["address"] and "13812345678" not in raw["team_note"]  # encrypted at rest
    assert raw["address_masked"] == "杭州市西湖区****"
    masked = service.detail(pickup, reveal=False)
    assert masked["address"] == "杭州市西湖区****"
    assert "13812345678" not in masked["note"] and masked["note"].startswith("客户白天上班")
    assert "文三路" not in json.dumps(masked, ensure_ascii=False)
    last = masked["events"][-1]
    assert (last["from"], last["to"], last["actor"], last["note"]) == ("created", "created", "li", "修改了地址、约定时间、备注")
    assert "周六上午" in last["told_customer"] and "文三路" not in last["told_customer"]

    [event] = [e for e in shop_events(url, pickup) if e["type"] == "work_order.updated"]
    assert event["work_order"]["address"] == ADDRESS and event["work_order"]["note"] == NOTE
    assert event["work_order"]["facts"]["time_slot"] == "周六上午" and event["work_order"]["state"] == "created"


def test_the_same_values_change_nothing_and_an_empty_value_clears(url: str) -> None:
    pickup = by_kind(url, open_case(url))["return_pickup"]
    service = WorkOrderService(url, KB, shop=True)
    service.edit_facts(pickup, "li", address=ADDRESS, time_slot="周六上午", note=NOTE)
    again = service.edit_facts(pickup, "li", address=ADDRESS, time_slot="周六上午", note=NOTE)
    assert again["changed"] == []
    assert len(shop_events(url, pickup)) == 1 and len(service.detail(pickup, True)["events"]) == 2
    cleared = service.edit_facts(pickup, "wang", address="", time_slot="", note="")
    assert cleared["changed"] == ["地址", "约定时间", "备注"]
    assert cleared["address"] is None and "time_slot" not in cleared["facts"] and cleared["note"] is None
    assert stored(url, pickup)["address_masked"] is None
    assert [e["type"] for e in shop_events(url, pickup)] == ["work_order.updated"] * 2


def told(service: WorkOrderService, work_order_id: str) -> list[str | None]:
    return [e["told_customer"] for e in service.detail(work_order_id, True)["events"]]


def test_a_new_time_window_is_told_to_the_customer_once_and_an_address_or_note_change_is_not(url: str) -> None:
    pickup = by_kind(url, open_case(url))["return_pickup"]
    service = WorkOrderService(url, KB, shop=True)
    service.edit_facts(pickup, "li", address=ADDRESS, note=NOTE)
    assert told(service, pickup)[-1] is None  # the customer gave the address; staff notes are internal
    service.edit_facts(pickup, "li", time_slot="周六上午")
    assert told(service, pickup)[-1] == "退货上门取件的时间已为您调整为周六上午，同事会按这个时间安排。如需再改，随时告诉我。"
    service.edit_facts(pickup, "li", time_slot="周六上午")  # unchanged: no event, nothing told again
    service.edit_facts(pickup, "li", time_slot="")  # cleared: nothing to tell
    assert told(service, pickup)[-2:] == [told(service, pickup)[-2], None] and len(told(service, pickup)) == 4


def test_a_scheduled_pickup_moved_by_staff_tells_the_new_time_and_one_under_way_does_not(url: str) -> None:
    pickup = by_kind(url, open_case(url))["return_pickup"]
    service = WorkOrderService(url, KB, shop=True)
    service.move(pickup, "accept", "li")
    service.move(pickup, "schedule", "li", slot="周四下午2点")
    service.edit_facts(pickup, "li", time_slot="周五上午10点")
    line = told(service, pickup)[-1]
    assert line == "退货上门取件的时间已为您调整：快递已约好周五上午10点上门取件，请您把商品准备好。如需再改，随时告诉我。"
    assert not [p for p in BANNED if p in line]
    service.move(pickup, "start", "li")
    service.edit_facts(pickup, "li", time_slot="周五上午11点")
    assert told(service, pickup)[-1] is None


def test_an_edit_keeps_the_state_and_a_later_move_still_works(url: str) -> None:
    pickup = by_kind(url, open_case(url))["return_pickup"]
    service = WorkOrderService(url, KB, shop=True)
    service.move(pickup, "accept", "li")
    service.edit_facts(pickup, "li", time_slot="周日下午")
    moved = service.move(pickup, "schedule", "li", slot="周日下午3点").work_order
    assert moved["state"] == "scheduled" and moved["facts"]["time_slot"] == "周日下午3点"
    types = [e["type"] for e in shop_events(url, pickup)]
    assert types == ["work_order.accepted", "work_order.updated", "work_order.scheduled"]


@pytest.mark.parametrize("action", ["done", "fail", "cancel"])
def test_a_work_order_in_a_final_state_keeps_its_facts(url: str, action: str) -> None:
    refund = by_kind(url, open_case(url))["refund"]
    service = WorkOrderService(url, KB, shop=True)
    if action == "done":
        service.move(refund, "accept", "li")
    service.move(refund, action, "li", reason="客户已自行处理" if action == "fail" else None)
    before = (stored(url, refund), len(shop_events(url, refund)), len(service.detail(refund, True)["events"]))
    with pytest.raises(TransitionRefused) as refused:
        service.edit_facts(refund, "li", note="补充说明")
    assert refused.value.status == 409 and refused.value.code == "final_state"
    assert "已经办结" in refused.value.message and not [p for p in BANNED if p in refused.value.message]
    assert (stored(url, refund), len(shop_events(url, refund)), len(service.detail(refund, True)["events"])) == before


def test_a_work_order_that_reached_a_final_state_meanwhile_is_left_as_it_is(url: str) -> None:
    refund = by_kind(url, open_case(url))["refund"]
    service = WorkOrderService(url, KB)
    service.move(refund, "cancel", "wang")
    with session_scope(url) as db:  # the write of an edit that read the work order while it was open
        store = WorkOrderStore(db)
        assert store.edit(store.get(refund), {"team_note": "晚到的修改"}, m.utcnow()) is False
    assert stored(url, refund)["team_note"] is None


@pytest.mark.parametrize(("field", "length", "code"), [("address", 201, "bad_address"), ("time_slot", 41, "bad_slot"),
                                                        ("note", 501, "bad_note")])
def test_an_over_long_value_is_refused_in_chinese(url: str, field: str, length: int, code: str) -> None:
    pickup = by_kind(url, open_case(url))["return_pickup"]
    service = WorkOrderService(url, KB)
    with pytest.raises(TransitionRefused) as refused:
        service.edit_facts(pickup, "li", **{field: "长" * length})
    assert refused.value.status == 400 and refused.value.code == code
    assert "以内" in refused.value.message and not [p for p in BANNED if p in refused.value.message]
    assert len(service.detail(pickup, True)["events"]) == 1


def test_the_longest_values_fit_their_encrypted_columns_on_postgresql(pg_url: str) -> None:  # noqa: F811
    """VARCHAR limits hold on PostgreSQL (SQLite ignores them): 200 four-byte characters of
    address take about 1,160 characters once encrypted, 500 of note or reason about 2,800."""
    from bot.orders import seed_demo_orders

    migrate(pg_url)
    seed_demo_orders(pg_url, KB)
    pickup = by_kind(pg_url, open_case(pg_url))["return_pickup"]
    service = WorkOrderService(pg_url, KB, shop=True)
    longest = {"address": "😀" * 200, "time_slot": "😀" * 40, "note": "😀" * 500}
    assert service.edit_facts(pickup, "li", **longest)["changed"] == ["地址", "约定时间", "备注"]
    seen = service.detail(pickup, reveal=True)
    assert (seen["address"], seen["facts"]["time_slot"], seen["note"]) == tuple(longest.values())
    failed = service.move(pickup, "fail", "li", reason="😀" * 500).work_order  # the reason is the event's note too
    assert failed["failure_reason"] == "😀" * 500
