"""The handoff decision for one message, with the real lexicon markers (knowledge_base/lexicons.yml)."""

from __future__ import annotations

import pytest

from bot.nlu.lexicon import lexicon_matcher
from bot.nlu.normalize import normalize_text
from bot.severity import REASON_LABELS, Assessment, assess_message, reason_label


@pytest.fixture(scope="module")
def assess():
    matcher = lexicon_matcher()

    def run(text: str, intent: str | None = None, confidence: float = 0.0) -> Assessment:
        clean = normalize_text(text)
        return assess_message(clean, intent, confidence, matcher.markers(clean))

    return run


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("转人工", "asked_for_person", id="transfer-to-human"),
        pytest.param("我要人工客服", "asked_for_person", id="human-agent"),
        pytest.param("叫你们经理出来", "asked_for_person", id="call-your-manager"),
        pytest.param("我要跟真人说", "asked_for_person", id="real-person"),
        pytest.param("我要打12315投诉你们", "escalation:regulator", id="12315"),
        pytest.param("我去消费者协会反映", "escalation:regulator", id="consumer-association"),
        pytest.param("我要发微博让大家看看", "escalation:media", id="weibo"),
        pytest.param("信不信我找记者曝光你们", "escalation:media", id="journalist-exposure"),
        pytest.param("我已经联系律师了", "escalation:legal", id="lawyer"),
        pytest.param("我要去法院起诉你们", "escalation:legal", id="lawsuit"),
        pytest.param("把那个客服开除", "escalation:dismissal", id="fire-the-agent"),
        pytest.param("你们就是一群骗子", "abuse", id="swindlers"),
        pytest.param("傻逼客服", "abuse", id="swear-word"),
        pytest.param("什么垃圾服务", "abuse", id="garbage-service"),
        pytest.param("SB客服", "abuse", id="romanised-insult-upper-case"),
        pytest.param("洗衣机着火了", "danger:fire", id="fire"),
        pytest.param("电视机后面冒烟了", "danger:fire", id="smoke"),
        pytest.param("热水器漏电", "danger:electric", id="electric-leak"),
        pytest.param("碰了一下被电了", "danger:electric", id="electric-shock"),
        pytest.param("我手被烫伤了", "danger:burn", id="burn-injury"),
        pytest.param("吃了你们的坚果食物中毒了", "danger:food", id="food-poisoning"),
        pytest.param("这是最后一次机会", "ultimatum", id="last-chance"),
        pytest.param("再不解决我就不客气了", "ultimatum", id="solve-it-or-else"),
        pytest.param("气死我了！！！", "extreme_anger", id="anger-with-repeated-exclamations"),
        pytest.param("气死我了!!!", "extreme_anger", id="anger-with-half-width-exclamations"),
        pytest.param("太过分了？？？", "extreme_anger", id="anger-with-repeated-questions"),
        pytest.param("轉人工", "asked_for_person", id="traditional-characters"),
        pytest.param("ＳＢ客服", "abuse", id="full-width-insult"),
    ],
)
def test_hands_off_at_once(assess, text: str, reason: str) -> None:
    result = assess(text)
    assert result.handoff is True
    assert result.severity == 3
    assert reason in result.reasons


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        pytest.param("孩子被烫伤了", {"danger:burn", "child_at_risk"}, id="child-burned"),
        pytest.param("电水壶着火了，宝宝就在旁边", {"danger:fire", "child_at_risk"}, id="fire-near-baby"),
        pytest.param("小孩摸了一下就触电了", {"danger:electric", "child_at_risk"}, id="child-shocked"),
        pytest.param("婴儿喝了奶粉拉肚子", {"danger:food", "child_at_risk"}, id="infant-sick-from-formula"),
    ],
)
def test_child_at_risk_when_a_child_and_danger_are_named(assess, text: str, reasons: set[str]) -> None:
    result = assess(text)
    assert result.handoff is True
    assert reasons <= set(result.reasons)


@pytest.mark.parametrize("text", ["我的电话13912345678", "订单号QT2026112315001", "电话是18612315000"])
def test_a_hotline_number_inside_a_phone_or_order_number_is_no_threat(assess, text: str) -> None:
    assert not assess(text).handoff


