"""Mid-flow questions are answered and the flow resumes where it was."""

from __future__ import annotations

import pytest

from tests.conversation.chat import Chat, language_lines

pytestmark = pytest.mark.conversation


def test_a_policy_question_while_asked_for_the_order(customer: Chat) -> None:
    assert customer.say("买的吸尘器吸力越来越小").asks_for_order_id()
    bot = customer.say("七天无理由退货怎么算")
    assert bot.says("7天内")
    assert bot.asks_for_order_id()


def test_are_you_a_bot_while_asked_for_the_order(customer: Chat) -> None:
    customer.say("买的吸尘器吸力越来越小")
    bot = customer.say("你是机器人吗")
    assert bot.is_one_of("utter_iamabot")
    assert bot.asks_for_order_id()


def test_progress_question_while_choosing_a_remedy(customer: Chat) -> None:
    customer.say("我的热水壶坏了 订单QT202611150003 烧水烧到一半就自己断电")
    bot = customer.say("我的投诉处理得怎么样了")
    assert bot.says("目前的进展")
    assert bot.offers_remedies()


def test_out_of_scope_while_asked_for_the_order(customer: Chat) -> None:
    customer.say("买的吸尘器吸力越来越小")
    bot = customer.say("今天天气怎么样")
    assert bot.is_one_of("utter_out_of_scope")
    assert bot.asks_for_order_id()


def test_more_venting_while_asked_for_the_order(customer: Chat) -> None:
    customer.say("买的吸尘器吸力越来越小")
    bot = customer.say("气死我了 真的无语")
    assert any(text in language_lines("listening") for text in bot.texts)
    assert bot.asks_for_order_id()


def test_changing_the_remedy_while_booking_the_follow_up(customer: Chat) -> None:
    customer.say("我的热水壶坏了 订单QT202611150003 烧水烧到一半就自己断电")
    assert customer.click("退货退款").asks_for_work_address()
    bot = customer.say("我还是想换货")
    assert bot.says("已为您确认：换货")
    assert bot.asks_for_work_address()  # the new shipment needs it too: asked again, in other words
    assert customer.give_work_facts().asks_for_followup_time()  # a shipment needs no time window
    customer.say("明天上午10点")
    assert customer.complaints()[0]["remedy"] == "exchange"


def test_a_policy_question_while_booking_the_follow_up(customer: Chat) -> None:
    customer.say("我的热水壶坏了 订单QT202611150003 烧水烧到一半就自己断电")
    customer.click("退货退款")
    bot = customer.say("退款多久到账")
    assert bot.says("7天内")
    assert bot.asks_for_work_address()  # back to the pickup address, worded anew
    assert customer.give_work_facts().asks_for_followup_time()
