"""What an agent's actions do to the Rasa conversation itself.

An agent's reply is a BotUttered event marked `source: agent`, written under the same
conversation lock the bot uses, so the transcript stays one ordered story. Handing back
resumes the paused conversation and runs `action_resume_after_agent`, which picks the stage
(remedy, follow-up, …) and lets the normal policies carry on from there.
"""

from __future__ import annotations

from typing import Any

from rasa.core.agent import Agent
from rasa.shared.core.events import (
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    SlotSet,
    UserUttered,
)

from bot.console.accounts import ConsoleUser
from bot.console.live import LiveEvents
from bot.delivery import Delivery, Outcome
from bot.dialogue.inject import append_message, run_action, update_tracker
from bot.storage.crypto import mask_personal_data

RESUME_ACTION = "action_resume_after_agent"


class Takeover:
    def __init__(self, agent: Agent, live: LiveEvents, delivery: Delivery) -> None:
        self.agent = agent
        self.live = live
        self.delivery = delivery

    async def say(self, sender_id: str, channel: str, text: str, author: ConsoleUser | None) -> Outcome:
        """Record a message from a person (agent or supervisor) and send it to the customer (or
        keep it for their next message where the channel cannot push it now)."""
        metadata = {"source": "agent", "agent": author.display_name if author else "客服"}
        await append_message(self.agent, sender_id, text, metadata)
        await self.live.message(sender_id, "agent", text, metadata["agent"])
        return await self.delivery.send_kept(sender_id, channel, [{"recipient_id": sender_id, "text": text}])

    async def resume_bot(self, sender_id: str, channel: str, stage: str) -> list[dict[str, Any]]:
        """Un-pause the conversation and let the bot continue at `stage`; returns what it said."""
        said = await run_action(self.agent, sender_id, RESUME_ACTION, [ConversationResumed(), SlotSet("stage", stage)])
        for message in said:
            if message.get("text"):
                await self.live.message(sender_id, "bot", message["text"])
        await self.delivery.send_kept(sender_id, channel, said)
        return said

    async def reopen_silently(self, sender_id: str) -> None:
        """After a person closed the case the bot listens again (a customer may come back)."""
        await update_tracker(self.agent, sender_id, [ConversationResumed(), SlotSet("stage", "closed")])

    async def transcript(self, sender_id: str, mask: bool) -> list[dict[str, Any]]:
        """The whole conversation as the console shows it: customer, bot, agent, handoff marks."""
        tracker = await self.agent.tracker_store.retrieve(sender_id)
        lines: list[dict[str, Any]] = []
        for event in tracker.events if tracker else []:
            line = _line(event)
            if line is None:
                continue
            if mask and line.get("text"):
                line["text"] = mask_personal_data(line["text"])
            lines.append(line)
        return lines[-500:]


def _line(event: Any) -> dict[str, Any] | None:
    at = float(getattr(event, "timestamp", 0) or 0)
    if isinstance(event, UserUttered) and event.text is not None:
        return {"from": "customer", "text": event.text, "at": at}
    if isinstance(event, BotUttered) and (event.text or event.data.get("buttons")):
        meta = event.metadata or {}
        if meta.get("source") == "agent":
            return {"from": "agent", "text": event.text or "", "agent": meta.get("agent"), "at": at}
        buttons = [b.get("title") for b in event.data.get("buttons") or [] if isinstance(b, dict)]
        return {"from": "bot", "text": event.text or "", "buttons": buttons, "at": at}
    if isinstance(event, ConversationPaused):
        return {"from": "system", "text": "已转人工，机器人暂停回复", "at": at}
    if isinstance(event, ConversationResumed):
        return {"from": "system", "text": "已交回机器人继续服务", "at": at}
    return None
