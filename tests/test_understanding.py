"""What the issue "Understanding real customers" says a new user saw, as a specification: danger
not phrased with a lexicon word is handed off, mentions that are not demands are not, the type
follows what went wrong, and odd input (10,000 characters, emoji, punctuation, mixed English,
traditional characters, a danger sentence buried in a rant) is read sensibly.

One `qingting analyze` run reads every line (the real trained model, one load)."""

from __future__ import annotations

import pytest

from tests.test_analyze import analyze

DANGER = {
    "家里一股臭鸡蛋味，是你们上门装的燃气灶那边飘出来的": "danger:gas",
    "你们的高压锅刚才盖子崩开了，汤溅得满墙都是": "danger:explosion",
    "茶几玻璃自己裂开，碎片划到我家孩子腿上了": "danger:cut",
    "我家两岁的宝宝把玩具上掉下来的小零件咽下去了": "danger:choking",
    "在你们店里地太滑，我摔了一跤，腰现在动不了": "danger:fall",
    "摸了一下洗衣机外壳手就发麻，像被电了一下": "danger:electric",
    "昨晚吃了你们的卤味，全家上吐下泻": "danger:food",
}

NOT_DEMANDS = [
    "不用转人工，你直接帮我办就行",
    "上次打12315的事已经解决了，今天是想问问换货",
    "你是真人吗",
    "我是律师，想咨询一下你们的退货政策",
    "你们门店经理人挺好的，上回帮了我大忙",
    "你们招客服经理吗",
    "气死我了，等了一个礼拜快递还没到",
    "笑死，包装上的字都印错了",
]

TYPES = {
    "快递员态度特别差，把我的包裹直接扔在门口还骂人": "service",
    "约好周六上门安装，等了一整天师傅都没来": "after_sales",
    "修了两次了还是不制冷": "after_sales",
    "说好满两百减三十，结账的时候根本没减": "billing",
    "下单一个礼拜了物流还没动": "delivery",
    "新买的冰箱用了三天就不制冷了": "quality",
}

RANT = ("我真的不想再说了，上个月在你们这买的电暖器，送货晚了三天我忍了，安装师傅态度也一般我也忍了。"
        "结果今天晚上开着开着插头那里冒烟了，还有一股烧焦的味道，我赶紧拔了。"
        "你们的客服电话一直打不通，在线客服也是机器人，说来说去就那几句话，我到底该找谁？")


@pytest.fixture(scope="module")
def read() -> dict[str, dict]:
    lines = [*DANGER, *NOT_DEMANDS, *TYPES, RANT, "我的冰箱坏了" * 1700, "😡😡😡😡", "！！！？？？……",
             "my fridge 坏了 the delivery guy 态度也很差", "我買的電熱水壺燒水時冒煙了，還有焦味", "我买的电热水壶烧水时冒烟了，还有焦味"]
    return {result["text"]: result for result in analyze(lines)}


@pytest.mark.parametrize("text,kind", DANGER.items())
def test_danger_without_a_lexicon_word_is_handed_off_with_its_kind(read: dict, text: str, kind: str) -> None:
    result = read[text]
    assert result["handoff"] and result["severity"] == 3, result
    assert kind in result["reasons"], result
    assert result["intent"] == "complain_incident" and result["type"] == "incident", result


@pytest.mark.parametrize("text", NOT_DEMANDS)
def test_a_mention_that_is_not_a_demand_keeps_the_bot(read: dict, text: str) -> None:
    result = read[text]
    assert not result["handoff"], result
    assert result["intent"] not in {"request_human", "threaten_escalation", "insult"}, result


@pytest.mark.parametrize("text,complaint_type", TYPES.items())
def test_the_type_follows_what_went_wrong(read: dict, text: str, complaint_type: str) -> None:
    assert read[text]["type"] == complaint_type, read[text]


def test_a_danger_sentence_buried_in_a_rant_is_still_a_handoff(read: dict) -> None:
    result = read[RANT]
    assert result["handoff"] and "danger:fire" in result["reasons"], result


def test_odd_input_is_read_without_a_handoff_or_an_error(read: dict) -> None:
    long_text = read["我的冰箱坏了" * 1700]
    assert long_text["intent"].startswith("complain_") and not long_text["handoff"], long_text
    for text in ("😡😡😡😡", "！！！？？？……"):
        assert read[text]["handoff"] is False, read[text]
    mixed = read["my fridge 坏了 the delivery guy 态度也很差"]
    assert mixed["intent"].startswith("complain_") and not mixed["handoff"], mixed


def test_traditional_characters_read_the_same_as_simplified(read: dict) -> None:
    traditional, simplified = read["我買的電熱水壺燒水時冒煙了，還有焦味"], read["我买的电热水壶烧水时冒烟了，还有焦味"]
    for key in ("intent", "handoff", "reasons", "type", "severity"):
        assert traditional[key] == simplified[key], key
    assert simplified["handoff"]
