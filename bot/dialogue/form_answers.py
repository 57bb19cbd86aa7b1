"""How a customer's answer to one of the form's questions (order number, product) is read.

Two questions, asked of the latest message whatever intent the NLU gave it:

- `read_gap(text)`: the customer says they cannot give the fact now — "没有" (there is none),
  "找不到 / 忘了 / 不记得 / 不知道" (they cannot find or recall it), "等会儿发" (later). The
  form then carries on with what it has instead of asking again.
- `implausible_product(text)`: an answer to "which product?" that cannot be a product name
  (a phone number, an order number, a bare number, a date) and earns a kind re-ask.

Plain Python over the normalised text: the answers are short and their words are few.
"""

from __future__ import annotations

import re
from datetime import date

GAP_NONE = "none"  # there is none (no order number: bought in a store, a gift)
GAP_UNKNOWN = "unknown"  # cannot find it or does not remember
GAP_LATER = "later"  # will send it later

_PUNCT = re.compile(r"[\s，。！？、,.!?;；：:…~～]+")
_LATER = re.compile(
    r"(?:等会儿?|等一会儿?|等下|等一下|待会儿?|晚点|晚一点|稍后|回头|过会儿?|一会儿?|明天|找到了?再|找到后|回去)"
    r".{0,6}?(?:发|给|告诉|补|找|查|看|说)"
)
_UNKNOWN = re.compile(
    r"找不到|找不着|没找到|忘了|忘记了?|不记得|记不得|记不清|想不起|不知道|不清楚|不确定|说不准|查不到|看不到|删了|"
    r"没保存|弄丢了|丢了"
)
# "没有" as the whole answer, or "没有订单号" / "没订单" / "没有单号" — not "师傅没有来".
_NONE = re.compile(
    r"^(?:没有|没|无|木有|冇)(?:啊|呀|哦|诶|哎|欸|耶)?$|^(?:我)?(?:没有|没|无)(?:订单号?|单号|订单编号|编号|号码|这个)|"
    r"^(?:不是网上买的|门店买的|店里买的|线下买的|别人送的|送的礼物)"
)
_LONG_ANSWER = 24  # characters: a longer message is a story, not an answer about one fact


def _plain(text: str) -> str:
    return _PUNCT.sub("", text or "")


def read_gap(text: str) -> str | None:
    """GAP_LATER, GAP_UNKNOWN or GAP_NONE when the answer says the fact is not at hand."""
    plain = _plain(text)
    if not plain or len(plain) > _LONG_ANSWER:
        return None
    if _LATER.search(plain):
        return GAP_LATER
    if _UNKNOWN.search(plain):
        return GAP_UNKNOWN
    if _NONE.search(plain):
        return GAP_NONE
    return None


_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ORDER = re.compile(r"[Qq][Tt]\d{6,}")
_DATE = re.compile(r"\d{1,4}[年月/-]\d{1,2}|\d{1,2}[号日]|昨天|前天|今天|上周|上个月|去年")
_MOSTLY_DIGITS = re.compile(r"^[\d\s+\-()（）]{5,}$")


def implausible_product(text: str) -> str | None:
    """Why this answer cannot be a product name: "phone", "order_id", "number", "date";
    None when it can be one."""
    plain = _plain(text)
    if _PHONE.search(plain):
        return "phone"
    if _ORDER.search(plain):
        return "order_id"
    if _MOSTLY_DIGITS.match(plain):
        return "number"
    if _DATE.search(plain) and len(plain) <= 8:
        return "date"
    return None


def future_day(value: object, today: date) -> date | None:
    """The ISO day `value` when it lies after `today` (a purchase cannot), else None."""
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return None
    return day if day > today else None
