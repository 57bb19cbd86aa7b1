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
        return collector.messages
