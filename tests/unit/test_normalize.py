"""Text normalisation before the NLU: width, script, whitespace, invisible characters, length."""

from __future__ import annotations

import pytest

from bot.nlu.normalize import DEFAULT_CHAR_LIMIT, normalize, normalize_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("ＱＴ２０２６１１１５０００１", "QT202611150001", id="full-width-order-number"),
        pytest.param("太差了！", "太差了!", id="full-width-exclamation"),
        pytest.param("为什么？？", "为什么??", id="full-width-question-marks"),
        pytest.param("ｓｂ客服", "sb客服", id="full-width-latin-letters"),
        pytest.param("退款１２９元", "退款129元", id="full-width-digits-in-amount"),
        pytest.param("明天１５：３０", "明天15:30", id="full-width-colon-in-time"),
    ],
)
def test_full_width_is_folded_to_half_width(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("我買的洗衣機漏水了", "我买的洗衣机漏水了", id="washing-machine-leaks"),
        pytest.param("客服態度太差", "客服态度太差", id="service-attitude"),
        pytest.param("我要退貨退款", "我要退货退款", id="return-and-refund"),
        pytest.param("電視機冒煙了", "电视机冒烟了", id="tv-smoking"),
    ],
)
def test_traditional_is_folded_to_simplified(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_simplified_text_is_unchanged() -> None:
    assert normalize_text("我买的洗衣机漏水了") == "我买的洗衣机漏水了"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("  我要退货  ", "我要退货", id="leading-and-trailing-spaces"),
        pytest.param("我 \t\n  要   退货", "我 要 退货", id="runs-of-mixed-whitespace"),
        pytest.param("我\u3000要退货", "我 要退货", id="ideographic-space"),
        pytest.param("第一行\r\n第二行", "第一行 第二行", id="line-breaks"),
    ],
)
def test_whitespace_is_collapsed_and_stripped(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("退\u200b货", "退货", id="zero-width-space"),
        pytest.param("退\u200d货", "退货", id="zero-width-joiner"),
        pytest.param("\ufeff我要退货", "我要退货", id="byte-order-mark"),
        pytest.param("我要\x07退货\x00", "我要退货", id="control-characters"),
        pytest.param("退\u200e货", "退货", id="left-to-right-mark"),
    ],
)
def test_invisible_and_control_characters_are_removed(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize("text", ["洗衣机坏了😡", "谢谢👍🙏", "😭😭😭"])
def test_emoji_are_kept(text: str) -> None:
    assert normalize_text(text) == text


@pytest.mark.parametrize("raw", [None, "", "   ", "\u200b\u200b", "\t\n"])
def test_empty_or_blank_input_gives_empty_text(raw: str | None) -> None:
    result = normalize(raw)
    assert result.text == ""
    assert result.truncated is False


def test_none_has_original_length_zero() -> None:
    assert normalize(None).original_length == 0


def test_very_long_message_is_capped_at_the_default_limit() -> None:
    result = normalize("好" * 10_000)
    assert len(result.text) == DEFAULT_CHAR_LIMIT
    assert result.truncated is True
    assert result.original_length == 10_000


def test_default_limit_matches_the_knowledge_base_setting() -> None:
    from bot.knowledge import load_knowledge_base

    assert load_knowledge_base().service.bot.message_char_limit == DEFAULT_CHAR_LIMIT


def test_explicit_limit_caps_the_text() -> None:
    result = normalize("我要退货" * 10, limit=5)
    assert result.text == "我要退货我"
    assert result.truncated is True
    assert result.original_length == 40


def test_text_exactly_at_the_limit_is_not_truncated() -> None:
    result = normalize("好" * DEFAULT_CHAR_LIMIT)
    assert result.truncated is False
    assert len(result.text) == DEFAULT_CHAR_LIMIT


def test_short_message_is_not_truncated_and_keeps_its_length() -> None:
    result = normalize("我要退货")
    assert result == type(result)(text="我要退货", original_length=4, truncated=False)


def test_all_foldings_combine() -> None:
    assert normalize_text("  我買的洗衣機\u200b壞了！！  訂單ＱＴ２０２６１１１５０００１😡 ") == (
        "我买的洗衣机坏了!! 订单QT202611150001😡"
    )


def test_normalising_twice_changes_nothing() -> None:
    once = normalize_text("  我買的洗衣機 壞了！！ ＱＴ２０２６ 😡")
    assert normalize_text(once) == once
