"""The journey corpus (tests/conversation/journeys/journeys.yml): what a good agent does on
each — facts recorded, the remedy confirmed, the type, handoff or not — with no fact asked more
than twice and no line said twice. QINGTING_JOURNEY_REPORT=path appends one JSON line per
journey (turns, turns to a confirmed remedy, asks, repeats) for the figures in the report."""

from __future__ import annotations

import json
import os

import pytest

from tests.conversation.chat import Chat
from tests.conversation.journeys.runner import load_journeys, problems, walk

pytestmark = pytest.mark.conversation

JOURNEYS = load_journeys()


def _case(journey: dict):  # type: ignore[no-untyped-def]
    issue = journey.get("known_issue")
    marks = [pytest.mark.xfail(reason=issue, strict=True)] if issue else []
    return pytest.param(journey, id=journey["name"], marks=marks)


@pytest.mark.parametrize("journey", [_case(j) for j in JOURNEYS])
def test_journey(customer: Chat, journey: dict) -> None:
    result = walk(customer, journey)
    found = problems(customer, journey, result)
    report = os.environ.get("QINGTING_JOURNEY_REPORT")
    if report:
        with open(report, "a", encoding="utf-8") as out:
            out.write(json.dumps({
                "name": journey["name"], "passed": not found, "problems": found, "turns": result.turns,
                "known_issue": journey.get("known_issue"),
                "turns_to_remedy": result.turns_to_remedy, "asked": customer.times_asked(),
                "repeated": len(customer.repeated_lines()), "transcript": customer.transcript,
            }, ensure_ascii=False) + "\n")
    assert not found, "\n".join([*found, "--- transcript ---", *customer.transcript])
