"""A follow-up retried after a crash reuses the words already in the conversation: the tracker is
read for what the bot said after the follow-up's id was set, up to the customer's next message."""

from __future__ import annotations

import asyncio

from rasa.core.agent import Agent
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.inject import said_after_slot

DOMAIN = Domain.from_dict({"slots": {"followup_id": {"type": "any", "mappings": [{"type": "custom"}]}}})


def agent_with(events: list) -> Agent:  # type: ignore[type-arg]
    store = InMemoryTrackerStore(DOMAIN)
    tracker = DialogueStateTracker.from_events("c1", events, slots=DOMAIN.slots)
    asyncio.run(store.save(tracker))
    return Agent(domain=DOMAIN, tracker_store=store)


def test_the_words_said_after_the_follow_up_began_are_found_once() -> None:
    agent = agent_with([
        UserUttered("我的水壶坏了"), BotUttered("已为您预约"),
        SlotSet("followup_id", "f1"),
        BotUttered("您好，按约定来回访"), BotUttered("问题现在解决了吗", data={"buttons": [{"title": "解决了", "payload": "/affirm"}]}),
        UserUttered("解决了"), BotUttered("请打个分"),
    ])
    said = asyncio.run(said_after_slot(agent, "c1", "followup_id", "f1"))
    assert [m["text"] for m in said] == ["您好，按约定来回访", "问题现在解决了吗"]
    assert said[1]["buttons"] == [{"title": "解决了", "payload": "/affirm"}]
    assert all(m["recipient_id"] == "c1" for m in said)


def test_a_follow_up_never_begun_has_nothing_said() -> None:
    agent = agent_with([UserUttered("你好"), BotUttered("您好"), SlotSet("followup_id", "other")])
    assert asyncio.run(said_after_slot(agent, "c1", "followup_id", "f1")) is None
    assert asyncio.run(said_after_slot(agent, "nobody", "followup_id", "f1")) is None
