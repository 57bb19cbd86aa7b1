"""The one path every customer message takes, whatever the channel.

Channels turn their wire format into `handle(sender_id, text, channel)` and send back the
replies they get. Blank messages are answered kindly without running the model; everything
else goes through Rasa's Agent, which locks the conversation (one message at a time).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from dataclasses import dataclass
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.console.live import LiveEvents
from bot.knowledge import KnowledgeBase

log = logging.getLogger(__name__)

MAX_SENDER_LENGTH = 128
# Fault injection (tests, drills): senders (or WeChat openids) with one of these
# comma-separated prefixes wait 6 s before their turn, like a model under heavy load.
SLOW_ENV = "QINGTING_FAULT_SLOW_SENDERS"


def _injected_slowness(sender_id: str) -> bool:
    prefixes = tuple(p for p in os.environ.get(SLOW_ENV, "").split(",") if p)
    return bool(prefixes) and sender_id.split(":", 1)[-1].startswith(prefixes)


@dataclass
class Gateway:
    agent: Agent
    kb: KnowledgeBase
    live: LiveEvents | None = None

    async def handle(
        self, sender_id: str, text: str, channel: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        if not text or not text.strip():
            return [{"recipient_id": sender_id, "text": random.choice(self.kb.language.empty_message)}]
        if _injected_slowness(sender_id):
            await asyncio.sleep(6)
        collector = CollectingOutputChannel()
        message = UserMessage(
            text,
            collector,
            sender_id,
            input_channel=channel,
            metadata=metadata,
        )
        await self.agent.handle_message(message)
        await self._announce(sender_id, text, collector.messages)
        return collector.messages

    async def _announce(self, sender_id: str, text: str, replies: list[dict[str, Any]]) -> None:
        """Consoles watching this conversation see the turn; a silent bot means a person has it."""
        if self.live is None:
            return
        await self.live.message(sender_id, "customer", text)
        for reply in replies:
            if reply.get("text"):
                await self.live.message(sender_id, "bot", reply["text"])
        if not replies:
            await self.live.customer_waiting(sender_id)
