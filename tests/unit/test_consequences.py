"""The customer's own loss beyond the goods, read from what they say (bot/consequences.py).

What must hold: each kind is found in the clause that states it, once, and kept in the
customer's words; the goods themselves going wrong is no loss beyond them ("买的东西坏了"), nor
is food that spoiled when the goods are food; a negated loss is none; spoiled belongings and
damaged property are also the law's `property_damaged` (消保法 §52).
"""

from __future__ import annotations

import pytest

from bot import consequences
from bot.law_facts import read_statement


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("冰箱突然不制冷了，冷冻室里囤的一冰箱肉全臭了，好几百块钱的东西全扔了",
         [("spoiled", "冷冻室里囤的一冰箱肉全臭了")]),
        ("冰柜停了一晚上，里面的雪糕全化了", [("spoiled", "里面的雪糕全化了")]),
        ("为了等安装师傅我专门请了一天假，结果人没来", [("time", "为了等安装师傅我专门请了一天假")]),
        ("师傅装洗衣机的时候把我家木地板划了好长一道口子",
         [("property", "师傅装洗衣机的时候把我家木地板划了好长一道口子")]),
        ("洗衣机漏水把楼下邻居家天花板都泡了，我还请假在家等了一天，打车去买配件",
         [("property", "洗衣机漏水把楼下邻居家天花板都泡了"), ("time", "我还请假在家等了一天"),
          ("cost", "打车去买配件")]),
    ],
)
def test_each_loss_is_found_in_the_customers_own_words(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(c.kind, c.said) for c in consequences.read(text)] == expected


@pytest.mark.parametrize("text", ["我买的东西坏了", "电水壶用了三天就不加热了", "我没请假，就是生气", "快递太慢了",
                                  "洗衣机洗到一半就停了"])
def test_the_goods_going_wrong_is_no_loss_beyond_them(text: str) -> None:
    assert consequences.read(text) == []


def test_food_gone_bad_is_the_complaint_itself_when_the_goods_are_food() -> None:
    assert consequences.read("买的冻饺子收到就化了", food_goods=True) == []
    assert [c.kind for c in consequences.read("买的冻饺子收到就化了")] == ["spoiled"]


def test_a_new_kind_is_added_and_a_known_one_keeps_its_first_words() -> None:
    known = [{"kind": "time", "said": "请了一天假"}]
    new = consequences.read("又请假了一天，冰箱里的菜也坏了")
    assert consequences.merged(known, new) == [{"kind": "time", "said": "请了一天假"},
                                               {"kind": "spoiled", "said": "冰箱里的菜也坏了"}]


def test_spoiled_belongings_and_damaged_property_are_the_laws_property_damage() -> None:
    assert read_statement("冷冻室里的肉全臭了")["property_damaged"] is True
    assert read_statement("把我家木地板划了一道")["property_damaged"] is True
    assert "property_damaged" not in read_statement("冷冻室里的肉全臭了", food=True)
