"""The follow-up and SLA scheduler: a loop in every server process, state only in the database.

Each tick (with an injectable clock):
  1. claim the due follow-ups and reminders (exactly once across processes, see store.py),
     run the follow-up dialogue in the customer's conversation (the words are saved on the
     row first, so a retry re-sends them instead of asking twice) and deliver it on the
     customer's channel; failures retry with back-off and end as `failed` in the console;
  2. close follow-ups that stayed unanswered after the reminder;
  3. raise cases past their SLA one level and tell supervisors (and, for a waiting handoff,
     the customer) about it.
Nothing proactive reaches a customer inside quiet hours; it waits for the morning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from rasa.core.agent import Agent
from rasa.shared.core.events import ActiveLoop, SlotSet

from bot.console.live import LiveEvents
from bot.delivery import Delivery
from bot.dialogue import texts
from bot.dialogue.inject import append_message, run_action, said_after_slot, update_tracker
from bot.followups.sla import Breach, SlaWatch
from bot.followups.store import FollowUpStore, Job
from bot.knowledge import KnowledgeBase
from bot.outbox import ONCE_KEY
from bot.schedule import local
from bot.sms import SmsFailure, SmsSender
from bot.timeparse import _hm, in_quiet_hours
from bot.workorders.notify import WorkOrderTicker

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
FOLLOWUP_ACTION = "action_followup_check"
PERSON_BUSY_RETRY = timedelta(hours=1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class TickReport:
    delivered: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    postponed: list[str] = field(default_factory=list)
    closed_unanswered: list[str] = field(default_factory=list)
    breaches: list[Breach] = field(default_factory=list)
    overdue_work_orders: list[str] = field(default_factory=list)


@dataclass
class SchedulerParts:
    agent: Agent
    kb: KnowledgeBase
    store: FollowUpStore
    sla: SlaWatch
    delivery: Delivery
    sms: SmsSender  # the local outbox, or a provider (bot/sms/)
    live: LiveEvents
    workorders: WorkOrderTicker | None = None  # overdue work orders and their customer lines


class FollowUpScheduler:
    def __init__(self, parts: SchedulerParts, clock: Clock = system_clock, interval_s: float = 15.0) -> None:
        self.parts = parts
        self.clock = clock
        self.interval_s = interval_s
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    async def run_forever(self) -> None:
        with contextlib.suppress(Exception):  # best effort: the lease frees them later anyway
            await asyncio.to_thread(self.parts.store.release_dead_claims, socket.gethostname(), _alive)
        while True:
            try:
                await self.tick()
            except Exception as exc:  # noqa: BLE001 - e.g. the database away for a moment: try next tick
                log.warning("scheduler tick failed: %s", type(exc).__name__)
            await asyncio.sleep(self.interval_s)

    async def tick(self) -> TickReport:
        report = TickReport()
        now = self.clock()
        quiet = self._quiet(now)
        jobs = await asyncio.to_thread(self.parts.store.claim_due, now, self.worker)
        for job in jobs:
            await self._handle(job, now, quiet, report)
        for follow_up_id, sender_id in await asyncio.to_thread(self.parts.store.close_unanswered, now):
            await update_tracker(self.parts.agent, sender_id, [ActiveLoop(None), SlotSet("requested_slot", None),
                                                               SlotSet("stage", "closed")])
            report.closed_unanswered.append(follow_up_id)
        report.breaches = await asyncio.to_thread(self.parts.sla.escalate, now)
        for breach in report.breaches:
            await self._announce_breach(breach, quiet)
        if self.parts.workorders is not None:
            report.overdue_work_orders = await self.parts.workorders.tick()
        return report

    def _quiet(self, now: datetime) -> bool:
        hours = self.parts.kb.service.quiet_hours
        return in_quiet_hours(local(self.parts.kb.service, now), hours.start, hours.end)

    def _quiet_end(self, now: datetime) -> datetime:
        shop = local(self.parts.kb.service, now)
        end = _hm(self.parts.kb.service.quiet_hours.end)
        morning = shop.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        return morning if morning > shop else morning + timedelta(days=1)

    async def _handle(self, job: Job, now: datetime, quiet: bool, report: TickReport) -> None:
        store = self.parts.store
        if quiet or await asyncio.to_thread(store.person_has_it, job.sender_id):
            until = self._quiet_end(now) if quiet else now + PERSON_BUSY_RETRY
            await asyncio.to_thread(store.postpone, job, until)
            report.postponed.append(job.id)
            return
        final = False
        try:
            messages = job.messages or await self._compose(job)
            via = await self._send(job, messages)
        except SmsFailure as exc:  # the provider's code is on the row; a bad number is not retried
            via, error, final = None, exc.reason, exc.final
        except Exception as exc:  # noqa: BLE001 - any failure is retried; the row says why
            via, error = None, type(exc).__name__
        else:
            error = "channel refused" if via is None else ""
        if via is not None:
            await asyncio.to_thread(store.delivered, job, now, via)
            report.delivered.append(job.id)
            return
        if await asyncio.to_thread(store.failed, job, now, error, final):
            report.failed.append(job.id)
            await self.parts.live.notice("followup_failed", {"reference": job.reference, "channel": job.channel})
        else:
            report.retried.append(job.id)

    async def _compose(self, job: Job) -> list[dict]:
        """Say it in the conversation (recorded in the tracker) and keep the words on the row."""
        agent = self.parts.agent
        if job.kind == "reminder":
            text = texts.followup_reminder(job.reference)
            await append_message(agent, job.sender_id, text, {"source": "followup"})
            return [{"recipient_id": job.sender_id, "text": text}]
        # A process killed after the tracker got the words but before the row did: the retry takes
        # them from the tracker, so the conversation asks once.
        messages = await said_after_slot(agent, job.sender_id, "followup_id", job.id)
        if not messages:
            messages = await run_action(agent, job.sender_id, FOLLOWUP_ACTION,
                                        [SlotSet("complaint_id", job.complaint_id), SlotSet("followup_id", job.id)])
        # Stable ids, saved with the words: a retry after a crash puts nothing twice in the outbox.
        messages = [{**message, ONCE_KEY: f"followup:{job.id}:{n}"} for n, message in enumerate(messages)]
        await asyncio.to_thread(self.parts.store.save_messages, job.id, messages)
        return messages

    async def _send(self, job: Job, messages: list[dict]) -> str | None:
        """The channel it went out on, or None when it could not go out now."""
        if job.channel == "sms":
            if not job.phone:
                return None
            text = " ".join(m["text"] for m in messages if m.get("text"))
            return "sms" if await self.parts.sms.send(job.phone, text) else None
        return job.channel if await self.parts.delivery.send(job.sender_id, job.channel, messages) else None

    async def _announce_breach(self, breach: Breach, quiet: bool) -> None:
        await self.parts.live.notice("sla_breach", {"kind": breach.kind, "reference": breach.reference,
                                                    "from_level": breach.from_level, "to_level": breach.to_level})
        if breach.kind != "handoff" or quiet:
            return
        text = texts.wait_apology(breach.reference)
        await append_message(self.parts.agent, breach.sender_id, text, {"source": "system"})
        await self.parts.delivery.send(breach.sender_id, breach.channel, [{"recipient_id": breach.sender_id,
                                                                            "text": text}])
