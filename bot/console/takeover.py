"""What an agent's actions do to the Rasa conversation itself.

An agent's reply is a BotUttered event marked `source: agent`, written under the same
conversation lock the bot uses, so the transcript stays one ordered story. Handing back
resumes the paused conversation and runs `action_resume_after_agent`, which picks the stage
(remedy, follow-up, …) and lets the normal policies carry on from there.
"""

from __future__ import annotations

from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.events import (
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    SlotSet,
    UserUttered,
)

from bot.console.accounts import ConsoleUser
from bot.console.live import LiveEvents
from bot.delivery import Delivery
from bot.storage.crypto import mask_personal_data

RESUME_ACTION = "action_resume_after_agent"


class Takeover:
    def __init__(self, agent: Agent, live: LiveEvents, delivery: Delivery) -> None:
        self.agent = agent
        self.live = live
        self.delivery = delivery

    async def say(self, sender_id: str, channel: str, text: str, author: ConsoleUser | None) -> bool:
        """Record a message from a person (agent or supervisor) and send it to the customer."""
        metadata = {"source": "agent", "agent": author.display_name if author else "客服"}
        async with self.agent.lock_store.lock(sender_id):
            tracker = await self.agent.tracker_store.get_or_create_tracker(sender_id)
            tracker.update(BotUttered(text, metadata=metadata))
            await self.agent.tracker_store.save(tracker)
        await self.live.message(sender_id, "agent", text, metadata["agent"])
        return await self.delivery.send(sender_id, channel, [{"recipient_id": sender_id, "text": text}])

    async def resume_bot(self, sender_id: str, channel: str, stage: str) -> list[dict[str, Any]]:
        """Un-pause the conversation and let the bot continue at `stage`; returns what it said."""
        processor = self.agent.processor
        assert processor is not None
        collector = CollectingOutputChannel()
        async with self.agent.lock_store.lock(sender_id):
            tracker = await processor.fetch_tracker_and_update_session(sender_id, collector)
            tracker.update(ConversationResumed())
            tracker.update(SlotSet("stage", stage))
            action = processor._get_action(RESUME_ACTION)
            prediction = PolicyPrediction.for_action_name(processor.domain, RESUME_ACTION)
            if await processor._run_action(action, tracker, collector, processor.nlg, prediction):
                await processor._run_prediction_loop(collector, tracker)
            await processor.save_tracker(tracker)
        for message in collector.messages:
            if message.get("text"):
                await self.live.message(sender_id, "bot", message["text"])
        await self.delivery.send(sender_id, channel, collector.messages)
        return collector.messages

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
