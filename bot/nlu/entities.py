"""Rule-based entity patterns the knowledge base does not hold: amounts and dates."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN_NUM = "一二两三四五六七八九十"

AMOUNT = re.compile(
    r"(?:[¥￥]\s*(?P<a>\d+(?:\.\d{1,2})?))|(?P<b>\d+(?:\.\d{1,2})?)\s*(?:元|块钱|块|rmb|RMB|人民币)"
)
DATE = re.compile(
    r"(?:\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}[日号]?)"
    r"|(?:\d{1,2}月\d{1,2}[日号])"
    r"|(?:大前天|前天|昨天|今天|今早|昨晚|刚才)"
    rf"|(?:上(?:个)?(?:周|星期|礼拜)[一二三四五六日天]?)"
    r"|(?:上个月|上月|月初|月底)"
    rf"|(?:(?:\d+|[{_CN_NUM}]+)(?:天|周|个星期|个礼拜|个月)(?:前|以前|之前))"
)


@dataclass(frozen=True)
class Span:
    entity: str
    value: str
    start: int
    end: int


def find_amounts(text: str) -> list[Span]:
    spans = []
    for hit in AMOUNT.finditer(text):
        value = hit.group("a") or hit.group("b")
        spans.append(Span("amount", value, hit.start(), hit.end()))
    return spans


def find_dates(text: str) -> list[Span]:
    return [Span("date", hit.group(0), hit.start(), hit.end()) for hit in DATE.finditer(text)]
