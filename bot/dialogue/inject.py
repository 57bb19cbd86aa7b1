"""Acting in a Rasa conversation outside a customer's turn (an agent's reply, the bot resuming,
a follow-up coming due), under the same per-conversation lock the turns use, so every
conversation stays one ordered story in its tracker.
"""

from __future__ import annotations

from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.events import BotUttered, Event, SlotSet, UserUttered


async def append_message(agent: Agent, sender_id: str, text: str, metadata: dict[str, Any],
                         buttons: list[dict[str, Any]] | None = None) -> None:
    """Record a message the bot did not decide to say (an agent's, a reminder) in the tracker."""
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.tracker_store.get_or_create_tracker(sender_id)
        tracker.update(BotUttered(text, data={"buttons": buttons} if buttons else {}, metadata=metadata))
        await agent.tracker_store.save(tracker)


async def update_tracker(agent: Agent, sender_id: str, events: list[Event]) -> None:
    """Apply events silently (e.g. close an abandoned form)."""
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.tracker_store.get_or_create_tracker(sender_id)
        for event in events:
            tracker.update(event)
        await agent.tracker_store.save(tracker)


async def run_action(agent: Agent, sender_id: str, action_name: str, events: list[Event]) -> list[dict[str, Any]]:
    """Apply `events`, run `action_name`, let the policies go on until the bot listens again;
    returns what the bot said (also recorded in the tracker)."""
    processor = agent.processor
    assert processor is not None
    collector = CollectingOutputChannel()
    async with agent.lock_store.lock(sender_id):
        tracker = await processor.fetch_tracker_and_update_session(sender_id, collector)
        for event in events:
            tracker.update(event)
        action = processor._get_action(action_name)
        prediction = PolicyPrediction.for_action_name(processor.domain, action_name)
        if await processor._run_action(action, tracker, collector, processor.nlg, prediction):
            await processor._run_prediction_loop(collector, tracker)
        await processor.save_tracker(tracker)
    return collector.messages


async def said_after_slot(agent: Agent, sender_id: str, slot: str, value: str) -> list[dict[str, Any]] | None:
    """What the bot said after `slot` was set to `value` and before the customer spoke again, or
    None when it never was: a retry after a crash reuses those words instead of saying them twice."""
    tracker = await agent.tracker_store.retrieve(sender_id)
    if tracker is None:
        return None
    said: list[dict[str, Any]] | None = None
    for event in tracker.events:
        if isinstance(event, SlotSet) and event.key == slot and event.value == value:
            said = []
        elif said is not None and isinstance(event, UserUttered):
            break
        elif said is not None and isinstance(event, BotUttered):
            message = {k: v for k, v in event.message().items() if v is not None and k != "timestamp"}
            said.append({"recipient_id": sender_id, **message})
    return said
