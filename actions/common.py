"""Helpers shared by the actions: reading the tracker the same way everywhere."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker

from bot.dialogue.variety import fresh
from bot.nlu.numbers import as_decimal
from bot.services import Services, services


def svc() -> Services:
    return services()


def signal(tracker: Tracker) -> dict[str, Any]:
    """The handoff view the NLU pipeline attached to the latest message."""
    return (tracker.latest_message or {}).get("qingting") or {}


def latest_text(tracker: Tracker) -> str:
    """The normalised text of the latest message (the tracker keeps the original too)."""
    return str((tracker.latest_message or {}).get("text") or "")


def was_truncated(tracker: Tracker) -> bool:
    return bool(((tracker.latest_message or {}).get("normalization") or {}).get("truncated"))


def latest_intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


def entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value is not None else None


def as_amount(value: Any) -> Decimal | None:
    return as_decimal(value)


def real_order_id(value: Any) -> str | None:
    return None if value in (None, "", "none") else str(value)


def since_latest_message(tracker: Tracker) -> list[dict[str, Any]] | None:
    """The events after the latest customer message (None before the customer said anything)."""
    events = list(tracker.events)
    last_user = next((i for i in range(len(events) - 1, -1, -1) if events[i].get("event") == "user"), None)
    return None if last_user is None else events[last_user + 1 :]


def said_so_far(tracker: Tracker) -> list[str]:
    """Every text the bot sent in this conversation, oldest first."""
    return [str(e.get("text")) for e in tracker.events if e.get("event") == "bot" and e.get("text")]


def fresh_line(tracker: Tracker, lines: list[str]) -> str:
    """One of `lines` the customer has not read in this conversation yet."""
    return fresh(lines, said_so_far(tracker))
