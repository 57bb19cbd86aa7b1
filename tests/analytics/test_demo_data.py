"""The demo records: deterministic, every type and product, and nothing left in flight."""

from __future__ import annotations

from datetime import datetime

from bot.analytics.demo_data import DemoGenerator, DemoPlan
from bot.knowledge import load_knowledge_base

KB = load_knowledge_base()
END = datetime(2026, 11, 20, 6, 0)
PLAN = DemoPlan(complaints=3000, months=6, seed=5, end=END)


def test_the_same_seed_gives_the_same_records_and_another_seed_others() -> None:
    one, two = DemoGenerator(KB, PLAN).build(), DemoGenerator(KB, PLAN).build()
    assert [c["id"] for c in one.complaints] == [c["id"] for c in two.complaints]
    assert one.counts() == two.counts()
    other = DemoGenerator(KB, DemoPlan(complaints=3000, months=6, seed=6, end=END)).build()
    assert {c["id"] for c in other.complaints}.isdisjoint({c["id"] for c in one.complaints})


def test_every_type_product_and_channel_occurs_over_the_months() -> None:
    rows = DemoGenerator(KB, PLAN).build()
    assert {c["type"] for c in rows.complaints} == set(KB.complaint_types.types)
    assert {c["facts"]["product"] for c in rows.complaints} >= {p.name for p in KB.products.products}
    assert {c["channel"] for c in rows.complaints} == {"wechat", "h5", "socketio", "rest"}
    months = {c["created_at"].strftime("%Y-%m") for c in rows.complaints}
    assert len(months) >= 6
    assert {r for h in rows.handoffs for r in h["reasons"]} >= {"danger:fire", "above_cap", "followup_unsolved"}
    assert any(c["approval"] == "rejected" for c in rows.complaints) and rows.breaches and rows.csat


def test_nothing_is_left_in_flight_for_a_running_server() -> None:
    rows = DemoGenerator(KB, PLAN).build()
    assert {h["status"] for h in rows.handoffs} <= {"closed", "returned"}
    assert all(h["closed_at"] <= END and h["claimed_at"] <= h["closed_at"] for h in rows.handoffs)
    assert {f["status"] for f in rows.follow_ups} <= {"answered", "no_answer"}
    assert not [c for c in rows.complaints if c["status"] in ("open", "reopened")]
    assert all(a["created_at"] <= END for a in rows.csat)


def test_personal_data_is_stored_the_way_the_real_code_stores_it() -> None:
    rows = DemoGenerator(KB, PLAN).build()
    customer = rows.customers[0]
    assert customer["phone_masked"] == customer["phone"][:3] + "****" + customer["phone"][-4:]
    assert len(customer["phone_hash"]) == 64 and customer["phone"] not in customer["phone_hash"]
    statements = [s for c in rows.complaints for s in c["facts"]["statements"]]
    assert any("****" in s for s in statements)
    phones = {c["phone"] for c in rows.customers}
    assert not [s for s in statements if any(p in s for p in phones)]
