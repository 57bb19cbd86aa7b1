"""How a customer's answers to the follow-up (回访) are read."""

from __future__ import annotations

import pytest

from bot.followups import answers


@pytest.mark.parametrize(
    ("text", "expected"),
    [("解决了", True), ("已经解决了，谢谢", True), ("修好了", True), ("嗯", True), ("解決了", True),
     ("还没解决", False), ("没有解决，师傅一直没来", False), ("还是坏的", False), ("沒解決", False),
     ("随便", None), ("", None)],
)
def test_solved_or_not(text: str, expected: bool | None) -> None:
    assert answers.solved(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5分", 5), ("4", 4), ("三分", 3), ("打个5星", 5), ("非常满意", 5), ("满意", 4), ("一般", 3),
     ("不太满意", 2), ("很不满意", 1), ("１分", 1), ("10086", None), ("不知道", None)],
)
def test_the_rating(text: str, expected: int | None) -> None:
    assert answers.score(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("不用了", None), ("没有", None), ("", None),
                                                ("师傅态度很好", "师傅态度很好")])
def test_the_comment(text: str, expected: str | None) -> None:
    assert answers.comment(text) == expected
