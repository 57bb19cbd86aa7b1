"""A simulated customer walks one scripted journey (journeys.yml) through the real server.

The customer says the journey's opening lines, then answers whatever the bot asks next from
the journey's `answers` (each fact's answers are used in order, one per question; a fact
without answers gets "不知道"); at the remedy menu it clicks `answers.remedy`; it books the
follow-up with `answers.followup_time` (a pickup or visit address and time window from
WORK_FACTS). The walk ends at the goodbye, at a handoff, or after
MAX_TURNS messages. `check` then compares what happened with the journey's `expect`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.conversation.chat import Chat, Reply, read_json_column

JOURNEYS = Path(__file__).with_name("journeys.yml")
MAX_TURNS = 14
UNKNOWN = "不知道"


def load_journeys() -> list[dict[str, Any]]:
    return yaml.safe_load(JOURNEYS.read_text(encoding="utf-8"))


@dataclass
class Walk:
    """What happened on one journey."""

    turns: int = 0
    turns_to_remedy: int | None = None  # messages from the first one to a confirmed remedy
    handed_off: bool = False
    closed: bool = False
    stuck: list[str] = field(default_factory=list)  # bot lines the customer had no answer for


# What every customer answers when a work order needs an address or a time window (unless the
# journey says otherwise).
WORK_FACTS = {"work_address": ["上海市徐汇区漕溪北路88号2号楼1502室"], "work_window": ["明天上午"]}


def _answer_queue(journey: dict[str, Any]) -> dict[str, list[str]]:
    answers = journey.get("answers") or {}
    given = {key: list(value) if isinstance(value, list) else [str(value)] for key, value in answers.items()}
    return {**{key: list(value) for key, value in WORK_FACTS.items()}, **given}


def _next_message(reply: Reply, queue: dict[str, list[str]], walk: Walk) -> str | None:
    """The simulated customer's answer to this reply; None when the journey is over."""
    if reply.hands_off():
        walk.handed_off = True
        return None
    if "感谢" in reply.text and ("已为您预约" in reply.text or "不另外回访" in reply.text or
                                 "处理完成后会通知您" in reply.text):
        walk.closed = True
        return None
    asked = reply.asked_facts()
    if reply.offers_remedies():
        asked = ["remedy"]
    if not asked:
        walk.stuck.append(reply.text)
        return None
    fact = asked[-1]
    answers = queue.get(fact) or []
    if fact == "remedy" and answers:
        wanted = answers.pop(0)
        return next((b["payload"] for b in reply.buttons if b["title"] == wanted), wanted)
    return answers.pop(0) if answers else UNKNOWN


def walk(customer: Chat, journey: dict[str, Any]) -> Walk:
    result = Walk()
    queue = _answer_queue(journey)
    reply = Reply()
    for line in journey["say"]:
        reply = customer.say(line)
        result.turns += 1
        if "已为您确认" in reply.text and result.turns_to_remedy is None:
            result.turns_to_remedy = result.turns
    while result.turns < MAX_TURNS:
        message = _next_message(reply, queue, result)
        if message is None:
            break
        reply = customer.say(message)
        result.turns += 1
        if "已为您确认" in reply.text and result.turns_to_remedy is None:
            result.turns_to_remedy = result.turns
    return result


def problems(customer: Chat, journey: dict[str, Any], result: Walk) -> list[str]:
    """What a good agent would have done differently; empty when the journey passes."""
    expect = journey.get("expect") or {}
    found: list[str] = []
    over = {fact: n for fact, n in customer.times_asked().items() if n > 2}
    if over:
        found.append(f"asked more than twice: {over}")
    if customer.repeated_lines():
        found.append(f"repeated lines: {customer.repeated_lines()}")
    if result.stuck:
        found.append(f"the bot stopped without a question or an end: {result.stuck[-1][:80]}")
    if "handoff" in expect and bool(expect["handoff"]) != result.handed_off:
        found.append(f"handoff expected {expect['handoff']}, got {result.handed_off}")
    for line in map(str, expect.get("bot_says") or []):
        if not any(line in text for text in customer.transcript):
            found.append(f"never said {line!r}")
    complaints = customer.complaints()
    if not complaints:
        needs_record = any(key in expect for key in ("type", "remedy", "facts"))
        return [*found, "no complaint recorded"] if needs_record else found
    complaint = complaints[-1]
    facts = read_json_column(complaint["facts"]) or {}
    if "type" in expect and complaint["type"] != expect["type"]:
        found.append(f"type {complaint['type']} instead of {expect['type']}")
    if "remedy" in expect and complaint["remedy"] != expect["remedy"]:
        found.append(f"remedy {complaint['remedy']} instead of {expect['remedy']}")
    for key, value in (expect.get("facts") or {}).items():
        recorded = complaint["order_id"] if key == "order_id" else facts.get(key)
        if recorded != value:
            found.append(f"fact {key}={recorded!r} instead of {value!r}")
    if not result.handed_off and expect.get("closed", True) and not result.closed:
        found.append("the journey did not reach the follow-up booking")
    return found
