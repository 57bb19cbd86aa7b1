"""Danger: the advice for that hazard comes first, then the handoff line in a person's words."""

from __future__ import annotations

import pytest

from tests.conversation.chat import Chat, kb_yaml, read_json_column

pytestmark = pytest.mark.conversation


def advice(hazard: str) -> str:
    return kb_yaml("language.yml")["safety_advice"][hazard]


@pytest.mark.parametrize(
    ("hazard", "message", "must_say"),
    [
        ("gas", "家里燃气灶一直漏气，满屋子都是煤气味", ("燃气总阀", "开窗")),
        ("electric", "你们的热水器漏电，我洗澡的时候被电了一下", ("配电箱", "断电")),
        ("fire", "微波炉用着用着突然冒烟着火了", ("119",)),
        ("burn", "电水壶的盖子突然弹开，开水把我手烫伤了", ("凉水", "120")),
        ("choking", "耳机上的小零件掉下来，我家宝宝误吞了", ("120",)),
        ("food", "吃了你们的坚果礼包之后全家上吐下泻", ("停止食用", "包装", "就医")),
    ],
)
def test_each_hazard_gets_its_own_safety_advice_before_the_handoff(
    customer: Chat, hazard: str, message: str, must_say: tuple[str, ...]
) -> None:
    bot = customer.say(message)
    assert bot.hands_off(), bot.texts
    assert bot.says(advice(hazard), *must_say), bot.texts
    assert bot.text.index(advice(hazard)) < bot.text.index("资深同事")
    [handoff] = customer.handoffs()
    assert f"danger:{hazard}" in read_json_column(handoff["reasons"])


def test_gas_advice_is_not_the_fire_advice(customer: Chat) -> None:
    bot = customer.say("家里燃气灶一直漏气，满屋子都是煤气味")
    assert not bot.says("119")
    assert bot.says("别开关任何电器")
