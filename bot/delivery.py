"""Messages the customer did not just ask for (agent replies, approvals, the bot resuming),
sent on whichever channel the customer used.

Each channel that can push registers a sender here; a channel that cannot (plain REST) is
served from the tracker instead: the chat page reads `/api/chat/history`, where every
agent message is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

Sender = Callable[[str, list[dict[str, Any]]], Awaitable[bool]]


class Delivery:
    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}

    def register(self, channel: str, sender: Sender) -> None:
        self._senders[channel] = sender

    async def send(self, sender_id: str, channel: str, messages: list[dict[str, Any]]) -> bool:
        """True when pushed (or queued for the customer's reconnect); False when the customer
        will read it from their history instead."""
        push = self._senders.get(channel)
        if push is None or not messages:
            return False
        try:
            return await push(sender_id, messages)
        except Exception as exc:  # noqa: BLE001 - a channel outage must not lose the agent's action
            log.warning("delivery on %s failed: %s", channel, type(exc).__name__)
            return False
