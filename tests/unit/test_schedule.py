"""Working hours of the human team: who is on duty, and when the next person is."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.knowledge import load_knowledge_base
from bot.schedule import next_working_time, on_duty

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS_ONLY = load_knowledge_base().service.copy(
    update={"working_hours": load_knowledge_base().service.working_hours.copy(update={"days": [1, 2, 3, 4, 5]})}
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026 in Shanghai (the 23rd is a Monday, the 28th a Saturday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("moment", "duty"),
    [
        pytest.param(at(23, 9, 0), True, id="opening-minute"),
        pytest.param(at(23, 14, 0), True, id="afternoon"),
        pytest.param(at(23, 20, 59), True, id="last-minute"),
        pytest.param(at(23, 21, 0), False, id="closing-time"),
        pytest.param(at(24, 3, 0), False, id="night"),
        pytest.param(at(28, 14, 0), False, id="saturday"),
    ],
)
def test_who_is_on_duty(moment: datetime, duty: bool) -> None:
    assert on_duty(WEEKDAYS_ONLY, moment) is duty


def test_on_duty_reads_utc_moments_in_the_shops_time_zone() -> None:
    # 01:30 UTC is 09:30 in Shanghai.
    assert on_duty(WEEKDAYS_ONLY, datetime(2026, 11, 23, 1, 30, tzinfo=timezone.utc))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(at(23, 22, 0), at(24, 9, 0), id="evening-to-next-morning"),
        pytest.param(at(24, 3, 0), at(24, 9, 0), id="night-to-same-morning"),
        pytest.param(at(27, 22, 0), at(30, 9, 0), id="friday-night-to-monday"),
        pytest.param(at(28, 14, 0), at(30, 9, 0), id="saturday-to-monday"),
    ],
)
def test_the_next_working_time_is_the_start_of_the_next_shift(moment: datetime, expected: datetime) -> None:
    assert next_working_time(WEEKDAYS_ONLY, moment) == expected
