"""A simulated customer walks one scripted journey (journeys.yml) through the real server.

The customer says the journey's opening lines, then answers whatever the bot asks next from
the journey's `answers` (each fact's answers are used in order, one per question; a fact
without answers gets "不知道"); at the remedy menu it clicks `answers.remedy`; it books the
follow-up with `answers.followup_time` (a pickup or visit address and time window from
WORK_FACTS). Right after a remedy is confirmed it first says the next of `change_remedy` (a
customer changing their mind). With `come_back`, the first time the bot asks that fact the
customer leaves and returns on a new client with the same sender id (see `_come_back`). The walk
ends at the goodbye, at a handoff, or after MAX_TURNS messages. `problems` then compares what
happened with the journey's `expect`.
"""

from __future__ import annotations

import json
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
    replies: dict[str, str] = field(default_factory=dict)  # customer message -> the bot's reply


# What every customer answers when a work order needs an address or a time window (unless the
# journey says otherwise).
WORK_FACTS = {"work_address": ["上海市徐汇区漕溪北路88号2号楼1502室"], "work_window": ["明天上午"]}


def _answer_queue(journey: dict[str, Any]) -> dict[str, list[str]]:
    answers = journey.get("answers") or {}
    given = {key: list(value) if isinstance(value, list) else [str(value)] for key, value in answers.items()}
    return {**{key: list(value) for key, value in WORK_FACTS.items()}, **given}


def _asked(reply: Reply) -> list[str]:
    """The facts a reply asks for; the remedy menu counts as asking for "remedy"."""
    return ["remedy"] if reply.offers_remedies() else reply.asked_facts()


def _next_message(reply: Reply, queue: dict[str, list[str]], walk: Walk) -> str | None:
    """The simulated customer's answer to this reply; None when the journey is over."""
    if reply.hands_off():
        walk.handed_off = True
        return None
    if "感谢" in reply.text and ("已为您预约" in reply.text or "不另外回访" in reply.text or
                                 "处理完成后会通知您" in reply.text):
        walk.closed = True
        return None
    asked = _asked(reply)
    if not asked and queue.get("problem"):
        return queue["problem"].pop(0)  # the bot listens or asks what happened: the customer goes on
    if not asked:
        walk.stuck.append(reply.text)
        return None
    fact = asked[-1]
    answers = queue.get(fact) or []
    if fact == "remedy" and answers:
        wanted = answers.pop(0)
        return next((b["payload"] for b in reply.buttons if b["title"] == wanted), wanted)
    return answers.pop(0) if answers else UNKNOWN


def _come_back(customer: Chat, line: str) -> Reply:
    """The customer leaves mid-form and comes back later on a new client (no cookies, nothing
    carried over but the sender id), saying `line`. The server's clock is not advanced: the
    conversation never expires (domain.yml session_config), so only the client is new."""
    returning = Chat(customer.server, sender=customer.sender)
    returning.quoted_order = customer.quoted_order
    reply = returning.say(line)
    customer.transcript += returning.transcript
    customer.last = reply
    return reply


def walk(customer: Chat, journey: dict[str, Any]) -> Walk:
    result = Walk()
    queue = _answer_queue(journey)
    lines = list(journey["say"])
    changes = list(journey.get("change_remedy") or [])
    come_back = dict(journey.get("come_back") or {})
    reply = Reply()
    while result.turns < MAX_TURNS:
        if not lines and come_back and come_back["when"] in _asked(reply):
            message = str(come_back.pop("say"))
            come_back.clear()
            reply = _come_back(customer, message)
        else:
            if lines:
                next_line: str | None = lines.pop(0)
            elif changes and "已为您确认" in reply.text:
                next_line = changes.pop(0)
            else:
                next_line = _next_message(reply, queue, result)
            if next_line is None:
                break
            message = next_line
            reply = customer.say(message)
        result.replies[message] = result.replies.get(message, "") + reply.text
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
    for line in map(str, expect.get("not_says") or []):
        if any(line in text for text in customer.transcript):
            found.append(f"said {line!r}")
    for message, fragments in (expect.get("answered") or {}).items():
        unanswered = [f for f in map(str, fragments) if f not in result.replies.get(message, "")]
        if unanswered:
            found.append(f"the reply to {message!r} lacks {unanswered}")
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
    kept = json.dumps({k: v for k, v in facts.items() if k != "statements"}, ensure_ascii=False)
    for fragment in map(str, expect.get("recorded") or []):
        if fragment not in kept:
            found.append(f"{fragment!r} not recorded among the facts")
    if not result.handed_off and expect.get("closed", True) and not result.closed:
        found.append("the journey did not reach the follow-up booking")
    return found