def test_a_hotline_number_on_its_own_still_hands_off(assess) -> None:
    assert assess("我打12345市长热线").handoff


def test_child_alone_is_no_danger(assess) -> None:
    result = assess("给孩子买的羽绒服开线了")
    assert result == Assessment(1, False, [])


def test_several_reasons_are_all_kept(assess) -> None:
    result = assess("再不解决我就打12315，还要发微博曝光")
    assert {"ultimatum", "escalation:regulator", "escalation:media"} <= set(result.reasons)
    assert len(result.reasons) == len(set(result.reasons))


def test_anger_words_alone_are_serious_without_handoff(assess) -> None:
    result = assess("气死我了")
    assert result == Assessment(2, False, ["strong_anger"])


def test_repeated_exclamations_alone_are_serious_without_handoff(assess) -> None:
    result = assess("洗衣机又坏了！！！")
    assert result == Assessment(2, False, ["strong_anger"])


def test_single_exclamation_is_not_anger(assess) -> None:
    assert assess("洗衣机漏水了！").severity == 1


@pytest.mark.parametrize(
    "text",
    [
        "我买的洗衣机漏水了，想换一台",
        "电水壶用了三天就不加热了",
        "快递到现在还没送到",
        "账单上多收了我20块钱",
        "麻烦帮我查一下订单QT202611150001的进度",
    ],
)
def test_calm_complaint_is_normal_and_stays_with_the_bot(assess, text: str) -> None:
    assert assess(text) == Assessment(1, False, [])


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("你们的人工智能客服能解决问题吗", id="artificial-intelligence"),
        pytest.param("安装的人工费太贵了", id="labour-fee"),
        pytest.param("USB接口松了", id="usb-is-not-sb"),
        pytest.param("用工商银行卡付的款", id="bank-name-is-not-regulator"),
    ],
)
def test_harmless_words_containing_a_marker_do_not_trigger(assess, text: str) -> None:
    result = assess(text)
    assert result.handoff is False
    assert "asked_for_person" not in result.reasons
    assert not any(r.startswith("escalation") or r == "abuse" for r in result.reasons)


def test_artificial_intelligence_is_not_a_request_for_a_person() -> None:
    labels = {m.label for m in lexicon_matcher().markers("你们的人工智能客服能解决问题吗")}
    assert "request_human" not in labels


def test_marker_positions_point_at_the_phrase() -> None:
    text = "我要打12315"
    (match,) = [m for m in lexicon_matcher().markers(text) if m.label == "escalation:regulator"]
    assert text[match.start : match.end] == "12315"


@pytest.mark.parametrize(
    ("intent", "reason"),
    [("request_human", "asked_for_person"), ("threaten_escalation", "escalation"), ("insult", "abuse")],
)
def test_confident_handoff_intent_alone_hands_off(intent: str, reason: str) -> None:
    result = assess_message("我有话说", intent, 0.9, [])
    assert result == Assessment(3, True, [reason])


def test_unconfident_handoff_intent_does_not_hand_off() -> None:
    assert assess_message("我有话说", "request_human", 0.3, []).handoff is False


def test_marker_names_the_kind_of_escalation_instead_of_the_intent(assess) -> None:
    result = assess("我要发微博", intent="threaten_escalation", confidence=0.95)
    assert "escalation:media" in result.reasons
    assert "escalation" not in result.reasons


def test_incident_without_danger_is_serious(assess) -> None:
    result = assess("快递员把我家门口的花盆碰碎了", intent="complain_incident", confidence=0.9)
    assert result == Assessment(2, False, ["incident"])


def test_every_reason_has_a_chinese_label_for_the_agent(assess) -> None:
    texts = ["转人工", "12315", "发微博", "律师", "开除", "骗子", "着火", "漏电", "烫伤", "中毒",
             "孩子被烫伤", "最后一次", "气死我了！！！", "气死我了"]
    for text in texts:
        for reason in assess(text).reasons:
            assert reason in REASON_LABELS, reason
            assert reason_label(reason) != reason


def test_as_dict_lists_severity_handoff_and_reasons(assess) -> None:
    assert assess("转人工").as_dict() == {"severity": 3, "handoff": True, "reasons": ["asked_for_person"]}
