"""Messages the customer did not just ask for (agent replies, approvals, the bot resuming),
sent on whichever channel the customer used.

Each channel that can push registers a sender here; a channel that cannot (plain REST) is
served from the tracker instead: the chat page reads `/api/chat/history`, where every
agent message is recorded.

A person's messages (what an agent writes in the console) go through `send_kept`: a channel
with a keeper keeps what it cannot push now for the customer's next message and says which
happened (`Outcome`), so the console can tell the agent what the customer will really see.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

log = logging.getLogger(__name__)


class Outcome(str, Enum):
    PUSHED = "pushed"  # on its way to the customer now
    QUEUED = "queued"  # kept durably; goes out with the answer to the customer's next message
    HISTORY = "history"  # not pushed: the customer reads it in the conversation's history


Sender = Callable[[str, list[dict[str, Any]]], Awaitable[bool]]
Keeper = Callable[[str, list[dict[str, Any]]], Awaitable[Outcome]]


class Delivery:
    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}
        self._keepers: dict[str, Keeper] = {}

    def register(self, channel: str, sender: Sender, keeper: Keeper | None = None) -> None:
        self._senders[channel] = sender
        if keeper is not None:
            self._keepers[channel] = keeper

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

    async def send_kept(self, sender_id: str, channel: str, messages: list[dict[str, Any]]) -> Outcome:
        """A person's messages: pushed now, or kept for the customer's next message where the
        channel can keep them, or left to the conversation's history."""
        keep = self._keepers.get(channel)
        if keep is None or not messages:
            return Outcome.PUSHED if await self.send(sender_id, channel, messages) else Outcome.HISTORY
        try:
            return await keep(sender_id, messages)
        except Exception as exc:  # noqa: BLE001 - the transcript still has it
            log.warning("kept delivery on %s failed: %s", channel, type(exc).__name__)
            return Outcome.HISTORY
