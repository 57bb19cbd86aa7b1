"""Amounts (金额) and dates (日期) the NLU finds in a customer message: the specification.

Each row reads: message → what the bot should take from it. Amounts are the number of yuan
as a plain decimal string; a trailing "~" marks an approximate amount (the lower bound is the
value). Dates are ISO days resolved against TODAY; a period gives its first day.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from actions.common import as_amount
from bot.dialogue import texts
from bot.knowledge import load_knowledge_base
from bot.nlu.entities import Span, find_amounts, find_dates

TODAY = date(2026, 11, 25)  # a Wednesday; last week ran Mon 16 - Sun 22 November


def amounts(text: str) -> list[str]:
    return [s.value + ("~" if s.approximate else "") for s in find_amounts(text)]


def dates(text: str) -> list[str]:
    return [s.value + ("~" if s.approximate else "") for s in find_dates(text, TODAY)]


def test_today_is_a_wednesday() -> None:
    assert TODAY.weekday() == 2


AMOUNTS = [
    # Arabic digits, a currency sign or a unit
    ("299元", ["299"]),
    ("299 元", ["299"]),
    ("¥299", ["299"]),
    ("￥1,299.00", ["1299"]),
    ("RMB299", ["299"]),
    ("299RMB", ["299"]),
    ("快递费12元", ["12"]),
    ("1.5万元", ["15000"]),
    ("12315元", ["12315"]),  # money, not the hotline, once a unit says so
    # Chinese and mixed numerals (read by cn2an)
    ("我花了两百元买的", ["200"]),
    ("两百块", ["200"]),
    ("一百块钱", ["100"]),
    ("一百二十八元", ["128"]),
    ("人民币两百元", ["200"]),
    ("1千5块", ["1500"]),
    ("一千五百元", ["1500"]),
    ("差价一百五十元", ["150"]),
    ("他多收了我三十块钱运费", ["30"]),
    ("两百块的东西", ["200"]),
    # 角 and 分 after 块/元
    ("三块五", ["3.5"]),
    ("一块五", ["1.5"]),
    ("3元5角", ["3.5"]),
    ("两块五毛五", ["2.55"]),
    ("五毛钱", ["0.5"]),
    ("二十块一斤", ["20"]),  # the 一 starts the per-unit price, it is no 角
    ("三块五一斤", ["3.5"]),
    ("两百块五百块", ["200", "500"]),
    ("十块八块", ["10", "8"]),
    # rough amounts: the lower bound, marked approximate
    ("八十几块", ["80~"]),
    ("两千多块", ["2000~"]),
    ("二十来块", ["20~"]),
    ("200余元", ["200~"]),
    ("一两百块", ["100~"]),
    ("三四百块", ["300~"]),
    ("二三十块", ["20~"]),
    ("200元左右", ["200~"]),
    ("大概两百块", ["200~"]),
    ("一千多万元", ["10000000~"]),
    ("十几万块", ["100000~"]),
    # no unit: a money word before a number of at least 10
    ("花了一千五", ["1500"]),
    ("花了一千五买的", ["1500"]),
    ("花了1.5万", ["15000"]),
    ("花了两千多", ["2000~"]),
    ("价格两千多，太贵了", ["2000~"]),
    ("多收了我两百", ["200"]),
    ("退款金额是一千二", ["1200"]),
    ("总共花了三万二", ["32000"]),
    ("一共两千", ["2000"]),
    ("赔我五百", ["500"]),
    ("运费二十", ["20"]),
    ("便宜了一百", ["100"]),
    ("我充了五十", ["50"]),
    ("原价599现价499", ["499"]),  # 599 runs straight into 现价: no reading, no guess
    ("价格从299涨到399元", ["399"]),
    ("订单QT202611150003退款299元", ["299"]),
    ("订单号202611150003，金额299元", ["299"]),
    ("统一200元", ["200"]),
    ("元旦买的两百元的东西", ["200"]),
    ("双十一花了两千多", ["2000~"]),
]


@pytest.mark.parametrize(("text", "expected"), AMOUNTS, ids=[row[0] for row in AMOUNTS])
def test_amounts(text: str, expected: list[str]) -> None:
    assert amounts(text) == expected


DATES = [
    # day words
    ("今天", ["2026-11-25"]),
    ("今天气死我了", ["2026-11-25"]),
    ("刚才", ["2026-11-25"]),
    ("昨天", ["2026-11-24"]),
    ("昨晚下的单", ["2026-11-24"]),
    ("前天", ["2026-11-23"]),
    ("大前天", ["2026-11-22"]),
    ("大大前天", ["2026-11-21"]),
    # weeks: a week gives its Monday
    ("上周三", ["2026-11-18"]),
    ("上个星期二", ["2026-11-17"]),
    ("上礼拜天", ["2026-11-22"]),
    ("上周日", ["2026-11-22"]),
    ("上周末", ["2026-11-21"]),
    ("上周", ["2026-11-16"]),
    ("上上周", ["2026-11-09"]),
    ("上上周五", ["2026-11-13"]),
    ("上周一下单的", ["2026-11-16"]),
    ("上周一直没人管", ["2026-11-16"]),  # 一直 is "all along", the date is the week
    # months: a month gives its 1st, 月底 its last day
    ("上个月", ["2026-10-01"]),
    ("上月", ["2026-10-01"]),
    ("上上个月", ["2026-09-01"]),
    ("上个月5号", ["2026-10-05"]),
    ("上月底", ["2026-10-31"]),
    ("这个月初", ["2026-11-01"]),
    ("月初", ["2026-11-01"]),
    ("月底", ["2026-10-31"]),  # this month's end is still ahead
    ("3月份买的", ["2026-03-01"]),
    ("今年三月", ["2026-03-01"]),
    ("十一月", ["2026-11-01"]),
    ("去年10月", ["2025-10-01"]),
    ("去年买的", ["2025-01-01"]),
    # so long ago
    ("三天前", ["2026-11-22"]),
    ("3天前", ["2026-11-22"]),
    ("三天前后", ["2026-11-22"]),
    ("两个星期前", ["2026-11-11"]),
    ("半个月前", ["2026-11-10"]),
    ("三个月前", ["2026-08-25"]),
    ("一个半月前", ["2026-10-10"]),
    ("一年前", ["2025-11-25"]),
    ("半年前", ["2026-05-25"]),
    ("一年半前", ["2025-05-25"]),
    ("两个小时前", ["2026-11-25"]),
    ("一个多月前", ["2026-10-25~"]),
    ("十几天前", ["2026-11-15~"]),
    ("两三天前", ["2026-11-23~"]),
    # calendar days; without a year, the latest one on or before today
    ("10月3号", ["2026-10-03"]),
    ("10月3日", ["2026-10-03"]),
    ("十一月五号", ["2026-11-05"]),
    ("12月1号", ["2025-12-01"]),
    ("2026年11月5日", ["2026-11-05"]),
    ("二零二六年十一月五日", ["2026-11-05"]),
    ("2026-11-05", ["2026-11-05"]),
    ("2026/11/5", ["2026-11-05"]),
    ("5号买的", ["2026-11-05"]),
    ("28号收到的", ["2026-10-28"]),
    ("双十一", ["2026-11-11"]),
    ("双12", ["2025-12-12"]),
    # no date in these
    ("几天前", []),  # no number to count back
    ("等了三天", []),
    ("买了三天就坏了", []),
    ("两个月了还没修好", []),
    ("3号楼", []),
    ("5号线", []),
    ("目前天猫有活动", []),
    ("之前天天坏", []),
    ("如今天气冷了", []),
    ("上个周期", []),
    ("2月30号", []),
    ("13月5号", []),
    ("一月一次", []),
]


@pytest.mark.parametrize(("text", "expected"), DATES, ids=[row[0] for row in DATES])
def test_dates(text: str, expected: list[str]) -> None:
    assert dates(text) == expected


# Neither an amount nor a date, though each holds a numeral.
TRAPS = [
    "QT202611150003",
    "我的订单是QT202611150003，还没发货",
    "我的电话13812345678",
    "手机138 1234 5678",
    "电话：021-12345678",
    "我要打12315投诉",
    "投诉到12315了",
    "花了12315",  # the hotline, even after a money word
    "打了12315",
    "看一下",
    "我要打一下12315",
    "一直没人管",
    "一点都不好",
    "稍等一点五分钟",
    "一样的问题",
    "一起买的",
    "一下子就坏了",
    "我们一块买的",
    "一块儿去",
    "两块玻璃碎了",
    "碎成三块了",
    "3块屏幕",
    "一毛不拔",
    "第一次买",
    "第三次了",
    "第1次",
    "三包期内",
    "三包期一年",
    "七日无理由退货",
    "7天无理由退货，15天换货",
    "保修一年",
    "保修3年，已经用了2年",
    "一周内",
    "我给了五星好评",
    "评分5分",
    "打了3次电话",
    "等了两个小时",
    "10点到11点",
    "下午三点五十",
    "3.5折",
    "打八折",
    "50%",
    "退了两次",
    "收了两个快递",
    "扣了两笔",
    "一共三件",
    "赔我五",  # under 10 without a unit: a count, not money
    "一千五",  # a bare number: no unit, no money word
    "两千多",
    "1.5万",
]


@pytest.mark.parametrize("text", TRAPS)
def test_traps(text: str) -> None:
    assert (amounts(text), dates(text)) == ([], [])


MIXED = [
    (
        "我花了299元，上周三收到的，两个星期前下的单",
        ["299"],
        ["2026-11-18", "2026-11-11"],
    ),
    (
        "订单QT202611150003，10月3号买的电水壶八十几块，大前天坏了，我的电话13812345678",
        ["80~"],
        ["2026-10-03", "2026-11-22"],
    ),
    ("双十一花了两千多，上上周才到货", ["2000~"], ["2026-11-11", "2026-11-09"]),
]


@pytest.mark.parametrize(("text", "expected_amounts", "expected_dates"), MIXED)
def test_a_whole_message(text: str, expected_amounts: list[str], expected_dates: list[str]) -> None:
    assert (amounts(text), dates(text)) == (expected_amounts, expected_dates)


SPANS = [
    ("我花了两百元买的", "两百元"),
    ("¥299包邮", "¥299"),
    ("多收了我两百", "两百"),
    ("两块五毛五一个", "两块五毛五"),
    ("200元左右吧", "200元左右"),
    ("花了两千多，上上周才到", "两千多"),
]


@pytest.mark.parametrize(("text", "covered"), SPANS)
def test_an_amount_span_covers_the_words_for_it(text: str, covered: str) -> None:
    [span] = find_amounts(text)
    assert text[span.start : span.end] == covered


@pytest.mark.parametrize(
    ("text", "covered"),
    [("说好上个月5号送到", "上个月5号"), ("大前天坏了", "大前天"), ("去年10月买的", "去年10月")],
)
def test_a_date_span_takes_the_longest_reading(text: str, covered: str) -> None:
    [span] = find_dates(text, TODAY)
    assert text[span.start : span.end] == covered


@pytest.mark.parametrize(
    "text",
    [
        "",
        "😀😡🙏",
        "😀" * 10_000,
        "一" * 10_000,
        "上" * 10_000 + "个月",
        "大" * 10_000 + "前天",
        "1," * 5_000,
        "两百元" * 3_400,  # 10,200 characters
        "\x00\ufeff\u200b",
    ],
    ids=["empty", "emoji", "10k-emoji", "10k-yi", "10k-shang", "10k-da", "10k-commas", "10k-amounts", "controls"],
)
def test_bad_input_gives_sane_spans_quickly(text: str) -> None:
    spans = [*find_amounts(text), *find_dates(text, TODAY)]
    assert all(0 <= s.start < s.end <= len(text) for s in spans)
    if not text.startswith("两百元"):
        assert spans == []


def test_ten_thousand_characters_of_amounts_are_all_found() -> None:
    assert amounts("两百元" * 3_400) == ["200"] * 3_400


def test_more_than_three_weeks_back_is_not_read() -> None:
    assert dates("上上上周") == ["2026-11-02"]
    assert dates("上上上上周") == []


def test_span_keeps_its_four_field_constructor() -> None:
    span = Span("amount", "200", 0, 3)
    assert (span.entity, span.value, span.start, span.end, span.approximate) == ("amount", "200", 0, 3, False)


def test_dates_default_to_today_in_shanghai(monkeypatch: pytest.MonkeyPatch) -> None:
    # 23:30 in Shanghai is still 15:30 the same day in UTC: the shop's calendar decides.
    late = datetime(2026, 11, 25, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr("bot.timeparse.shop_now", lambda timezone="Asia/Shanghai": late)
    assert [s.value for s in find_dates("昨天")] == ["2026-11-24"]


# The consumers: the `amount` slot feeds actions.common.as_amount, the `incident_date` slot
# the summary the customer reads.
@pytest.mark.parametrize("text", [row[0] for row in AMOUNTS])
def test_every_amount_value_reads_as_a_decimal(text: str) -> None:
    for span in find_amounts(text):
        assert as_amount(span.value) == Decimal(span.value) > 0


@pytest.mark.parametrize("text", [row[0] for row in DATES if row[1]])
def test_every_date_value_is_an_iso_day(text: str) -> None:
    for span in find_dates(text, TODAY):
        assert date.fromisoformat(span.value).isoformat() == span.value


def test_the_recorded_summary_shows_the_day_in_chinese() -> None:
    kb = load_knowledge_base()
    [day] = find_dates("上周三坏的", TODAY)
    summary = texts.recorded_summary(kb, "quality", "QT202611150003", "电水壶", day.value, "投诉成立")
    assert "时间：2026年11月18日" in summary
    # a value from before the ISO contract (an older tracker) still shows as it was said
    assert "时间：上周" in texts.recorded_summary(kb, "quality", None, None, "上周", "投诉成立")
