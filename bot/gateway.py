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
import re
from dataclasses import dataclass, field
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.shop_login import ShopLogin
from bot.console.live import LiveEvents
from bot.knowledge import KnowledgeBase
from bot.outage import is_outage

log = logging.getLogger(__name__)

MAX_SENDER_LENGTH = 128
# The database or Redis away for a moment: the turn is tried again for about this long
# before the customer is asked, kindly, to send the message again.
OUTAGE_RETRY_S = (0.25, 0.5, 1.0, 2.0, 3.0)
SYSTEM_RECOVERING = "系统正在快速恢复，麻烦您稍等片刻再把刚才的话发一次，我们一定认真处理。"
# Fault injection (tests, drills): senders (or WeChat openids) with one of these
# comma-separated prefixes wait 6 s before their turn, like a model under heavy load.
SLOW_ENV = "QINGTING_FAULT_SLOW_SENDERS"
# Rasa reads these as commands that wipe or rewind the conversation, silently. From a customer
# they are only text (our buttons never send them), so they reach the NLU without the slash.
TRACKER_COMMANDS = re.compile(r"^\s*/(restart|back|session_start)\b")


def well_formed(value: str) -> str:
    """JSON may carry lone surrogates ("\\udfff"), which nothing downstream can encode (the
    tokenizer, the database): each becomes U+FFFD and the message is answered as usual."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _injected_slowness(sender_id: str) -> bool:
    prefixes = tuple(p for p in os.environ.get(SLOW_ENV, "").split(",") if p)
    return bool(prefixes) and sender_id.split(":", 1)[-1].startswith(prefixes)


@dataclass
class Gateway:
    agent: Agent
    kb: KnowledgeBase
    live: LiveEvents | None = None
    # Checks a logged-in shop account's token; the dialogue sees only the account it proves.
    shop_login: ShopLogin = field(default_factory=lambda: ShopLogin(None))
    # Turns being processed now; a shutting-down process waits for them (bot/lifecycle.py).
    inflight: int = field(default=0, init=False)

    async def wait_idle(self, timeout_s: float) -> bool:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self.inflight and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        return self.inflight == 0

    async def handle(
        self, sender_id: str, text: str, channel: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        sender_id, text = well_formed(sender_id), well_formed(text)
        metadata = await self.shop_login.vouch(metadata, sender_id)
        if not text or not text.strip():
            return [{"recipient_id": sender_id, "text": random.choice(self.kb.language.empty_message)}]
        if TRACKER_COMMANDS.match(text):
            text = text.strip()[1:]
        self.inflight += 1
        try:
            return await self._turn(sender_id, text, channel, metadata)
        finally:
            self.inflight -= 1

    async def _turn(
        self, sender_id: str, text: str, channel: str, metadata: dict[str, Any] | None
    ) -> list[dict[str, Any]]:
        if _injected_slowness(sender_id):
            await asyncio.sleep(6)
        replies = await self._run_through_outage(UserMessage(text, None, sender_id, input_channel=channel,
                                                             metadata=metadata))
        if replies is None:
            return [{"recipient_id": sender_id, "text": SYSTEM_RECOVERING}]
        await self._announce(sender_id, text, replies)
        return replies

    async def _run_through_outage(self, message: UserMessage) -> list[dict[str, Any]] | None:
        """The turn's replies; None when storage stayed away through every retry."""
        for delay in (*OUTAGE_RETRY_S, None):
            collector = CollectingOutputChannel()
            message.output_channel = collector
            try:
                await self.agent.handle_message(message)
                return collector.messages
            except Exception as exc:
                if not is_outage(exc):
                    raise
                if delay is None:
                    log.warning("storage still away after retries (%s)", type(exc).__name__)
                    return None
                log.warning("turn waits for storage (%s)", type(exc).__name__)
                await asyncio.sleep(delay)
        return None

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
