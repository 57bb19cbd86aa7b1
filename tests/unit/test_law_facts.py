"""The facts the law needs, read from what the customer says (bot/law_facts.py), and how the
conversation layer uses them: stated facts fill in what the order does not record, remedies
granted together become one package, and each confirmation says what truly happens next.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.dialogue import texts
from bot.knowledge import load_knowledge_base
from bot.law_facts import from_json, next_question, read_answer, read_statement, to_json
from bot.orders import OrderRecord, normalize_channel
from bot.remedy import OrderFacts, RemedyEngine, RemedyRequest, packaged

KB = load_knowledge_base()
BANNED = [b.phrase for b in KB.language.banned]
TODAY = date(2026, 11, 23)


# --- what a complaint message states ----------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "food", "expected"),
    [
        ("奶粉变质了，我喝了以后不舒服看了医生，医药费1200元，人已经没事了", True,
         {"food_standard_breach": True, "injured": True, "loss_amount": Decimal("1200")}),
        ("买的奶粉过期了还发霉，喝完看医生花了一千二", True,
         {"food_standard_breach": True, "injured": True, "loss_amount": Decimal("1200")}),
        ("洗衣机漏水把楼下邻居家天花板都泡了", False, {"property_damaged": True}),
        ("电线短路把桌子烧了一块，修桌子花了两百元", False,
         {"property_damaged": True, "loss_amount": Decimal("200")}),
        ("我买的手机是假货，跟正品完全不一样", False, {"counterfeit": True}),
        ("这个耳机不是正品", False, {"counterfeit": True}),
        ("你们卖的手机是翻新机", False, {"refurbished_as_new": True}),
        ("沙发送来的时候腿就断了，是运输途中摔的", False, {"damaged_in_transit": True}),
        ("冰箱收到的时候门都压变形了", False, {"damaged_in_transit": True}),
        ("电话订的羽绒服不想要了", False, {"defect": False}),
        ("坚果礼包的生产日期印错了", True, {"label_only": True, "food_standard_breach": False}),
        # crushed on the way is damage in transit, not food below the safety standard
        ("水果礼盒到的时候压烂了一半，汁水流得满箱子都是", True, {"damaged_in_transit": True}),
        ("水果礼盒收到时一半都烂了", True, {"food_standard_breach": True}),  # rotten, as the customer says
    ],
)
def test_facts_said_outright_are_read(text: str, food: bool, expected: dict) -> None:
    assert read_statement(text, food) == expected


@pytest.mark.parametrize(
    "text",
    [
        "我上周买的电水壶用了三天就不加热了，气死我了",
        "快递送了一个星期还没到，太慢了",
        "应该不是假货吧，就是用着不顺手",
        "我花了3999买的手机屏幕不亮了",  # the price is no loss
        "你们多收了我500块钱，账单明显不对",
        "电话订的羽绒服不想要了，拉链也坏了",  # a defect after all: no 七日无理由 reading
    ],
)
def test_nothing_is_read_into_ordinary_complaints(text: str) -> None:
    facts = read_statement(text, food=False)
    assert not {"counterfeit", "loss_amount", "damaged_in_transit", "injured", "defect"} & set(facts), facts


def test_a_denied_harm_is_no_harm() -> None:
    assert read_statement("没有人受伤，就是吓了一跳")["injured"] is False
    assert "injured" not in read_statement("水壶坏了")


# --- answers to the questions -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "text", "status", "facts"),
    [
        ("loss", "医药费花了1200元", "answered", {"loss_amount": Decimal("1200"), "injured": True}),
        ("loss", "两百块左右", "answered", {"loss_amount": Decimal("200")}),
        ("loss", "一千五百块", "answered", {"loss_amount": Decimal("1500")}),
        ("loss", "医药费800，误工400", "answered", {"loss_amount": Decimal("1200"), "injured": True}),
        ("loss", "一共1200，其中医药费800", "answered", {"loss_amount": Decimal("1200"), "injured": True}),
        ("loss", "800", "answered", {"loss_amount": Decimal("800")}),
        ("loss", "没有额外花费", "answered", {"loss_amount": Decimal("0")}),
        ("loss", "没有", "answered", {"loss_amount": Decimal("0")}),
        ("loss", "不知道", "unknown", {}),
        ("loss", "不记得了", "unknown", {}),
        ("loss", "记不清了", "unknown", {}),
        ("loss", "有", "unclear", {}),
        ("loss", "QT202611150016", "unclear", {}),
        ("harm", "都没有", "answered", {"injured": False, "property_damaged": False}),
        ("harm", "没有", "answered", {"injured": False, "property_damaged": False}),
        ("harm", "人没事", "answered", {"injured": False, "property_damaged": False}),
        ("harm", "有人受伤或不适", "answered", {"injured": True}),
        ("harm", "家里东西受损", "answered", {"property_damaged": True}),
        ("harm", "地板泡坏了，修了八百块", "answered", {"property_damaged": True, "loss_amount": Decimal("800")}),
        ("harm", "有", "answered", {}),  # harm of a kind unsaid: the presumption stands
        ("harm", "不记得了", "unknown", {}),
        ("harm", "你好", "unclear", {}),
        ("food", "食品本身有问题", "answered", {"food_standard_breach": True}),
        ("food", "发霉了", "answered", {"food_standard_breach": True}),
        ("food", "只是包装或标签问题", "answered", {"label_only": True, "food_standard_breach": False}),
        ("food", "标签印错了", "answered", {"label_only": True, "food_standard_breach": False}),
        ("food", "说不准", "unknown", {}),
        ("food", "是", "unclear", {}),
    ],
)
def test_answers_are_read(question: str, text: str, status: str, facts: dict) -> None:
    answer = read_answer(question, text, food=True)
    assert (answer.status, answer.facts) == (status, facts)
    assert answer.settles is (status != "unclear")


def test_questions_follow_the_missing_facts_each_at_most_twice() -> None:
    missing = ["food_standard_breach", "injured", "property_damaged", "loss_amount"]
    assert next_question(missing, {}, []) == "food"
    assert next_question(missing, {"food": 1}, []) == "food"
    assert next_question(missing, {"food": 2}, []) == "harm"
    assert next_question(missing, {"food": 1}, ["food"]) == "harm"
    assert next_question(["loss_amount"], {}, []) == "loss"
    assert next_question(["loss_amount"], {"loss": 2}, []) is None
    assert next_question([], {}, []) is None


def test_facts_round_trip_through_the_record() -> None:
    facts = {"loss_amount": Decimal("1200.5"), "injured": True, "label_only": False, "counterfeit": None}
    record = to_json(facts)
    assert record == {"loss_amount": "1200.5", "injured": True, "label_only": False}
    assert from_json(record) == {"loss_amount": Decimal("1200.5"), "injured": True, "label_only": False}
    assert from_json({"loss_amount": "abc", "other": 1}) == {}


# --- stated facts and the order -----------------------------------------------------------------
def order(**changes: object) -> OrderRecord:
    fields = dict(order_id="QT202611150002", product="手机", price=Decimal("4599"), purchased_on=TODAY,
                  delivered_on=TODAY, channel="online", repairs_done=0, customer_id=None, tier="normal")
    fields.update(changes)
    return OrderRecord(**fields)  # type: ignore[arg-type]


def test_stated_facts_fill_in_what_the_order_leaves_open_and_never_override_it() -> None:
    facts = order().facts(loss_amount=Decimal("300"), injured=True, damaged_in_transit=True,
                          refurbished_as_new=True, channel="store", repairs_done=5)
    assert facts.loss_amount == Decimal("300") and facts.injured is True
    assert facts.damaged_in_transit is True and facts.refurbished_as_new is True
    assert facts.channel == "online" and facts.repairs_done == 0  # the order's record stands
    assert order(same_model_in_stock=True).facts(same_model_in_stock=False).same_model_in_stock is True


@pytest.mark.parametrize(("given", "channel"), [
    ("phone", "phone"), ("Telephone", "phone"), ("TV", "tv"), ("tv_shopping", "tv"), ("mail_order", "mail"),
    ("offline", "store"), (None, "online"), ("", "online"), ("kiosk", "kiosk"),
])
def test_order_api_channel_names(given: object, channel: str) -> None:
    assert normalize_channel(given) == channel


def test_the_demo_orders_include_distance_sales_other_than_online() -> None:
    channels = {o.channel for o in KB.demo_orders.orders}
    assert {"online", "store", "phone", "tv"} <= channels


def test_a_phone_order_keeps_the_seven_day_no_reason_return() -> None:
    engine = RemedyEngine(KB)
    facts = OrderFacts("羽绒服", Decimal("699"), TODAY - timedelta(days=5), TODAY - timedelta(days=3), "phone",
                       defect=False)
    decision = engine.decide(RemedyRequest("quality", facts, today=TODAY))
    (refund,) = [o for o in decision.options if o.kind == "return"]
    assert refund.basis == "cpl_25" and "电话购买" in refund.reason


# --- one package for what the law grants together -----------------------------------------------
def decide(complaint_type: str, **facts: object):  # type: ignore[no-untyped-def]
    engine = RemedyEngine(KB)
    order_facts = OrderFacts(str(facts.pop("product")), Decimal(str(facts.pop("price"))),
                             TODAY - timedelta(days=5), TODAY - timedelta(days=3), "online", **facts)
    return engine.decide(RemedyRequest(complaint_type, order_facts, today=TODAY))


def test_refund_and_damages_are_one_option() -> None:
    decision = decide("quality", product="手机", price=4599, counterfeit=True)
    assert sorted(decision.kinds()) == ["compensation", "return"]
    [package] = packaged(decision.options)
    assert package.kind == "return" and package.label == "退货退款并赔偿"
    assert package.includes == ("compensation",) and package.combines_with == ()
    assert package.amount is not None and package.amount >= Decimal("13797") and package.needs_approval
    assert "第五十五条" in package.article and "三倍" in package.reason


def test_damages_come_with_every_remedy_of_the_goods() -> None:
    decision = decide("incident", product="电水壶", price=129, property_damaged=True, loss_amount=Decimal("500"))
    offered = packaged(decision.options)
    assert [o.label for o in offered] == [o.label + "并赔偿" for o in decision.options if o.kind != "compensation"]
    assert all(o.amount == Decimal("520.00") for o in offered)


def test_options_granted_alone_stay_as_they_are() -> None:
    decision = decide("quality", product="电水壶", price=129)
    assert packaged(decision.options) == decision.options


def test_a_prepayment_refund_comes_with_its_interest() -> None:
    engine = RemedyEngine(KB)
    facts = OrderFacts("电视", Decimal("3650"), TODAY - timedelta(days=10), None, "online", loss_amount=Decimal(0))
    [package] = packaged(engine.decide(RemedyRequest("delivery", facts, today=TODAY)).options)
    assert package.label == "退还预付款并支付利息"
    assert "预付款和利息" in texts.remedy_confirmed(package.as_dict(), 240)


# --- the confirmation says what truly happens -----------------------------------------------------
def test_a_paid_repair_is_confirmed_with_a_quote_not_as_free() -> None:
    paid = {"kind": "repair", "label": "优惠维修", "reason": "三包有效期已过，可以安排优惠维修", "basis": "goodwill",
            "legal": False, "needs_approval": False}
    text = texts.remedy_confirmed(paid, 240)
    assert "由我们承担" not in text and "报价" in text
    free = {**paid, "label": "免费维修", "basis": "sanbao_8", "legal": True}
    assert "维修费用由我们承担" in texts.remedy_confirmed(free, 240)


def test_a_package_above_the_cap_starts_at_once_and_a_supervisor_confirms_the_amount() -> None:
    decision = decide("quality", product="手机", price=4599, counterfeit=True)
    [package] = packaged(decision.options)
    text = texts.remedy_confirmed(package.as_dict(), 240)
    assert "上门取件" in text and "主管" in text and "全额" in text
    assert str(package.amount.quantize(Decimal("1"))) in text  # the full amount, never cut to a cap


def test_damages_of_unknown_amount_are_confirmed_from_the_bills() -> None:
    decision = decide("incident", product="电水壶", price=129, injured=True)
    text = texts.remedy_confirmed(packaged(decision.options)[0].as_dict(), 240)
    assert "票据" in text and "主管" in text


def test_a_no_reason_return_is_not_promised_free_freight() -> None:
    decision = decide("service", product="羽绒服", price=699)
    (refund,) = [o for o in decision.options if o.kind == "return"]
    text = texts.remedy_confirmed(refund.as_dict(), 240)
    assert "按上面说的约定承担" in text and "运费由我们承担" not in text


def test_fact_questions_are_recognised_and_positive() -> None:
    for key in ("food", "harm", "loss"):
        for attempt in (1, 2):
            question = texts.fact_question(key, attempt)
            assert texts.fact_question_key(question) == key
            assert not [p for p in BANNED if p in question]
        assert not [p for p in BANNED for title in texts.FACT_BUTTONS[key] if p in title]
    assert texts.fact_question_key("根据您的情况，我们可以为您提供以下方案：") is None
    assert texts.fact_question_key(None) is None


def test_a_reply_to_a_fact_question_is_no_failure_of_understanding() -> None:
    """Two replies in a row the intent model cannot place hand off (DOMAIN.md), but a reply
    to a fact question is read by the remedy form: it ends the run of failures."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.dialogue.handoff_policy import failures_in_a_row

    def fallback(text: str) -> UserUttered:
        return UserUttered(text, {"name": "nlu_fallback", "confidence": 0.2})

    listen = ActionExecuted("action_listen")
    unclear = [BotUttered("我想确认一下您的意思"), listen, fallback("嗯嗯嗯"), BotUttered("我想确认一下"), listen,
               fallback("哦哦")]
    assert failures_in_a_row(DialogueStateTracker.from_events("a", unclear)) == 2
    answered = [BotUttered(texts.fact_question("loss", 1)), listen, fallback("没有额外损失")]
    assert failures_in_a_row(DialogueStateTracker.from_events("b", answered)) == 0
    after = [*answered, BotUttered("我想确认一下"), listen, fallback("哦哦")]
    assert failures_in_a_row(DialogueStateTracker.from_events("c", after)) == 1


def test_a_supervisor_who_does_not_approve_legal_damages_never_cuts_them_to_the_cap() -> None:
    refused = texts.approval_outcome(False, "4980.00", 200, "TS20261123-0001", legal=True)
    assert "200" not in refused and "全额" in refused and "票据" in refused
    assert "200元以内" in texts.approval_outcome(False, "500.00", 200, "TS20261123-0001")  # goodwill: the cap
    assert "赔偿" in texts.approval_outcome(True, "4980.00", 200, "TS20261123-0001", legal=True)
