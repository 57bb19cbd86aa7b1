"""Chinese, Arabic and mixed numerals (两百, 一千五, 1千5, 1.5万, 三四百) → Decimal.

The conversion itself is cn2an's (smart mode); this module only finds where a numeral runs
in the text and handles the one colloquial form cn2an rejects: two neighbouring digits for
a rough range (三四百 300-400, 七八十 70-80, 十七八 17-18, 两三 2-3), which becomes the lower
bound marked approximate. Callers decide whether a numeral is a number at all (一下, 一直 and
第一次 are words, not quantities); nothing here looks at the surrounding text.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import cn2an

MAX_NUMERAL_LENGTH = 24  # 1,000,000,000.00 is 16; longer runs are ids or noise
CN_DIGITS = "零〇一二两三四五六七八九壹贰叁肆伍陆柒捌玖"
CN_UNITS = "十百千万亿拾佰仟廿"
_DIGIT_VALUE = {ch: i for i, ch in enumerate("零一二三四五六七八九")}
_DIGIT_VALUE.update({"〇": 0, "两": 2})
_DIGIT_VALUE.update({ch: i for i, ch in enumerate("壹贰叁肆伍陆柒捌玖", start=1)})

# A numeral run: it starts on a digit or 十 (never on 百/千/万, so 几百 and 上百 are not 100),
# continues over digits and units, a thousands comma between Arabic digits, and a decimal
# point (. or 点) only when a digit follows (一点 is "a little", 一点五 is 1.5).
NUMERAL = re.compile(
    rf"[0-9{CN_DIGITS}十拾廿]"
    rf"(?:[0-9{CN_DIGITS}{CN_UNITS}]|(?<=[0-9]),(?=[0-9]{{3}}(?![0-9]))|[.点](?=[0-9{CN_DIGITS}]))*"
)


@dataclass(frozen=True)
class Number:
    value: Decimal
    approximate: bool = False


def _range_lower_bound(token: str) -> tuple[str, bool]:
    """三四百 → 三百, 十七八 → 十七, 两三 → 两; any other token unchanged."""
    for i in range(len(token) - 1):
        first, second = _DIGIT_VALUE.get(token[i]), _DIGIT_VALUE.get(token[i + 1])
        if first is None or second is None or second != first + 1 or first == 0:
            continue
        if i > 0 and token[i - 1] not in CN_UNITS:
            continue  # 二零二三 is a year read digit by digit, not "two or three"
        rest = token[i + 2 :]
        if rest == "" or rest[0] in CN_UNITS:
            return token[: i + 1] + rest, True
    return token, False


def parse_number(token: str) -> Number | None:
    """A numeral run (as NUMERAL finds it) → its value; None if cn2an cannot read it."""
    if not token or len(token) > MAX_NUMERAL_LENGTH:
        return None
    text, approximate = _range_lower_bound(token.replace(",", ""))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = cn2an.cn2an(text, "smart")
        value = Decimal(str(result))
    except (ValueError, TypeError, KeyError, IndexError, InvalidOperation):
        return None
    return Number(value, approximate)


def parse_int(token: str) -> int | None:
    """A small whole number (a day, a month, a count of weeks); None if not whole."""
    number = parse_number(token)
    if number is None or number.value != number.value.to_integral_value():
        return None
    return int(number.value)


def as_decimal(value: object) -> Decimal | None:
    """A stored amount (slot, JSON fact) → Decimal; None when empty or not a number."""
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def plain(value: Decimal) -> str:
    """Decimal → '200', '3.5', '0.05' (no exponent, no trailing zeros, cents at most)."""
    return format(value.quantize(Decimal("0.01")).normalize(), "f")
