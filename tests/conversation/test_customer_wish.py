"""The customer's own wish first: acknowledged in the very next reply, recorded on the
complaint; an apology-only complaint gets a sincere apology without any order number."""

from __future__ import annotations

import pytest

from tests.conversation.chat import Chat, read_json_column

pytestmark = pytest.mark.conversation


def the_complaint(customer: Chat) -> dict:
    [complaint] = customer.complaints()
    return {**complaint, "facts": read_json_column(complaint["facts"])}


def test_an_apology_is_all_they_want_and_all_they_are_asked_for(customer: Chat) -> None:
    bot = customer.say("你们客服说话太冲了，我问一句她怼我三句，我只想要个道歉")
    assert bot.opens_with_empathy_for("service"), bot.texts
    assert bot.says("您最在意的是我们真诚地道个歉")
    assert bot.says("郑重地向您道歉", "服务质量团队")
    assert not bot.asks_for_order_id() and not bot.offers_remedies()
    assert bot.asks_for_followup_time()
    complaint = the_complaint(customer)
    assert complaint["facts"]["customer_wish"] == "希望得到道歉"
    assert complaint["facts"]["feedback_for"] == "服务质量团队"
    assert complaint["order_id"] is None and complaint["status"] == "accepted"
    customer.say("明天上午10点")
    assert the_complaint(customer)["status"] == "in_progress"


def test_a_wish_for_an_explanation_said_while_asked_for_the_order(customer: Chat) -> None:
    assert customer.say("师傅说好上午来装空调，等了一天人都没来").asks_for_order_id()
    bot = customer.say("订单号先不说了，你们得给我个说法")
    assert bot.says("给您一个交代")
    assert bot.says("24小时内", "售后服务团队")
    assert not bot.asks_for_order_id()
    assert the_complaint(customer)["facts"]["customer_wish"] == "希望给个说法"


def test_a_refund_wish_is_heard_and_put_first(customer: Chat) -> None:
    bot = customer.say("电水壶用了两天就不加热了，把钱退我就行")
    assert bot.says("您希望把钱退回来")
    assert bot.asks_for_order_id()
    bot = customer.say("QT202611150003")
    assert bot.offers_remedies()
    assert bot.button_titles[0] == "退货退款"
    assert the_complaint(customer)["facts"]["customer_wish"] == "希望退钱"


def test_a_staff_change_wish_is_recorded_and_the_complaint_goes_on(customer: Chat) -> None:
    bot = customer.say("快递员把箱子直接扔在门口，态度还很凶，以后别让他送了")
    assert bot.says("以后不再由这位同事为您服务")
    assert bot.asks_for_order_id()
    assert the_complaint(customer)["facts"]["customer_wish"] == "希望以后换人服务"


def test_a_wish_is_acknowledged_once_even_when_said_again(customer: Chat) -> None:
    customer.say("电水壶用了两天就不加热了，把钱退我就行")
    bot = customer.say("反正把钱退我就行")
    assert not bot.says("您希望把钱退回来")
