"""Every dashboard figure against numbers computed by hand from the fixture in conftest.py,
on SQLite and on PostgreSQL (the same SQL has to mean the same thing on both)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import inspect

from bot.analytics import csv_export
from bot.analytics import queries as q
from bot.knowledge import load_knowledge_base
from bot.storage import models as m
from bot.storage.db import engine_for, session_scope
from tests.analytics.conftest import NOW, Fixture

KB = load_knowledge_base()
WEEK = q.Period(date(2026, 11, 1), date(2026, 11, 7))


@pytest.fixture(params=["sqlite", "postgresql"])
def fx(request: pytest.FixtureRequest) -> Fixture:
    return request.getfixturevalue(f"{'pg' if request.param == 'postgresql' else 'sqlite'}_fixture")


def summary(fx: Fixture, period: q.Period = WEEK) -> dict:
    with session_scope(fx.url) as db:
        return q.summary(db, period, KB, now=NOW)


def drilled(fx: Fixture, period: q.Period = WEEK, **criteria: object) -> set[str]:
    names = {v: k for k, v in fx.ids.items()}
    with session_scope(fx.url) as db:
        scope = q.Scope.of(db, period, NOW)
        rows = db.execute(q.drilled(scope, q.Drill(**criteria))).all()  # type: ignore[arg-type]
        assert q.count_drilled(db, scope, q.Drill(**criteria)) == len(rows)  # type: ignore[arg-type]
        return {names[row[0].id] for row in rows}


def test_totals_and_rates(fx: Fixture) -> None:
    totals = summary(fx)["totals"]
    assert totals == {"complaints": 6, "containment_rate": round(2 / 6, 4), "handoff_rate": 0.5,
                      "fcr_rate": round(2 / 6, 4), "reopen_rate": 0.5, "sla_rate": 0.5, "csat_average": 3.8}


def test_complaints_per_local_day_and_type(fx: Fixture) -> None:
    per_day = summary(fx)["per_day"]
    assert per_day["days"] == [f"2026-11-0{d}" for d in range(1, 8)]
    counts = {s["type"]: s["counts"] for s in per_day["series"]}
    assert set(counts) == set(KB.complaint_types.types)  # every type has a series, zeros included
    # c2 came at 20:00 UTC on 31 October = 04:00 on 1 November in Shanghai; c6 and c7 are outside
    assert counts["quality"] == [2, 0, 0, 0, 0, 0, 0]
    assert counts["service"] == [0, 1, 0, 0, 0, 0, 0]
    assert counts["delivery"] == [0, 0, 1, 0, 0, 0, 0]
    assert counts["billing"] == [0, 0, 0, 0, 1, 0, 0]
    assert counts["incident"] == [0, 0, 0, 0, 0, 0, 1]
    assert counts["after_sales"] == [0] * 7


def test_top_products_use_the_order_before_the_named_product(fx: Fixture) -> None:
    products = [(p["product"], p["count"]) for p in summary(fx)["top_products"]]
    assert products == [("电水壶", 3), (q.NO_PRODUCT, 2), ("微波炉", 1)]
    assert summary(fx)["top_products"][1]["label"] == "未注明商品"


def test_top_issues_are_type_and_product_pairs(fx: Fixture) -> None:
    issues = sorted((i["type"], i["product"], i["count"]) for i in summary(fx)["top_issues"])
    assert issues == sorted([("quality", "电水壶", 1), ("quality", "微波炉", 1), ("delivery", q.NO_PRODUCT, 1),
                             ("billing", "电水壶", 1), ("incident", "电水壶", 1), ("service", q.NO_PRODUCT, 1)])


def test_severity_mix(fx: Fixture) -> None:
    assert [(s["severity"], s["label"], s["count"]) for s in summary(fx)["severity"]] == [
        (1, "一般", 1), (2, "较重", 2), (3, "紧急", 3)]


def test_containment_and_handoff_reasons(fx: Fixture) -> None:
    figures = summary(fx)
    assert figures["containment"] == {"total": 6, "contained": 2, "handed_off": 3, "open": 1,
                                      "containment_rate": round(2 / 6, 4), "handoff_rate": 0.5}
    reasons = {r["code"]: r["count"] for r in figures["handoff_reasons"]}
    assert reasons == {"escalation:regulator": 1, "asked_for_person": 1, "above_cap": 1, "danger:fire": 1}
    assert {r["code"]: r["label"] for r in figures["handoff_reasons"]}["danger:fire"] == "起火/冒烟等安全隐患"


def test_remedy_mix_and_compensation_against_the_cap(fx: Fixture) -> None:
    figures = summary(fx)
    assert {r["remedy"]: r["count"] for r in figures["remedies"]} == {"exchange": 1, "compensation": 3, "none": 2}
    comp = figures["compensation"]
    # c2: 150 for a gold customer at severity 3 (cap 300); c4: 500 at normal/3 (cap 100, above);
    # c8: 30 without a customer record, so normal/2 (cap 50)
    assert comp["levels"] == [
        {"severity": 2, "label": "较重", "count": 1, "paid": 30.0, "cap": 50.0, "above_cap": 0},
        {"severity": 3, "label": "紧急", "count": 2, "paid": 650.0, "cap": 400.0, "above_cap": 1},
    ]
    assert (comp["count"], comp["paid_total"], comp["cap_total"], comp["above_cap"]) == (3, 680.0, 450.0, 1)


def test_sla_compliance_breaches_and_escalations(fx: Fixture) -> None:
    sla = summary(fx)["sla"]
    assert (sla["met"], sla["breached"], sla["pending"], sla["rate"]) == (1, 1, 1, 0.5)
    assert sla["escalations"] == {"complaint": 1, "handoff": 1}
    assert [(d["day"], d["met"], d["breached"], d["pending"]) for d in sla["by_day"]] == [
        ("2026-11-01", 1, 0, 0), ("2026-11-06", 0, 1, 0), ("2026-11-07", 0, 0, 1)]


def test_csat_distribution_trend_and_nps(fx: Fixture) -> None:
    figures = summary(fx)
    csat = figures["csat"]
    assert [d["count"] for d in csat["distribution"]] == [0, 1, 1, 1, 2]
    assert (csat["answers"], csat["average"], csat["solved_rate"]) == (5, 3.8, 0.8)
    assert csat["trend"] == [{"day": "2026-11-02", "answers": 2, "average": 3.5},
                             {"day": "2026-11-03", "answers": 1, "average": 3.0},
                             {"day": "2026-11-04", "answers": 1, "average": 5.0},
                             {"day": "2026-11-06", "answers": 1, "average": 4.0}]
    assert figures["nps"] == {"collected": False}


def test_first_contact_resolution_and_reopen_rate(fx: Fixture) -> None:
    figures = summary(fx)
    assert figures["fcr"] == {"total": 6, "resolved_first_time": 2, "rate": round(2 / 6, 4)}
    assert figures["reopen"] == {"reopened": 2, "resolved": 4, "rate": 0.5}


def test_channel_and_type_filters(fx: Fixture) -> None:
    wechat = summary(fx, q.Period(WEEK.start, WEEK.end, channel="wechat"))
    assert wechat["containment"] == {"total": 3, "contained": 1, "handed_off": 1, "open": 1,
                                     "containment_rate": round(1 / 3, 4), "handoff_rate": round(1 / 3, 4)}
    quality = summary(fx, q.Period(WEEK.start, WEEK.end, type="quality"))
    assert quality["totals"]["complaints"] == 2 and quality["csat"]["answers"] == 2
    empty = summary(fx, q.Period(date(2025, 1, 1), date(2025, 1, 3)))
    assert empty["totals"]["complaints"] == 0 and empty["totals"]["containment_rate"] is None
    assert empty["csat"]["average"] is None and empty["sla"]["rate"] is None


@pytest.mark.parametrize(("criteria", "expected"), [
    ({"day": date(2026, 11, 1)}, {"c1", "c2"}),
    ({"product": "电水壶"}, {"c1", "c4", "c5"}),
    ({"product": q.NO_PRODUCT}, {"c3", "c8"}),
    ({"severity": 3}, {"c2", "c4", "c5"}),
    ({"remedy": "none"}, {"c3", "c5"}),
    ({"remedy": "compensation", "severity": 3}, {"c2", "c4"}),
    ({"reason": "above_cap"}, {"c4"}),
    ({"csat": 5}, {"c1", "c8"}),
    ({"outcome": "contained"}, {"c1", "c8"}),
    ({"outcome": "handed_off"}, {"c2", "c4", "c5"}),
    ({"outcome": "open"}, {"c3"}),
    ({"sla": "breached"}, {"c4"}),
    ({"sla": "pending"}, {"c5"}),
    ({"fcr": True}, {"c1", "c4"}),
    ({"reopened": True}, {"c2", "c8"}),
])
def test_drill_down_lists_the_complaints_behind_a_chart_element(fx: Fixture, criteria: dict, expected: set) -> None:
    assert drilled(fx, **criteria) == expected


def test_facts_of_a_page_of_complaints(fx: Fixture) -> None:
    with session_scope(fx.url) as db:
        facts = q.facts_of(db, [fx.ids["c2"], fx.ids["c3"], fx.ids["c8"]], NOW)
    assert facts[fx.ids["c2"]] == {"handoffs": 1, "reasons": ["escalation:regulator", "asked_for_person"],
                                   "csat": 2, "sla": "met"}
    assert facts[fx.ids["c3"]] == {"handoffs": 0, "reasons": [], "csat": None, "sla": None}
    assert facts[fx.ids["c8"]]["csat"] == 5  # the latest answer


def test_csv_export_masks_personal_data_unless_the_reader_may_see_it(fx: Fixture) -> None:
    with session_scope(fx.url) as db:
        scope = q.Scope.of(db, WEEK, NOW)
        full, count = csv_export.export(db, KB, scope, q.Drill(), full=True)
        masked, _ = csv_export.export(db, KB, scope, q.Drill(), full=False)
    assert count == 6
    full_text, masked_text = full.decode("utf-8-sig"), masked.decode("utf-8-sig")
    assert full_text.splitlines()[0].split(",") == csv_export.HEADER
    assert "13812345678" in full_text and "张三" in full_text
    assert "13812345678" not in masked_text and "张三" not in masked_text
    assert "138****5678" in masked_text and "张**" in masked_text


def test_a_formula_in_a_cell_stays_text() -> None:
    assert csv_export.safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and csv_export.safe_cell("电水壶") == "电水壶"


def test_the_models_and_the_migrations_have_the_same_indexes(fx: Fixture) -> None:
    inspector = inspect(engine_for(fx.url))
    for table in (m.Complaint.__table__, m.Handoff.__table__):
        migrated = {tuple(i["column_names"]) for i in inspector.get_indexes(table.name)}
        declared = {tuple(c.name for c in index.columns) for index in table.indexes}
        assert declared <= migrated, (table.name, declared - migrated)
    assert ("channel", "created_at") in {tuple(i["column_names"]) for i in inspector.get_indexes("complaints")}
