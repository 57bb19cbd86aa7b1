"""Extreme complaints go to a person at once; the bot then stays silent."""

from __future__ import annotations

import pytest

from tests.conversation.chat import Chat, read_json_column

pytestmark = pytest.mark.conversation


def _reasons(customer: Chat) -> list[str]:
    [handoff] = customer.handoffs()
    return read_json_column(handoff["reasons"])


def test_asking_for_a_person_hands_off_and_the_bot_goes_silent(customer: Chat) -> None:
    bot = customer.say("转人工")
    assert bot.hands_off()
    assert "asked_for_person" in _reasons(customer)
    assert customer.say("喂 有人吗").silent


def test_asking_for_a_person_in_the_middle_of_a_form(customer: Chat) -> None:
    assert customer.say("买的吸尘器吸力越来越小").asks_for_order_id()
    bot = customer.say("转人工")
    assert bot.hands_off()
    assert not bot.asks_for_order_id()
    [handoff] = customer.handoffs()
    assert handoff["complaint_id"] == customer.complaints()[0]["id"]


def test_a_regulator_threat_hands_off(customer: Chat) -> None:
    assert customer.say("再不解决我就去12315投诉").hands_off()
    reasons = _reasons(customer)
    assert "escalation:regulator" in reasons and "ultimatum" in reasons


def test_abuse_hands_off_with_the_feeling_acknowledged(customer: Chat) -> None:
    bot = customer.say("你们这群骗子 垃圾公司")
    assert bot.hands_off()
    assert bot.says("非常抱歉让您这么生气")
    assert "abuse" in _reasons(customer)


def test_danger_puts_safety_first_and_hands_off(customer: Chat) -> None:
    bot = customer.say("电水壶冒烟了 差点着火 孩子就在旁边")
    assert bot.says("离开到安全的地方", "119", "孩子的安全最要紧")  # fire advice, then the child's
    assert bot.hands_off()
    reasons = _reasons(customer)
    assert "danger:fire" in reasons and "child_at_risk" in reasons


def test_extreme_anger_hands_off(customer: Chat) -> None:
    assert customer.say("气死我了！！！到底管不管").hands_off()
    assert "extreme_anger" in _reasons(customer)


def test_rejecting_every_remedy_hands_off(customer: Chat) -> None:
    customer.say("我的热水壶坏了 订单QT202611150003 烧水烧到一半就自己断电")
    customer.say("都不要")
    bot = customer.say("不要")
    assert bot.hands_off()
    assert "remedies_rejected" in _reasons(customer)
