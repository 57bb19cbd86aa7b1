"""Slot filling that listens: each fact asked at most twice, "没有 / 找不到 / 忘了 / 不记得 /
不知道 / 等会儿发" understood for every fact, a product outside the catalogue kept as said and
marked unverified, implausible answers kindly asked again."""

from __future__ import annotations

import pytest

from tests.conversation.chat import Chat, read_json_column

pytestmark = pytest.mark.conversation

GAPS = {"没有": "none", "找不到": "unknown", "忘了": "unknown", "不记得了": "unknown", "不知道": "unknown",
        "等会儿发": "later"}


def facts_of(customer: Chat) -> dict:
    [complaint] = customer.complaints()
    return read_json_column(complaint["facts"])


@pytest.mark.parametrize("answer", list(GAPS))
def test_order_number_gap_is_understood_and_the_bot_carries_on(customer: Chat, answer: str) -> None:
    assert customer.say("买的吸尘器吸力越来越小").asks_for_order_id()
    bot = customer.say(answer)
    assert not bot.asks_for_order_id(), bot.texts
    assert bot.offers_remedies()
    assert facts_of(customer)["fact_gaps"] == {"order_id": GAPS[answer]}
    assert customer.times_asked()["order_id"] == 1


@pytest.mark.parametrize("answer", ["忘了叫什么了", "不记得了", "等会儿发给你"])
def test_product_gap_is_understood_and_the_bot_carries_on(customer: Chat, answer: str) -> None:
    customer.say("你们卖的东西用了两天就坏了")
    assert customer.say("没有").asks_for_product()
    bot = customer.say(answer)
    assert not bot.asks_for_product(), bot.texts
    assert bot.says("我已经把情况记录下来了")
    assert "product" not in facts_of(customer) or facts_of(customer)["product"] != answer


def test_a_product_outside_the_catalogue_is_kept_as_said_and_marked_unverified(customer: Chat) -> None:
    customer.say("你们卖的东西用了两天就坏了")
    assert customer.say("没有").asks_for_product()
    bot = customer.say("空气炸锅")
    assert bot.says("我已经把情况记录下来了", "空气炸锅")
    assert not bot.asks_for_product()
    facts = facts_of(customer)
    assert facts["product"] == "空气炸锅"
    assert facts["product_verified"] is False
    assert customer.times_asked()["product"] == 1


def test_a_phone_number_given_as_the_product_is_kindly_asked_again(customer: Chat) -> None:
    customer.say("你们卖的东西用了两天就坏了")
    customer.say("没有")
    bot = customer.say("13812345678")
    assert bot.says("像是手机号码")
    assert bot.asks_for_product()
    bot = customer.say("蓝牙耳机")
    assert bot.says("我已经把情况记录下来了", "蓝牙耳机")
    assert "13812345678" not in "".join(customer.transcript)
    assert facts_of(customer)["product"] == "蓝牙耳机"


def test_a_purchase_date_in_the_future_is_kindly_questioned_and_not_kept(customer: Chat) -> None:
    bot = customer.say("我2031年3月1日买的电水壶不加热了")
    assert bot.says("2031年3月1日还在后面呢")
    assert not facts_of(customer).get("incident_date")


def test_no_fact_is_asked_more_than_twice_when_the_customer_answers_other_things(customer: Chat) -> None:
    customer.say("你们卖的东西用了两天就坏了")
    customer.say("七天无理由退货怎么算")
    customer.say("你是机器人吗")
    customer.say("今天天气怎么样")
    customer.say("气死我了 真的无语")
    bot = customer.say("好烦啊")
    assert max(customer.times_asked().values()) <= 2, customer.times_asked()
    assert customer.last.offers_remedies() or bot.says("我已经把情况记录下来了"), customer.transcript


def test_an_unclear_follow_up_time_is_asked_twice_then_the_first_offer_is_booked(customer: Chat) -> None:
    customer.say("我的热水壶坏了 订单QT202611150003 烧水烧到一半就自己断电")
    customer.click("退货退款")
    assert customer.give_work_facts().asks_for_followup_time()
    assert customer.say("看情况吧").asks_for_followup_time()
    bot = customer.say("不知道")
    assert bot.says("已为您预约")
    assert customer.times_asked()["followup_time"] == 2
    [follow_up] = customer.follow_ups()
    assert follow_up["status"] == "awaiting_work"  # due once the remedy is carried out (work orders)


@pytest.mark.parametrize("answer", ["票据等会儿发你", "找不到票据了"])
def test_a_loss_question_answered_with_later_or_cannot_find_is_settled(customer: Chat, answer: str) -> None:
    customer.say("洗衣机漏水把楼下邻居家天花板都泡了")
    assert customer.say("QT202611150005").asked_facts() == ["loss"]
    bot = customer.say(answer)
    assert bot.says("没关系")
    assert bot.offers_remedies()
    assert customer.times_asked()["loss"] == 1
