"""Reading the address and time-window answers (actions/work_facts.py): what counts as an
address, which offered window a short answer means, and what is kept as the customer said it."""

from __future__ import annotations

from datetime import datetime

import pytest

from actions.work_facts import read_address, read_window, windows
from bot.knowledge import load_knowledge_base

KB = load_knowledge_base()
NOW = datetime(2026, 12, 7, 10, 0)  # a Monday, shop time


def test_the_offered_windows_read_as_days_and_are_stored_as_dates() -> None:
    assert windows(KB, NOW) == [("明天上午 9:00-12:00", "12月8日上午9:00-12:00"),
                                ("明天下午 14:00-18:00", "12月8日下午14:00-18:00"),
                                ("后天上午 9:00-12:00", "12月9日上午9:00-12:00"),
                                ("后天下午 14:00-18:00", "12月9日下午14:00-18:00")]


@pytest.mark.parametrize(("answer", "stored"), [
    ("明天上午 9:00-12:00", "12月8日上午9:00-12:00"),  # the button
    ("后天下午", "12月9日下午14:00-18:00"),  # its day and period
    ("周六下午两点以后", "周六下午两点以后"),  # their own time, kept as said
    ("不知道", None), ("等会儿再说", None), ("好的", None),
    ("杭州市西湖区文三路90号", None),  # an address is no time
])
def test_a_window_answer(answer: str, stored: str | None) -> None:
    assert read_window(KB, answer, NOW) == stored


@pytest.mark.parametrize(("answer", "address"), [
    ("杭州市西湖区文三路90号5幢301室", "杭州市西湖区文三路90号5幢301室"),
    ("  上海浦东张江路100弄5号  ", "上海浦东张江路100弄5号"),
    ("不知道", None), ("等会儿发你", None), ("好的", None), ("路", None),
])
def test_an_address_answer(answer: str, address: str | None) -> None:
    assert read_address(answer) == address


def test_a_window_in_words_the_bot_never_says_is_kept_but_not_read_back() -> None:
    import asyncio
    from unittest.mock import AsyncMock, MagicMock, patch

    from rasa_sdk.executor import CollectingDispatcher

    from actions import work_facts

    services = MagicMock(kb=KB)
    services.complaints.add_work_facts = AsyncMock()
    tracker = MagicMock()
    tracker.get_slot.return_value = "complaint-1"
    dispatcher = CollectingDispatcher()
    with patch.object(work_facts, "svc", return_value=services):
        filled = asyncio.run(work_facts.validate_window("周六不行就周日下午", dispatcher, tracker))
    assert filled == {"work_window": "周六不行就周日下午"}
    services.complaints.add_work_facts.assert_awaited_once_with("complaint-1", time_slot="周六不行就周日下午")
    [said] = [m["text"] for m in dispatcher.messages]
    assert "不行" not in said and said.startswith("好的，时间已经记下了")
