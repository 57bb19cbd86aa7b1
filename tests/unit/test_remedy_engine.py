"""The remedy engine, as a table of policy cases (DOMAIN.md, "Remedy policy facts").

Every expected value below is worked out by hand from the policy facts, not by asking the
engine. Expectations changed with issue 21 (the law layer, docs/REMEDY_LAW.md "Corrections to
the old table"): §24 gives exchange or repair after day 7 (not repair only) and names repair
for goods without a warranty; food refunds cite 食品安全法 §148 and combine with the damages;
goodwill comes on top of legal damages. The legal case table is tests/data/remedy_law_cases.yml.
Policy facts: 三包 §9 (7 days from sale: return/exchange/repair), §10 (15 days: exchange/repair),
warranty (free repair), §11 (two repairs in warranty: exchange or return); other goods with a
quality defect: return within 7 days of receipt; online 七日无理由 from receipt except
custom-made, fresh, software and media; food safety: 10x the price, at least 1,000 yuan;
goodwill caps per tier and severity (policies.yml: normal 20/50/100, silver 30/80/150,
gold 50/120/300, vip 100/200/500).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.knowledge import load_knowledge_base
from bot.remedy import (
    OrderFacts,
    RemedyDecision,
    RemedyEngine,
    RemedyOption,
    RemedyRequest,
    confirmation_next_step,
)

TODAY = date(2026, 11, 23)
KB_DIR = Path(__file__).resolve().parents[2] / "knowledge_base"
KINDS = yaml.safe_load((KB_DIR / "remedies.yml").read_text("utf-8"))["kinds"]
LABELS = {kind: info["label"] for kind, info in KINDS.items()}
PAID_LABELS = {kind: info.get("paid_label") for kind, info in KINDS.items()}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def days_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def store(product: str, days: int, price: str = "1999", repairs: int = 0) -> OrderFacts:
    """Bought in a shop `days` ago (sale and receipt on the same day)."""
    return OrderFacts(product, Decimal(price), days_ago(days), days_ago(days), "store", repairs)


def online(product: str, bought: int, received: int | None = None, price: str = "199") -> OrderFacts:
    """Bought online `bought` days ago, received `received` days ago (default: same day)."""
    received = bought if received is None else received
    return OrderFacts(product, Decimal(price), days_ago(bought), days_ago(received), "online")


@pytest.fixture(scope="module")
def engine() -> RemedyEngine:
    return RemedyEngine(load_knowledge_base())


@dataclass(frozen=True)
class Case:
    id: str
    complaint_type: str
    order: OrderFacts | None
    # kind → legal basis (law_refs key, a set of acceptable keys, LEGAL or "goodwill"),
    # exactly the options expected
    expected: dict[str, str | set[str]]
    wish: str | None = None
    tier: str = "normal"
    severity: int = 1
    claimed: str | None = None
    compensation: str | None = None  # expected amount, yuan
    needs_approval: bool = False
    first: str | None = None  # the kind expected first
    wish_allowed: bool = True

    def request(self) -> RemedyRequest:
        return RemedyRequest(
            complaint_type=self.complaint_type,
            order=self.order,
            wish=self.wish,
            tier=self.tier,
            severity=self.severity,
            claimed_amount=None if self.claimed is None else Decimal(self.claimed),
            today=TODAY,
        )


LEGAL = "any law_refs key"  # a legal right (free repair in warranty), whichever article is cited
GOODWILL_20 = {"compensation": "goodwill"}
SANBAO_9 = {"return": "sanbao_9", "exchange": "sanbao_9", "repair": "sanbao_9"}
SANBAO_10 = {"exchange": "sanbao_10", "repair": "sanbao_10"}

CASES = [
    # --- 三包 goods (washing machine, TV): windows run from the sale ------------------------
    Case("sanbao-day3-store-washer-return-exchange-repair", "quality", store("洗衣机", 3),
         {**SANBAO_9, **GOODWILL_20}, compensation="20"),
    Case("sanbao-day3-online-tv-return-exchange-repair", "quality", online("电视", 3, 2, "3299"),
         {**SANBAO_9, **GOODWILL_20}, compensation="20"),
    Case("sanbao-day7-last-day-of-return-window", "quality", store("洗衣机", 7),
         {**SANBAO_9, **GOODWILL_20}, compensation="20"),
    Case("sanbao-day8-exchange-or-repair", "quality", store("洗衣机", 8),
         {**SANBAO_10, **GOODWILL_20}, compensation="20"),
    Case("sanbao-day10-store-exchange-or-repair-no-return", "quality", store("洗衣机", 10),
         {**SANBAO_10, **GOODWILL_20}, compensation="20"),
    Case("sanbao-day10-online-received-day10-no-return", "quality", online("电视", 10, 10, "3299"),
         {**SANBAO_10, **GOODWILL_20}, compensation="20"),
    Case("sanbao-day15-last-day-of-exchange-window", "quality", store("电视", 15),
         {**SANBAO_10, **GOODWILL_20}, compensation="20"),
    Case("sanbao-day16-repair-only", "quality", store("电视", 16),
         {"repair": LEGAL, **GOODWILL_20}, compensation="20"),
    Case("sanbao-day100-in-warranty-repair-only", "quality", store("电视", 100),
         {"repair": LEGAL, **GOODWILL_20}, compensation="20"),
    Case("sanbao-one-repair-done-still-repair-only", "quality", store("洗衣机", 100, repairs=1),
         {"repair": LEGAL, **GOODWILL_20}, compensation="20"),
    Case("sanbao-two-repairs-in-warranty-exchange-or-return", "quality", store("洗衣机", 100, repairs=2),
         {"exchange": "sanbao_11", "return": "sanbao_11", **GOODWILL_20}, compensation="20"),
    Case("sanbao-aircon-36-month-warranty-day-700-repair", "quality", store("空调", 700),
         {"repair": LEGAL, **GOODWILL_20}, compensation="20"),
    Case("sanbao-out-of-warranty-goodwill-repair", "quality", store("洗衣机", 400),
         {"repair": "goodwill", **GOODWILL_20}, compensation="20"),
    Case("after-sales-sanbao-day100-repair", "after_sales", store("冰箱", 100),
         {"repair": LEGAL, **GOODWILL_20}, compensation="20"),
    # --- other goods with a quality defect: return within 7 days of receipt ----------------
    Case("non-sanbao-kettle-online-day3-return-exchange-repair", "quality", online("电水壶", 4, 3, "129"),
         {"return": {"cpl_24", "cpl_25"}, "exchange": "cpl_24", "repair": "cpl_24", **GOODWILL_20},
         compensation="20"),
    Case("non-sanbao-kettle-store-day3-return-exchange-repair", "quality", store("电水壶", 3, "129"),
         {"return": "cpl_24", "exchange": "cpl_24", "repair": "cpl_24", **GOODWILL_20}, compensation="20"),
    # 消保法 §24: after day 7 a defect still gives exchange or repair (the old table: repair only)
    Case("non-sanbao-kettle-store-day30-exchange-or-repair", "quality", store("电水壶", 30, "129"),
         {"exchange": "cpl_24", "repair": "cpl_24", **GOODWILL_20}, compensation="20"),
    # §24 names 修理 too, warranty or not (the old table left it out for a jacket)
    Case("non-sanbao-down-jacket-no-warranty-day3-return-exchange-repair", "quality", store("羽绒服", 3, "899"),
         {"return": "cpl_24", "exchange": "cpl_24", "repair": "cpl_24", **GOODWILL_20}, compensation="20"),
    # --- 七日无理由 (online, from receipt), isolated with a service complaint -------------------
    Case("no-reason-return-online-kettle-day3", "service", online("电水壶", 3),
         {"return": "cpl_25", **GOODWILL_20}, compensation="20"),
    Case("no-reason-return-counted-from-receipt", "service", online("蓝牙耳机", 8, 6, "899"),
         {"return": "cpl_25", **GOODWILL_20}, compensation="20"),
    Case("no-reason-return-window-passed-day8", "service", online("蓝牙耳机", 8, 8, "899"),
         GOODWILL_20, compensation="20"),
    Case("no-reason-return-not-for-store-purchase", "service", store("电水壶", 3, "129"),
         GOODWILL_20, compensation="20"),
    Case("no-reason-return-excluded-custom-made-wardrobe", "service", online("定制衣柜", 3, 2, "6800"),
         GOODWILL_20, compensation="20"),
    Case("no-reason-return-excluded-fresh-fruit-box", "service", online("水果礼盒", 2, 1),
         GOODWILL_20, compensation="20"),
    Case("no-reason-return-excluded-software", "service", online("办公软件", 2, 2),
         GOODWILL_20, compensation="20"),
    Case("no-reason-return-excluded-magazine", "service", online("杂志", 2, 2, "30"),
         GOODWILL_20, compensation="20"),
    Case("excluded-custom-made-quality-defect-still-returnable", "quality", online("定制衣柜", 3, 2, "6800"),
         {"return": "cpl_24", "exchange": "cpl_24", "repair": "cpl_24", **GOODWILL_20}, compensation="20"),
    # --- food safety: 10x the price, at least 1,000 yuan; above the cap → approval ----------
    # 食品安全法 §148: the refund and the damages combine (return basis food_148, not §24/§25),
    # and the goodwill amount of the tier comes on top of the legal amount.
    Case("food-milk-powder-10x-price", "quality", online("奶粉", 2, 1, "298"),
         {"return": "food_148", "compensation": "food_148"},
         compensation="3000.00", needs_approval=True),
    Case("food-milk-powder-minimum-1000", "quality", online("奶粉", 2, 1, "39"),
         {"return": "food_148", "compensation": "food_148"},
         compensation="1020.00", needs_approval=True),
    Case("food-fresh-fruit-quality-return-and-1000", "quality", online("水果礼盒", 2, 1, "88"),
         {"return": "food_148", "compensation": "food_148"}, compensation="1020.00", needs_approval=True),
    # an incident presumes harm: the loss is added once its bills are in (1200 + 500 so far)
    Case("food-incident-vip-above-cap-still-needs-approval", "incident", store("坚果礼包", 1, "120"),
         {"return": "food_148", "compensation": "food_148"}, tier="vip", severity=3,
         compensation="1700.00", needs_approval=True),
    # --- billing: refund what was overcharged ----------------------------------------------
    Case("billing-overcharge-below-cap", "billing", store("洗衣机", 30), {"compensation": "refund_difference"},
         claimed="15", compensation="15.00"),
    Case("billing-overcharge-equal-to-cap", "billing", store("洗衣机", 30), {"compensation": "refund_difference"},
         claimed="20", compensation="20.00"),
    Case("billing-overcharge-above-cap-needs-approval", "billing", store("洗衣机", 30),
         {"compensation": "refund_difference"}, claimed="88.5", compensation="88.50", needs_approval=True),
    Case("billing-overcharge-within-vip-cap", "billing", store("洗衣机", 30), {"compensation": "refund_difference"},
         tier="vip", severity=3, claimed="300", compensation="300.00"),
    Case("billing-without-amount-goodwill-cap", "billing", store("洗衣机", 30), GOODWILL_20, compensation="20"),
    # --- service: goodwill compensation up to the tier/severity cap --------------------------
    Case("service-normal-severity1-cap-20", "service", None, GOODWILL_20, compensation="20"),
    Case("service-normal-severity3-cap-100", "service", None, GOODWILL_20, severity=3, compensation="100"),
    Case("service-silver-severity1-cap-30", "service", None, GOODWILL_20, tier="silver", compensation="30"),
    Case("service-gold-severity2-cap-120", "service", None, GOODWILL_20, tier="gold", severity=2,
         compensation="120"),
    Case("service-vip-severity3-cap-500", "service", None, GOODWILL_20, tier="vip", severity=3,
         compensation="500"),
    Case("service-asked-amount-above-cap-needs-approval", "service", None, GOODWILL_20, wish="compensation",
         claimed="200", compensation="200", needs_approval=True, first="compensation"),
    Case("service-asked-amount-within-cap", "service", None, GOODWILL_20, wish="compensation",
         claimed="10", compensation="10", first="compensation"),
    # --- the customer's wish -----------------------------------------------------------------
    Case("wish-repair-ranked-first", "quality", store("洗衣机", 3), {**SANBAO_9, **GOODWILL_20},
         wish="repair", first="repair", compensation="20"),
    Case("wish-exchange-ranked-first", "quality", store("洗衣机", 10), {**SANBAO_10, **GOODWILL_20},
         wish="exchange", first="exchange", compensation="20"),
    Case("wish-compensation-ranked-first", "quality", store("洗衣机", 3), {**SANBAO_9, **GOODWILL_20},
         wish="compensation", first="compensation", compensation="20"),
    Case("wish-return-after-day7-not-allowed", "quality", store("洗衣机", 10), {**SANBAO_10, **GOODWILL_20},
         wish="return", wish_allowed=False, compensation="20"),
    Case("wish-exchange-on-service-complaint-not-allowed", "service", None, GOODWILL_20,
         wish="exchange", wish_allowed=False, compensation="20"),
    Case("no-wish-legal-remedies-before-goodwill-in-matrix-order", "quality", store("洗衣机", 3),
         {**SANBAO_9, **GOODWILL_20}, first="return", compensation="20"),
    # --- no order --------------------------------------------------------------------------
    # --- no order yet: the type's goods remedies once the order is checked, goodwill now ----------
    Case("no-order-quality-pending-goods", "quality", None,
         {"return": "pending_order", "exchange": "pending_order", "repair": "pending_order", **GOODWILL_20},
         compensation="20"),
    Case("no-order-delivery-pending-goods", "delivery", None,
         {"return": "pending_order", "exchange": "pending_order", **GOODWILL_20}, compensation="20"),
    Case("no-order-service-goodwill-only", "service", None, GOODWILL_20, compensation="20"),
]


def decide(engine: RemedyEngine, case: Case) -> RemedyDecision:
    return engine.decide(case.request())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_offers_exactly_the_remedies_policy_allows(engine: RemedyEngine, case: Case) -> None:
    decision = decide(engine, case)
    assert sorted(decision.kinds()) == sorted(case.expected)
    assert len(decision.kinds()) == len(set(decision.kinds())), "one option per kind"
    for option in decision.options:
        allowed = case.expected[option.kind]
        if allowed == LEGAL:
            assert option.basis != "goodwill", f"{option.kind} is a legal right here, not goodwill"
            continue
        allowed = allowed if isinstance(allowed, set) else {allowed}
        assert option.basis in allowed, f"{option.kind}: basis {option.basis}, expected {allowed}"


@pytest.mark.parametrize("case", [c for c in CASES if c.compensation], ids=[c.id for c in CASES if c.compensation])
def test_compensation_amount_and_approval(engine: RemedyEngine, case: Case) -> None:
    (option,) = [o for o in decide(engine, case).options if o.kind == "compensation"]
    assert option.amount == Decimal(case.compensation)
    assert option.needs_approval is case.needs_approval


@pytest.mark.parametrize("case", [c for c in CASES if c.first], ids=[c.id for c in CASES if c.first])
def test_ranks_the_expected_option_first(engine: RemedyEngine, case: Case) -> None:
    assert decide(engine, case).kinds()[0] == case.first


@pytest.mark.parametrize("case", [c for c in CASES if c.wish], ids=[c.id for c in CASES if c.wish])
def test_wish_allowed_only_when_offered(engine: RemedyEngine, case: Case) -> None:
    decision = decide(engine, case)
    assert decision.wish_allowed is case.wish_allowed
    assert (case.wish in decision.kinds()) is case.wish_allowed


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_option_has_a_chinese_reason_and_the_knowledge_base_label(engine: RemedyEngine, case: Case) -> None:
    for option in decide(engine, case).options:
        assert option.reason.strip() and CHINESE.search(option.reason)
        paid_repair = option.kind == "repair" and option.basis == "goodwill"
        prepaid = option.kind == "return" and option.basis == "cpl_53"
        expected = PAID_LABELS[option.kind] if paid_repair else LABELS[option.kind]
        assert option.label == (KINDS["return"]["prepaid_label"] if prepaid else expected)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_case_is_valid_with_a_chinese_note(engine: RemedyEngine, case: Case) -> None:
    decision = decide(engine, case)
    assert decision.valid is True
    assert CHINESE.search(decision.validity_note)


def test_approval_is_announced_in_the_reason(engine: RemedyEngine) -> None:
    case = next(c for c in CASES if c.id == "billing-overcharge-above-cap-needs-approval")
    (option,) = decide(engine, case).options
    assert "审批" in option.reason and "88.50" in option.reason


def test_reason_of_a_granted_compensation_states_the_amount(engine: RemedyEngine) -> None:
    case = next(c for c in CASES if c.id == "billing-overcharge-below-cap")
    (option,) = decide(engine, case).options
    assert "15.00" in option.reason and "审批" not in option.reason


def test_without_an_order_the_types_goods_remedies_are_offered_subject_to_checking_it(
        engine: RemedyEngine) -> None:
    decision = engine.decide(RemedyRequest("quality", None, today=TODAY))
    assert "暂未关联订单" in decision.validity_note
    assert decision.kinds() == ["return", "exchange", "repair", "compensation"]
    pending = [o for o in decision.options if o.kind != "compensation"]
    assert all(o.basis == "pending_order" and not o.legal and o.reason.startswith("订单核实后") for o in pending)
    assert len({o.reason for o in pending}) == 3  # each reason says what that remedy needs
    assert engine.decide(RemedyRequest("after_sales", None, today=TODAY)).kinds() == ["repair", "exchange",
                                                                                        "compensation"]
    assert engine.decide(RemedyRequest("service", None, today=TODAY)).kinds() == ["compensation"]  # no goods


def test_a_pending_remedy_is_confirmed_as_checked_first_never_as_a_paid_repair(engine: RemedyEngine) -> None:
    decision = engine.decide(RemedyRequest("quality", None, today=TODAY))
    repair = next(o for o in decision.options if o.kind == "repair")
    assert RemedyOption.from_dict({k: v for k, v in repair.as_dict().items() if k != "legal"}).legal is False
    step = confirmation_next_step(repair.as_dict())
    assert "核实您的订单" in step and "报价" not in step


def test_unknown_product_is_recorded_for_a_manual_check(engine: RemedyEngine) -> None:
    order = OrderFacts("扫地机器人", Decimal("1999"), days_ago(3), days_ago(3), "store")
    decision = engine.decide(RemedyRequest("quality", order, today=TODAY))
    assert "人工核实" in decision.validity_note
    assert all(option.basis in ("goodwill", "pending_order") for option in decision.options)


def test_out_of_warranty_note_still_promises_help(engine: RemedyEngine) -> None:
    decision = engine.decide(RemedyRequest("quality", store("洗衣机", 400), today=TODAY))
    assert "保修期" in decision.validity_note
    assert "维修" in decision.validity_note


def test_in_policy_order_note_says_the_complaint_stands(engine: RemedyEngine) -> None:
    decision = engine.decide(RemedyRequest("quality", store("洗衣机", 3), today=TODAY))
    assert "投诉成立" in decision.validity_note


def test_alias_resolves_to_the_product_policy(engine: RemedyEngine) -> None:
    by_alias = engine.decide(RemedyRequest("quality", store("滚筒洗衣机", 10), today=TODAY))
    assert sorted(by_alias.kinds()) == ["compensation", "exchange", "repair"]


@pytest.mark.parametrize("tier", ["normal", "silver", "gold", "vip"])
def test_tier_never_changes_the_legal_remedies(engine: RemedyEngine, tier: str) -> None:
    decision = engine.decide(RemedyRequest("quality", store("洗衣机", 10), tier=tier, today=TODAY))
    legal = {o.kind: o.basis for o in decision.options if o.basis != "goodwill"}
    assert legal == SANBAO_10


def test_higher_tier_gets_a_higher_goodwill_cap(engine: RemedyEngine) -> None:
    amounts = [
        next(o.amount for o in engine.decide(RemedyRequest("service", None, tier=t, today=TODAY)).options)
        for t in ("normal", "silver", "gold", "vip")
    ]
    assert amounts == sorted(amounts) and len(set(amounts)) == 4


def test_as_dict_round_trips(engine: RemedyEngine) -> None:
    from bot.remedy import RemedyOption

    for option in engine.decide(RemedyRequest("quality", online("奶粉", 2, 1, "298"), today=TODAY)).options:
        assert RemedyOption.from_dict(option.as_dict()) == option


# --- windows measured the way policies.yml states them ------------------------------------
# policies.yml: "All day counts run from sale (三包) or from receipt of the goods (online
# returns)"; demo_orders.yml: "purchased_days_ago: days since the sale (三包 windows run from
# the sale)". Warranties are whole months.


def test_sanbao_window_runs_from_the_sale_for_an_online_order(engine: RemedyEngine) -> None:
    """TV ordered online 10 days ago, received 5 days ago: 三包 day 10 (§10: exchange or
    repair), no-reason return day 5 (§25: return)."""
    decision = engine.decide(RemedyRequest("quality", online("电视", 10, 5, "3299"), today=TODAY))
    bases = {o.kind: o.basis for o in decision.options}
    assert bases == {"return": "cpl_25", "exchange": "sanbao_10", "repair": "sanbao_10",
                     "compensation": "goodwill"}


def test_sanbao_exchange_window_closed_for_online_order_bought_20_days_ago(engine: RemedyEngine) -> None:
    """TV ordered online 20 days ago, received 12 days ago: past §10's 15 days from sale and
    past the 7-day no-reason window → free warranty repair only."""
    decision = engine.decide(RemedyRequest("quality", online("电视", 20, 12, "3299"), today=TODAY))
    assert sorted(decision.kinds()) == ["compensation", "repair"]


def test_twelve_month_warranty_covers_day_362(engine: RemedyEngine) -> None:
    """Bought 2025-11-26; on 2026-11-23 the 12-month warranty (to 2026-11-26) still runs."""
    order = OrderFacts("洗衣机", Decimal("2999"), date(2025, 11, 26), date(2025, 11, 26), "store")
    decision = engine.decide(RemedyRequest("quality", order, today=TODAY))
    (repair,) = [o for o in decision.options if o.kind == "repair"]
    assert repair.basis != "goodwill", repair.reason
    assert "超出" not in decision.validity_note
