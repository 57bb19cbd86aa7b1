"""Telling the customer about each customer-facing work-order change, once.

A change's line is stored with its move (`work_order_events.customer_text`). Sending claims
the event first (a conditional UPDATE only one process can win), then records the line in
the customer's conversation (their chat history) and delivers it on their channel. Every
server process runs `flush` after its own moves and on each scheduler tick, which also
picks up a line left behind by a process that stopped after the move.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from rasa.core.agent import Agent
from sqlalchemy import select

from bot.console.live import LiveEvents
from bot.delivery import Delivery
from bot.dialogue.inject import append_message
from bot.outbox import ONCE_KEY
from bot.storage import models as m
from bot.storage.db import session_scope
from bot.workorders.service import WorkOrderService
from bot.workorders.shop import ShopSender
from bot.workorders.store import WorkOrderStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    event_id: int
    sender_id: str
    channel: str
    text: str


class WorkOrderNotifier:
    def __init__(self, database_url: str, agent: Agent, delivery: Delivery) -> None:
        self.url = database_url
        self.agent = agent
        self.delivery = delivery

    async def flush(self) -> int:
        """Send every customer line not sent yet; returns how many went out."""
        notices = await asyncio.to_thread(self._claim)
        for notice in notices:
            await append_message(self.agent, notice.sender_id, notice.text, {"source": "workorder"})
            message = {"recipient_id": notice.sender_id, "text": notice.text, ONCE_KEY: f"workorder:{notice.event_id}"}
            if not await self.delivery.send(notice.sender_id, notice.channel, [message]):
                log.info("work order notice %s kept in the chat history only", notice.event_id)
        return len(notices)

    def _claim(self) -> list[Notice]:
        claimed: list[Notice] = []
        with session_scope(self.url) as db:
            store = WorkOrderStore(db)
            for event in store.unnotified():
                target = db.execute(
                    select(m.Conversation.sender_id, m.Conversation.channel)
                    .join(m.Complaint, m.Complaint.conversation_id == m.Conversation.id)
                    .join(m.WorkOrder, m.WorkOrder.complaint_id == m.Complaint.id)
                    .where(m.WorkOrder.id == event.work_order_id)
                ).first()
                if store.mark_notified(event.id, m.utcnow()) and target is not None:
                    claimed.append(Notice(event.id, target[0], target[1], str(event.customer_text)))
        return claimed


class WorkOrderTicker:
    """The scheduler's share of work orders: overdue ones go to a person (once each), and
    lines left unsent are sent."""

    def __init__(self, service: WorkOrderService, notifier: WorkOrderNotifier, live: LiveEvents,
                 shop: ShopSender | None = None) -> None:
        self.service = service
        self.notifier = notifier
        self.live = live
        self.shop = shop  # the signed webhook to the shop's system, when one is configured

    async def tick(self) -> list[str]:
        escalated = await asyncio.to_thread(self.service.escalate_overdue)
        for reference, handoff_id in escalated:
            await self.live.queue_changed("new", handoff_id, 2)
            await self.live.notice("workorder_overdue", {"reference": reference})
        await self.notifier.flush()
        if self.shop is not None:
            await self.shop.tick()
        return [reference for reference, _ in escalated]
