"""What the customer hears at a handoff: the advice for each hazard first, then the queue in a
person's words."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.complaints import HandoffTicket
from bot.dialogue import texts
from bot.knowledge import load_knowledge_base

ADVICE = load_knowledge_base().language.safety_advice
ON_DUTY = HandoffTicket("h1", 1, 15, True, None)


def test_the_first_in_the_queue_is_next() -> None:
    line = texts.handoff_text(ON_DUTY, ["asked_for_person"], None, None, ADVICE)
    assert "您是下一位" in line
    assert "0位" not in line


def test_others_waiting_are_counted() -> None:
    ticket = HandoffTicket("h1", 3, 45, True, None)
    assert "您前面还有2位" in texts.handoff_text(ticket, ["asked_for_person"], None, None, ADVICE)


def test_every_hazard_the_classifier_knows_has_its_own_advice() -> None:
    from bot.severity import DANGER_KINDS

    assert set(ADVICE) >= DANGER_KINDS


def test_two_hazards_get_both_advices_once_each_before_the_queue() -> None:
    line = texts.handoff_text(ON_DUTY, ["danger:gas", "danger:fire", "danger:gas"], None, None, ADVICE)
    assert line.count(ADVICE["gas"]) == 1 and line.count(ADVICE["fire"]) == 1
    assert line.index(ADVICE["fire"]) < line.index("资深同事")


def test_a_child_at_risk_gets_the_hazard_and_the_child_advice() -> None:
    line = texts.handoff_text(ON_DUTY, ["danger:choking", "child_at_risk"], None, None, ADVICE)
    assert ADVICE["choking"] in line and ADVICE["child"] in line


def test_no_danger_no_safety_advice() -> None:
    line = texts.handoff_text(ON_DUTY, ["escalation:media"], None, None, ADVICE)
    assert not any(advice in line for advice in ADVICE.values())


def test_off_duty_the_callback_time_is_said() -> None:
    when = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    ticket = HandoffTicket("h1", 1, 15, False, when)
    line = texts.handoff_text(ticket, ["danger:electric"], "明天上午09:00", None, ADVICE)
    assert line.startswith(ADVICE["electric"])
    assert "明天上午09:00" in line
