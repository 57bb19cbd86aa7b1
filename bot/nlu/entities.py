"""Rule-based entities the knowledge base does not hold: amounts (金额) and dates (日期).

The input is the normalised message (NFKC, simplified characters; bot.nlu.normalize).
Numerals in any form (299, 两百, 一千五, 1千5, 1.5万, 三四百) are read by cn2an through
bot.nlu.numbers; the rules here only decide which numerals are amounts or dates.

Value contract (what the `amount` and `incident_date` slots receive):

amount  the number of yuan as a plain decimal string: "200", "1500", "3.5", "15000".
        actions.common.as_amount turns it into a Decimal. A numeral is an amount when a unit
        follows (元, 块, 块钱, 人民币, RMB, 毛钱, 万元 ...), a currency sign precedes (¥299), or,
        without a unit, a money word precedes a number of at least 10 (花了一千五, 多收了我两百,
        价格两千多). Rough amounts (八十几块, 两千多, 一两百块, 200元左右, 大概两百块) carry the
        lower bound and Span.approximate is True.
date    an ISO day "YYYY-MM-DD", resolved against `today` (default: today in Asia/Shanghai).
        A complaint is about the past, so a day given without a year (10月3号, 十一月五号,
        双十一) is the latest such day on or before today, and a bare "5号" is in this month
        or the last. A period gives its first day (上上周 → that Monday, 上个月 → the 1st,
        去年 → 1 January, 3月份 → 1 March); "月底" gives the last day of the month. Rough
        offsets (一个多月前, 十几天前, 两三天前) take the nearer bound and are approximate.
        A date written with an explicit year is kept even if it lies ahead of today.

Not amounts or dates: order ids (QT + 12 digits), phone numbers, the 12315 hotline, ordinals
(第一次), and words made with a numeral (一下, 一点, 一样, 一直, 一起, 一块儿, 三包, 七日无理由).
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from bot.nlu.numbers import NUMERAL, parse_int, parse_number, plain


@dataclass(frozen=True)
class Span:
    entity: str
    value: str
    start: int
    end: int
    approximate: bool = False  # a rough amount or date: value is the lower/nearer bound


# ---------------------------------------------------------------------------- amounts

_PUNCT = set(" \t\n，。！？、,.!?;；：:…~～）)」』\"”'’》")
_CN_DIGITS = "零〇一二两三四五六七八九"
# What may follow a unitless amount (花了两千多 | 花了一千五买的): the sentence goes on.
_AFTER_UNITLESS = _PUNCT | set("了的啊吧呢呀啦哦嘛呐还就都才却也又买给退我")
# What may follow 块 for it to be money rather than a piece (两块玻璃, 碎成三块了).
_AFTER_KUAI = _AFTER_UNITLESS | set("钱多") | set("0123456789" + _CN_DIGITS)
_AFTER_YI_KUAI = _PUNCT | set("钱多")  # 一块 alone is also "together" (我们一块买的)
_NOT_YUAN = set("旦宵素件器化首老帅气神")  # 元旦, 元素, 元件 ...

_UNIT = re.compile(r"\s?(块钱|元钱|人民币|块|元|圆|RMB|rmb|毛钱|角钱|毛)")
_ROUGH_SUFFIX = set("多几来余")  # 两千多, 八十几块, 二十来块, 200余元
_MULTIPLIER = {"万": Decimal(10000), "千": Decimal(1000), "百": Decimal(100)}
_JIAO = re.compile(r"([1-9一二两三四五六七八九])(?:([毛角])([1-9一二两三四五六七八九])?分?)?")
_MEASURE = set("个件台只条斤克米张块元次天号年月日周部箱袋瓶包份位名")
_AROUND = re.compile(r"左右|上下|出头")

_CURRENCY_BEFORE = re.compile(r"(?:[¥￥]|人民币|RMB|rmb)\s?$")
_ROUGHLY_BEFORE = re.compile(r"(?:大概|大约|约为|约合|差不多|将近|接近|估计)(?:是|有)?$")
_MONEY_CUE = re.compile(
    r"(?:多收|多扣|多付|多花|花|付|交|收|扣|退|赔|补|贵|便宜|差价|差|卖|要价|值|充|垫|"
    r"价格|价钱|售价|原价|现价|特价|到手价|标价|定价|总价|报价|收费|总共|一共|共计|合计|花费|费用|"
    r"运费|金额|付款|支付|实付|退款|赔偿|补偿|补贴|押金|定金|订金|尾款)"
    r"(?:了)?(?:我|您|你们|我们|给我)?(?:了)?(?:是|为)?(?:大概|大约|约|差不多|将近)?$"
)
_PIECES_BEFORE = re.compile(r"(?:碎成|裂成|分成|切成|摔成|碎了|裂了|掉了)$")
_NO_NUMBER_BEFORE = set("第几#_")  # 第一百, 几十块; a run never starts after another
_HOTLINES = {"12315", "12345"}
_MAX_AMOUNT = Decimal(1_000_000_000)


def _before(text: str, start: int, width: int = 12) -> str:
    return text[max(0, start - width) : start]


def _char(text: str, index: int) -> str:
    return text[index] if 0 <= index < len(text) else ""


def _numeral_runs(text: str) -> Iterator[tuple[int, int, str]]:
    """NUMERAL runs, split where a Chinese digit meets an Arabic one (统一200元 → 一 | 200)."""
    for hit in NUMERAL.finditer(text):
        start, token = hit.start(), hit.group()
        pieces = re.split(r"(?<=[零〇一二两三四五六七八九])(?=[0-9])", token)
        for piece in pieces:
            yield start, start + len(piece), piece
            start += len(piece)


def _arabic_too_long(token: str) -> bool:
    """An Arabic run of more than 9 digits is an id or a phone number, not money."""
    return len(re.sub(r"[^0-9]", "", token.split(".")[0])) > 9


def _amount_at(text: str, start: int, end: int, token: str) -> Span | None:
    currency = _CURRENCY_BEFORE.search(_before(text, start, 4))
    before = _char(text, start - 1)
    if before.isascii() and before.isalnum() and not currency:
        return None  # QT202611150003, A3 (but RMB299)
    if before in _NO_NUMBER_BEFORE or _arabic_too_long(token):
        return None
    number = parse_number(token)
    if number is None:
        return None
    value, approximate, pos = number.value, number.approximate, end

    if _char(text, pos) in _ROUGH_SUFFIX:
        approximate, pos = True, pos + 1
        if _char(text, pos) in _MULTIPLIER:  # 一千多万元, 十几万
            value, pos = value * _MULTIPLIER[_char(text, pos)], pos + 1

    span_start = start - len(currency.group()) if currency else start
    unit_hit = _UNIT.match(text, pos)
    unit = unit_hit.group(1) if unit_hit else None
    if unit:
        pos = unit_hit.end()  # type: ignore[union-attr]
        after = _char(text, pos)
        if unit in ("毛钱", "角钱", "毛"):
            if unit == "毛" and after and after not in _AFTER_UNITLESS:
                return None  # 五毛 is money; 五毛线 / 羊毛 are not
            value /= 10
        elif unit in ("块", "元") and not approximate and (jiao := _jiao(text, pos)):
            value, pos = value + jiao[0], jiao[1]  # 三块五, 3元5角, 两块五毛五
        elif unit == "块":
            allowed = _AFTER_YI_KUAI if token == "一" else _AFTER_KUAI
            if after and after not in allowed:
                return None  # 两块玻璃, 一块儿, 我们一块去
        elif unit == "元" and after in _NOT_YUAN:
            return None
        if unit == "块" and not currency and _PIECES_BEFORE.search(_before(text, start, 2)):
            return None  # 碎成三块
    elif not currency:
        money_cue = _MONEY_CUE.search(_before(text, start))
        after = _char(text, pos)
        if not money_cue or value < 10 or token in _HOTLINES:
            return None
        if after and after not in _AFTER_UNITLESS and not _AROUND.match(text, pos):
            return None

    around = _AROUND.match(text, pos)
    if around:
        approximate, pos = True, around.end()
    if _ROUGHLY_BEFORE.search(_before(text, span_start, 4)):
        approximate = True
    if value <= 0 or value >= _MAX_AMOUNT:
        return None
    return Span("amount", plain(value), span_start, pos, approximate)


def _jiao(text: str, pos: int) -> tuple[Decimal, int] | None:
    """The 角 and 分 after 块/元 (三块五 → 0.5); None when the digit starts something else."""
    hit = _JIAO.match(text, pos)
    if hit is None:
        return None
    after = _char(text, hit.end())
    if not hit.group(2) and (after in _MEASURE or after.isdigit() or (after and after in "十百千万")):
        return None  # 二十块一斤, 两百块五百块 (三块五一斤 and 两块五毛五一个 are 角)
    value = Decimal(parse_int(hit.group(1)) or 0) / 10
    if hit.group(3):
        value += Decimal(parse_int(hit.group(3)) or 0) / 100
    return value, hit.end()


def find_amounts(text: str) -> list[Span]:
    """Money amounts in the message, in order; see the module docstring for the contract."""
    spans: list[Span] = []
    for start, end, token in _numeral_runs(text or ""):
        if spans and start < spans[-1].end:
            continue  # already inside the last amount (三块五: the 五 is its jiao)
        span = _amount_at(text, start, end, token)
        if span is not None:
            spans.append(span)
    return spans


# ------------------------------------------------------------------------------ dates

_N = r"(?:[0-9]{1,2}|[零〇一二两三四五六七八九十]{1,3})"
_COUNT = r"(?:[0-9]{1,3}|[零〇一二两三四五六七八九十百]{1,4})"
_YEAR = r"(?:[0-9]{4}|[零〇一二三四五六七八九]{4})"
_NUMERAL_CHARS = "0-9零〇一二两三四五六七八九十"
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_WEEKDAYS.update({str(i): i - 1 for i in range(1, 8)})
_DAY_WORDS = {"前晚": -2, "昨天": -1, "昨日": -1, "昨晚": -1, "昨儿": -1,
              "今天": 0, "今日": 0, "今早": 0, "今晚": 0, "今儿": 0, "刚才": 0}
_YEAR_WORDS = {"今年": 0, "去年": -1, "前年": -2}
_FESTIVALS = {"十一": (11, 11), "11": (11, 11), "十二": (12, 12), "12": (12, 12)}

_YMD = re.compile(r"(?<![0-9A-Za-z])([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})(?![0-9])")
_MONTH_DAY = re.compile(
    rf"(?:(?P<y>{_YEAR})年|(?P<rely>今年|去年|前年))?(?<![{_NUMERAL_CHARS}个])(?P<m>{_N})月份?"
    rf"(?:(?P<d>{_N})[日号]|(?P<part>初|底|中旬|上旬|下旬|中)|(?![{_NUMERAL_CHARS}]))"
)
_REL_MONTH = re.compile(
    rf"(?:(?<!上)(?P<ups>上{{1,3}})个?月|(?P<this>这个?月|本月)|(?<![{_NUMERAL_CHARS}个上本这每])月(?=初|底|中旬|上旬|下旬))"
    rf"(?:(?P<d>{_N})[日号]|(?P<part>初|底|中旬|上旬|下旬|中))?"
)
_WEEK = re.compile(
    r"(?<!上)(?P<ups>上{1,3})个?(?:周|星期|礼拜)(?![期围到边])"
    r"(?P<wd>一(?![直样起共些般切律旦]|下子)|[二三四五六](?![0-9一二三四五六七八九十天次个号])"
    r"|日(?![子期])|天(?!天)|末|[1-7](?![0-9天次个号]))?"
)
_DAY = re.compile(
    r"(?<![目之以提面眼当跟门从向往事空超])(?:(?<!大)(?P<da>大{0,3})前天|前晚)"
    r"|昨天|昨日|昨晚|昨儿|(?<![至如])今(?:天|日|早|晚|儿)|刚才"
)
_AGO = re.compile(
    rf"(?<![{_NUMERAL_CHARS}第百])(?P<n>{_COUNT}|半)(?P<m1>[多几来])?(?P<ge>个)?(?P<m2>多|半)?"
    r"(?P<unit>小时|星期|礼拜|月|周|天|日|年)(?P<m3>多|半)?(?:以前|之前|前)"
)
_BARE_DAY = re.compile(
    rf"(?<![{_NUMERAL_CHARS}A-Za-z月第.\-])(?P<d>[0-9]{{1,2}}|[一二三四五六七八九十]{{1,3}})号"
    r"(?=$|[\s，。！？、,.!?;；：:…]|那天|当天|晚上|早上|上午|下午|中午|傍晚|凌晨|买|下单|下的|订|收到|签收"
    r"|到货|送|发货|发的|安装|装的|维修|修|来|就|才|的时候|开始|坏|出)"
)
_FESTIVAL = re.compile(r"双(十一|11|十二|12)(?![0-9一二三四五六七八九十])")
_BARE_YEAR = re.compile(r"去年|前年")


def _shop_today() -> date:
    from bot.timeparse import shop_now

    return shop_now().date()


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def _month_part(year: int, month: int, part: str | None) -> date:
    last = monthrange(year, month)[1]
    day = {"中旬": 11, "中": 15, "下旬": 21, "底": last}.get(part or "", 1)
    return date(year, month, day)


def _year_of(token: str) -> int | None:
    if token.isdigit() and token.isascii():
        return int(token)
    digits = {ch: str(i) for i, ch in enumerate("零一二三四五六七八九")} | {"〇": "0"}
    return int("".join(digits[ch] for ch in token)) if all(ch in digits for ch in token) else None


def _latest(today: date, make) -> date | None:
    """The latest of make(year) for this year and last year that is on or before today."""
    for year in (today.year, today.year - 1):
        try:
            candidate = make(year)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return None


def _ymd(hit: re.Match, today: date) -> tuple[date, bool] | None:
    return date(int(hit.group(1)), int(hit.group(3)), int(hit.group(4))), False


def _month_day(hit: re.Match, today: date) -> tuple[date, bool] | None:
    month = parse_int(hit.group("m"))
    day = parse_int(hit.group("d")) if hit.group("d") else None
    if not month or not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    part = hit.group("part")

    def make(year: int) -> date:
        return date(year, month, day) if day else _month_part(year, month, part)

    if hit.group("y"):
        year = _year_of(hit.group("y"))
        return (make(year), False) if year and 1900 <= year <= 2100 else None
    if hit.group("rely"):
        return make(today.year + _YEAR_WORDS[hit.group("rely")]), False
    found = _latest(today, make)
    return (found, False) if found else None


def _rel_month(hit: re.Match, today: date) -> tuple[date, bool] | None:
    back = len(hit.group("ups") or "")
    first = _add_months(today.replace(day=1), -back)
    if hit.group("d"):
        day = parse_int(hit.group("d"))
        return (first.replace(day=day), False) if day else None
    if hit.group("ups") or hit.group("this"):
        return _month_part(first.year, first.month, hit.group("part")), False
    # a bare 月初 / 月底: this month's, or last month's if this month's is still ahead
    part = hit.group("part")
    found = _month_part(first.year, first.month, part)
    if found > today:
        previous = _add_months(first, -1)
        found = _month_part(previous.year, previous.month, part)
    return found, False


def _week(hit: re.Match, today: date) -> tuple[date, bool] | None:
    monday = today - timedelta(days=today.weekday() + 7 * len(hit.group("ups")))
    return monday + timedelta(days=_WEEKDAYS.get(hit.group("wd") or "", 0)), False


def _day(hit: re.Match, today: date) -> tuple[date, bool] | None:
    word = hit.group()
    offset = -2 - len(hit.group("da")) if hit.group("da") is not None else _DAY_WORDS[word]
    return today + timedelta(days=offset), False


def _ago(hit: re.Match, today: date) -> tuple[date, bool] | None:
    unit, n = hit.group("unit"), hit.group("n")
    half_more = hit.group("m2") == "半" or hit.group("m3") == "半"
    approximate = bool(hit.group("m1") or "多" in (hit.group("m2"), hit.group("m3")))
    if hit.group("ge") and unit not in ("月", "星期", "礼拜", "小时", "周"):
        return None
    if unit == "月" and not hit.group("ge") and n != "半":
        return None  # 三月前 is "before March", not "three months ago"
    if n == "半":
        if unit not in ("月", "年", "小时") or half_more:
            return None
        days = {"月": 15, "年": 0, "小时": 0}[unit]
        months = 6 if unit == "年" else 0
        return _add_months(today, -months) - timedelta(days=days), False
    number = parse_number(n)
    if number is None or number.value != number.value.to_integral_value():
        return None
    count, approximate = int(number.value), approximate or number.approximate
    if count <= 0 or count > 100:
        return None
    if unit == "小时":
        return today, approximate
    if unit in ("天", "日"):
        return today - timedelta(days=count), approximate
    if unit in ("周", "星期", "礼拜"):
        return today - timedelta(days=7 * count + (3 if half_more else 0)), approximate
    months = count * (12 if unit == "年" else 1) + (6 if half_more and unit == "年" else 0)
    found = _add_months(today, -months)
    if half_more and unit == "月":
        found -= timedelta(days=15)
    return found, approximate


def _bare_day(hit: re.Match, today: date) -> tuple[date, bool] | None:
    day = parse_int(hit.group("d"))
    if not day or not 1 <= day <= 31:
        return None
    for back in (0, 1, 2):  # this month, else last month (the 31st may need two steps)
        first = _add_months(today.replace(day=1), -back)
        if day <= monthrange(first.year, first.month)[1] and first.replace(day=day) <= today:
            return first.replace(day=day), False
    return None


def _festival(hit: re.Match, today: date) -> tuple[date, bool] | None:
    month, day = _FESTIVALS[hit.group(1)]
    found = _latest(today, lambda year: date(year, month, day))
    return (found, False) if found else None


def _bare_year(hit: re.Match, today: date) -> tuple[date, bool] | None:
    return date(today.year + _YEAR_WORDS[hit.group()], 1, 1), False


_DATE_RULES = [
    (_YMD, _ymd), (_MONTH_DAY, _month_day), (_REL_MONTH, _rel_month), (_WEEK, _week),
    (_DAY, _day), (_AGO, _ago), (_BARE_DAY, _bare_day), (_FESTIVAL, _festival),
    (_BARE_YEAR, _bare_year),
]


def find_dates(text: str, today: date | None = None) -> list[Span]:
    """Dates in the message as ISO days, in order; see the module docstring for the contract."""
    if not text:
        return []
    today = today or _shop_today()
    candidates = []
    for pattern, resolve in _DATE_RULES:
        for hit in pattern.finditer(text):
            try:
                resolved = resolve(hit, today)
            except ValueError:  # 2月30号, 2026-13-01
                resolved = None
            if resolved is not None:
                candidates.append((hit.start(), hit.end(), *resolved))
    spans: list[Span] = []
    for start, end, day, approximate in sorted(candidates, key=lambda c: (c[0], c[0] - c[1])):
        if spans and start < spans[-1].end:
            continue  # the longest reading from the leftmost start wins (上个月5号, not 5号)
        spans.append(Span("date", day.isoformat(), start, end, approximate))
    return spans
