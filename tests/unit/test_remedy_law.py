"""The legal case table (tests/data/remedy_law_cases.yml) run against RemedyEngine (issue 21).

Each case names the article that decides it and the remedies the law gives: the kinds with
their basis, the compensation amount (legal damages in full, goodwill on top), whether a
supervisor must approve it, and which remedies are granted together. docs/REMEDY_LAW.md
explains the rules and the readings chosen where the law is open.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.knowledge import load_knowledge_base
from bot.remedy import OrderFacts, RemedyDecision, RemedyEngine, RemedyRequest, RepairRecord

ROOT = Path(__file__).resolve().parents[2]
TABLE = yaml.safe_load((ROOT / "tests/data/remedy_law_cases.yml").read_text("utf-8"))
TODAY: date = TABLE["today"]
CASES: list[dict] = TABLE["cases"]
KB = load_knowledge_base()
BANNED = [b.phrase for b in KB.language.banned]
CHINESE = re.compile(r"[\u4e00-\u9fff]")
ORDER_KEYS = {"product", "bought", "received", "channel", "price", "repairs", "history", "exchanged", "undelivered"}
MONEY_FACTS = {"loss_amount"}


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def order_of(spec: dict) -> OrderFacts:
    facts = {key: value for key, value in spec.items() if key not in ORDER_KEYS}
    for key in MONEY_FACTS & set(facts):
        facts[key] = Decimal(str(facts[key]))
    history = tuple(
        RepairRecord(ago(r[0]), None if r[1] is None else ago(r[1]), bool(r[2]) if len(r) > 2 else False)
        for r in spec.get("history", ())
    )
    received = spec.get("received", spec["bought"])
    return OrderFacts(
        product=spec["product"],
        price=Decimal(str(spec.get("price", 1999))),
        purchased_on=ago(spec["bought"]),
        delivered_on=None if spec.get("undelivered") else ago(received),
        channel=spec.get("channel", "store"),
        repairs_done=spec.get("repairs", 0),
        repair_history=history,
        exchanged_on=ago(spec["exchanged"]) if "exchanged" in spec else None,
        **facts,
    )


def request_of(case: dict) -> RemedyRequest:
    claimed = case.get("claimed")
    return RemedyRequest(
        complaint_type=case["type"],
        order=order_of(case["order"]),
        wish=case.get("wish"),
        tier=case.get("tier", "normal"),
        severity=case.get("severity", 1),
        claimed_amount=None if claimed is None else Decimal(str(claimed)),
        today=TODAY,
    )


@pytest.fixture(scope="module")
def engine() -> RemedyEngine:
    return RemedyEngine(KB)


def decide(engine: RemedyEngine, case: dict) -> RemedyDecision:
    return engine.decide(request_of(case))


def ids(cases: list[dict]) -> list[str]:
    return [c["id"] for c in cases]


def test_the_table_is_large_enough_and_ids_are_unique() -> None:
    assert len(CASES) >= 120
    assert len(set(ids(CASES))) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_kinds_and_bases(engine: RemedyEngine, case: dict) -> None:
    decision = decide(engine, case)
    got = {o.kind: o.basis for o in decision.options}
    assert len(decision.options) == len(got), "one option per kind"
    assert got == case["expect"]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_the_deciding_article_is_cited(engine: RemedyEngine, case: dict) -> None:
    decision = decide(engine, case)
    article = case["article"]
    if not article:  # past every legal period: goodwill only
        assert all(not o.legal for o in decision.options)
        return
    assert any(article in o.article for o in decision.options), [o.article for o in decision.options]
    for option in decision.options:
        if option.legal:
            assert option.article and option.article.split("、")[0] in option.reason
            assert option.reason.startswith("根据《")


AMOUNT_CASES = [c for c in CASES if "amount" in c]


@pytest.mark.parametrize("case", AMOUNT_CASES, ids=ids(AMOUNT_CASES))
def test_compensation_amount_and_approval(engine: RemedyEngine, case: dict) -> None:
    (option,) = [o for o in decide(engine, case).options if o.kind == "compensation"]
    expected = case["amount"]
    assert option.amount == (None if expected is None else Decimal(expected))
    assert option.needs_approval is case.get("approval", False)
    if option.needs_approval:
        assert "审批" in option.reason


COMBINED = [c for c in CASES if "combined" in c]


@pytest.mark.parametrize("case", COMBINED, ids=ids(COMBINED))
def test_remedies_granted_together(engine: RemedyEngine, case: dict) -> None:
    options = {o.kind: o for o in decide(engine, case).options}
    first, second = case["combined"]
    assert second in options[first].combines_with
    assert first in options[second].combines_with


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_labels_notes_and_language(engine: RemedyEngine, case: dict) -> None:
    decision = decide(engine, case)
    labels = case.get("label", {})
    for option in decision.options:
        assert CHINESE.search(option.reason)
        assert not [p for p in BANNED if p in option.reason], option.reason
        if option.kind in labels:
            assert option.label == labels[option.kind]
        if option.kind == "repair" and not option.legal:
            assert "由我们承担" not in option.reason, "a paid repair is not free"
            assert option.label == KB.remedies.kinds["repair"].paid_label
    assert not [p for p in BANNED if p in decision.validity_note]
    if "note_has" in case:
        assert case["note_has"] in decision.validity_note
    if "absent" in case:
        texts = [o.reason for o in decision.options] + [decision.validity_note]
        assert not [t for t in texts if case["absent"] in t]
    for fact in case.get("missing", []):
        assert fact in decision.missing_facts


WISHES = [c for c in CASES if "wish" in c]


@pytest.mark.parametrize("case", WISHES, ids=ids(WISHES))
def test_wishes(engine: RemedyEngine, case: dict) -> None:
    decision = decide(engine, case)
    if "wish_allowed" in case:
        assert decision.wish_allowed is case["wish_allowed"]
    if "first" in case:
        assert decision.kinds()[0] == case["first"]


@pytest.mark.parametrize("tier", ["normal", "silver", "gold", "vip"])
def test_legal_damages_never_depend_on_the_tier(engine: RemedyEngine, tier: str) -> None:
    """The legal part of the amount is the same for every tier; only goodwill grows."""
    order = OrderFacts("奶粉", Decimal("298"), ago(2), ago(1), "online", food_standard_breach=True)
    decision = engine.decide(RemedyRequest("quality", order, tier=tier, today=TODAY))
    (option,) = [o for o in decision.options if o.kind == "compensation"]
    goodwill = Decimal(KB.goodwill_cap(tier, 1))
    assert option.amount - goodwill == Decimal("2980.00")
    assert option.needs_approval


def test_a_product_without_warranty_never_hears_of_a_warranty(engine: RemedyEngine) -> None:
    for days in (3, 30, 400, 700, 800, 2000):
        order = OrderFacts("羽绒服", Decimal("899"), ago(days), ago(days), "store")
        for complaint_type in ("quality", "after_sales", "incident"):
            decision = engine.decide(RemedyRequest(complaint_type, order, today=TODAY))
            texts = [o.reason for o in decision.options] + [decision.validity_note]
            assert not [t for t in texts if "保修期" in t], texts


def test_sanbao_flags_agree_with_the_published_catalogue() -> None:
    listed = {name for item in KB.law.sanbao.catalogue for name in item.products}
    assert {p.name for p in KB.products.products if p.sanbao} == listed
    assert "吸尘器" in listed and "电饭煲" not in listed


def test_option_dicts_round_trip_with_the_new_fields(engine: RemedyEngine) -> None:
    from bot.remedy import RemedyOption

    case = next(c for c in CASES if c["id"] == "cpl55-counterfeit-phone")
    for option in decide(engine, case).options:
        assert RemedyOption.from_dict(option.as_dict()) == option
    old = {"kind": "repair", "label": "优惠维修", "reason": "x", "basis": "goodwill", "amount": None}
    assert RemedyOption.from_dict(old).legal is False


def test_confirmation_of_a_paid_repair_is_not_free() -> None:
    from bot.remedy import confirmation_next_step

    paid = {"kind": "repair", "basis": "goodwill", "legal": False}
    free = {"kind": "repair", "basis": "sanbao_8", "legal": True}
    assert "由我们承担" not in confirmation_next_step(paid)
    assert "由我们承担" in confirmation_next_step(free)
    assert not [p for p in BANNED if p in confirmation_next_step(paid)]
