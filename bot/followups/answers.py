"""Reading a customer's answers to the follow-up: solved or not, a 1-5 score, a comment."""

from __future__ import annotations

import re

from bot.nlu.normalize import normalize_text as normalize

_UNSOLVED = re.compile(r"(没|未|沒|还没|没有|不算)(有)?(解决|修好|好|处理|弄好|搞定)|还是(坏|不行|老样子|一样)|没用|照旧|依旧|no\b")
_SOLVED = re.compile(r"解决了|已解决|修好了|好了|搞定|处理好|没问题了|可以了|正常了|^(是|是的|嗯|对|yes|ok)\b")
_DIGIT = re.compile(r"(?<!\d)([1-5])(?!\d)\s*(分|星|颗星)?")
_CN_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN = re.compile(r"([一二两三四五])\s*(分|星|颗星)")
_WORDS = [("非常不满意", 1), ("很不满意", 1), ("不太满意", 2), ("不满意", 2), ("一般", 3), ("还行", 3),
          ("非常满意", 5), ("很满意", 5), ("满意", 4)]
_NO_COMMENT = re.compile(r"^(不用了?|没有了?|没了|无|没什么|不需要|算了|就这样|没有别的了?)[。.!！]*$")


def solved(text: str) -> bool | None:
    """True/False when the answer says so; None when it is unclear (ask again)."""
    t = normalize(text or "").lower()
    if _UNSOLVED.search(t):
        return False
    if _SOLVED.search(t):
        return True
    return None


def score(text: str) -> int | None:
    t = normalize(text or "")
    if match := _DIGIT.search(t):
        return int(match.group(1))
    if match := _CN.search(t):
        return _CN_DIGIT[match.group(1)]
    return next((value for word, value in _WORDS if word in t), None)


def comment(text: str) -> str | None:
    """The comment to keep, or None when the customer has nothing to add."""
    t = normalize(text or "").strip()
    return None if not t or _NO_COMMENT.match(t) else t[:500]
