"""Follow-up (回访) time phrases → an aware datetime in the shop's time zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.knowledge import load_knowledge_base
from bot.timeparse import cn_number, describe, in_quiet_hours, parse_followup_time

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=SHANGHAI)  # a Monday afternoon


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_now_is_a_monday() -> None:
    assert NOW.weekday() == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("明天下午三点", at(11, 24, 15), id="tomorrow-3pm"),
        pytest.param("明天下午3点半", at(11, 24, 15, 30), id="tomorrow-half-past-3pm"),
        pytest.param("明天 15:30", at(11, 24, 15, 30), id="tomorrow-hh-mm"),
        pytest.param("明天15：30", at(11, 24, 15, 30), id="tomorrow-full-width-colon"),
        pytest.param("明天上午", at(11, 24, 10), id="tomorrow-morning-default-hour"),
        pytest.param("明天", at(11, 24, 10), id="tomorrow-default-time"),
        pytest.param("后天上午十点", at(11, 25, 10), id="day-after-tomorrow"),
        pytest.param("大后天中午12点", at(11, 26, 12), id="three-days-ahead-noon"),
        pytest.param("周五上午", at(11, 27, 10), id="friday-morning"),
        pytest.param("星期三下午两点", at(11, 25, 14), id="wednesday-2pm"),
        pytest.param("礼拜六上午9点", at(11, 28, 9), id="saturday-9am"),
        pytest.param("周一", at(11, 30, 10), id="monday-today-means-next-monday"),
        pytest.param("下周一", at(11, 30, 10), id="next-monday"),
        pytest.param("下周三下午4点", at(12, 2, 16), id="next-wednesday-4pm"),
        pytest.param("三天后", at(11, 26, 10), id="three-days-later"),
        pytest.param("2天以后下午", at(11, 25, 15), id="two-days-later-afternoon"),
        pytest.param("12月1号下午2点", at(12, 1, 14), id="december-1st-2pm"),
        pytest.param("12月1日上午十点", at(12, 1, 10), id="december-1st-10am-ri"),
        pytest.param("1月5号", at(1, 5, 10, year=2027), id="january-rolls-to-next-year"),
        pytest.param("今天下午四点", at(11, 23, 16), id="later-today"),
        pytest.param("晚上八点", at(11, 23, 20), id="evening-8pm"),
        pytest.param("今天晚上八点", at(11, 23, 20), id="this-evening-8pm"),
        pytest.param("今晚八点", at(11, 23, 20), id="tonight-8pm"),
        pytest.param("下午五点", at(11, 23, 17), id="clock-only-later-today"),
    ],
)
def test_parses_the_time_the_customer_names(text: str, expected: datetime) -> None:
    parsed = parse_followup_time(text, NOW)
    assert parsed is not None
    assert parsed.when == expected
    assert parsed.moved_out_of_quiet_hours is False
    assert parsed.anytime is False


@pytest.mark.parametrize("text", ["随时都行", "都可以", "随便", "什么时候都行", "任何时间"])
def test_anytime_takes_the_first_offer(text: str) -> None:
    first = load_knowledge_base().service.followup_offers[0]
    assert (first.days, first.time) == (1, "10:00")
    parsed = parse_followup_time(text, NOW)
    assert parsed is not None
    assert parsed.anytime is True
    assert parsed.when == at(11, 24, 10)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        pytest.param("后天随时", date(2026, 11, 25), id="day-after-tomorrow-anytime"),
        pytest.param("周五都行", date(2026, 11, 27), id="friday-any-time"),
        pytest.param("12月1号随时", date(2026, 12, 1), id="december-1st-any-time"),
    ],
)
def test_anytime_on_a_named_day_keeps_that_day(text: str, day: date) -> None:
    parsed = parse_followup_time(text, NOW)
    assert parsed is not None
    assert parsed.when.date() == day


def test_anytime_in_a_named_period_keeps_the_period() -> None:
    parsed = parse_followup_time("明天下午都可以", NOW)
    assert parsed is not None
    assert parsed.when.date() == date(2026, 11, 24)
    assert 12 <= parsed.when.hour < 18


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("晚上十点", at(11, 24, 9), id="10pm-moves-to-9am-next-morning"),
        pytest.param("明天晚上九点半", at(11, 25, 9), id="tomorrow-9-30pm-moves-to-following-morning"),
        pytest.param("明早七点", at(11, 24, 9), id="7am-moves-to-9am-same-morning"),
        pytest.param("后天 23:00", at(11, 26, 9), id="11pm-moves-to-next-morning"),
    ],
)
def test_quiet_hours_move_to_the_next_morning(text: str, expected: datetime) -> None:
    parsed = parse_followup_time(text, NOW)
    assert parsed is not None
    assert parsed.when == expected
    assert parsed.moved_out_of_quiet_hours is True


def test_nine_in_the_morning_is_not_moved() -> None:
    parsed = parse_followup_time("明天早上9点", NOW)
    assert parsed is not None
    assert (parsed.when, parsed.moved_out_of_quiet_hours) == (at(11, 24, 9), False)


@pytest.mark.parametrize("text", ["你们什么态度", "我要退货", "", "   ", "快点处理", "13800138000"])
def test_unparseable_text_gives_none(text: str) -> None:
    assert parse_followup_time(text, NOW) is None


def test_result_is_in_the_shop_time_zone() -> None:
    parsed = parse_followup_time("明天下午三点", NOW)
    assert parsed is not None
    assert parsed.when.utcoffset() == NOW.utcoffset()
    assert parsed.when.tzinfo == SHANGHAI


def test_result_is_always_in_the_future() -> None:
    for text in ["今天上午十点", "下午一点", "明天下午三点", "随时"]:
        parsed = parse_followup_time(text, NOW)
        assert parsed is not None and parsed.when > NOW, text


@pytest.mark.parametrize(
    ("text", "value"),
    [("3", 3), ("十", 10), ("十二", 12), ("二十", 20), ("两", 2), ("二十三", 23), ("零", 0), ("几", None), ("", None)],
)
def test_chinese_numbers(text: str, value: int | None) -> None:
    assert cn_number(text) == value


@pytest.mark.parametrize(
    ("clock", "quiet"),
    [((20, 59), False), ((21, 0), True), ((23, 30), True), ((3, 0), True), ((8, 59), True), ((9, 0), False)],
)
def test_quiet_hours_cross_midnight(clock: tuple[int, int], quiet: bool) -> None:
    assert in_quiet_hours(at(11, 24, *clock), "21:00", "09:00") is quiet


def test_describe_tomorrow_names_the_day_and_time() -> None:
    text = describe(at(11, 24, 15), NOW)
    assert "明天" in text
    assert "15:00" in text
    assert "11月24日" in text
    assert "周二" in text
    assert "下午" in text


def test_describe_a_parsed_time() -> None:
    parsed = parse_followup_time("明天下午三点", NOW)
    assert parsed is not None
    text = describe(parsed.when, NOW)
    assert "明天" in text and "15:00" in text


@pytest.mark.parametrize(
    ("moment", "word"),
    [(at(11, 23, 16), "今天"), (at(11, 25, 10), "后天")],
)
def test_describe_names_near_days(moment: datetime, word: str) -> None:
    assert describe(moment, NOW).startswith(word)


def test_describe_a_later_day_gives_the_date_only() -> None:
    text = describe(at(12, 1, 10), NOW)
    assert text.startswith("12月1日（周二）")
    assert "上午10:00" in text
