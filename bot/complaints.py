"""The complaint service: what the dialogue does to the records.

Custom actions stay thin and call these methods. Database work is synchronous SQLAlchemy
run in a worker thread so the event loop keeps serving other conversations.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from bot.knowledge import KnowledgeBase
from bot.orders import OrderRecord, OrderSource
from bot.remedy import RemedyDecision, RemedyEngine, RemedyOption, RemedyRequest, packaged
from bot.storage import models as m
from bot.storage.crypto import lookup_hash, mask_personal_data, mask_phone
from bot.storage.db import session_scope
from bot.workorders.service import AWAITING_WORK, WorkOrderService
from bot.workorders.states import OPEN as OPEN_WORK

STATUS_LABELS = {
    "open": "已受理，正在核实",
    "proposed": "方案已提出，等待您确认",
    "accepted": "方案已确认，正在安排",
    "in_progress": "正在处理中",
    "resolved": "已解决",
    "reopened": "已重新处理",
    "closed": "已完结",
}


@dataclass(frozen=True)
class ComplaintRef:
    id: str
    reference: str


@dataclass(frozen=True)
class Progress:
    reference: str
    type_label: str
    status: str
    status_label: str
    remedy_label: str | None
    approval: str | None
    followup_at: datetime | None
    handoff_status: str | None
    work_orders: tuple[str, ...] = ()  # what the customer hears about each work order
    followup_after_work: bool = False  # the follow-up waits until the work is done


@dataclass(frozen=True)
class HandoffTicket:
    id: str
    position: int
    wait_minutes: int
    on_duty: bool
    callback_at: datetime | None


def conversation_for(session, sender_id: str, channel: str) -> m.Conversation:  # type: ignore[no-untyped-def]
    """The conversation row of a Rasa sender id, created on first use."""
    row = session.execute(
        select(m.Conversation).where(m.Conversation.sender_id == sender_id)
    ).scalar_one_or_none()
    if row is None:
        row = m.Conversation(sender_id=sender_id, channel=channel or "rest")
        session.add(row)
        session.flush()
    return row


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


class ComplaintService:
    def __init__(self, database_url: str, kb: KnowledgeBase, orders: OrderSource) -> None:
        self.url = database_url
        self.kb = kb
        self.orders = orders
        self.engine = RemedyEngine(kb)
        self.work_orders = WorkOrderService(database_url, kb)  # a confirmed remedy creates them

    # --- conversations and complaints ----------------------------------------------------
    @staticmethod
    def _conversation(session, sender_id: str, channel: str) -> m.Conversation:  # type: ignore[no-untyped-def]
        return conversation_for(session, sender_id, channel)

    def _next_reference(self, session) -> str:  # type: ignore[no-untyped-def]
        # One upsert: the first complaint of a day in two processes at once cannot both
        # insert the day's row (the old read-then-insert could, on PostgreSQL).
        day = datetime.now().strftime("%Y%m%d")
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        table = m.ComplaintCounter.__table__
        statement = insert(table).values(day=day, value=1)
        session.execute(statement.on_conflict_do_update(index_elements=[table.c.day],
                                                        set_={"value": table.c.value + 1}))
        value = session.execute(select(table.c.value).where(table.c.day == day)).scalar_one()
        return f"TS{day}-{value:04d}"

    async def open_complaint(
        self, sender_id: str, channel: str, complaint_type: str, text: str, severity: int, facts: dict
    ) -> ComplaintRef:
        return await asyncio.to_thread(
            self._open_complaint, sender_id, channel, complaint_type, text, severity, facts
        )

    def _open_complaint(
        self, sender_id: str, channel: str, complaint_type: str, text: str, severity: int, facts: dict
    ) -> ComplaintRef:
        with session_scope(self.url) as session:
            conversation = self._conversation(session, sender_id, channel)
            sla = timedelta(minutes=self.kb.policies.sla_minutes[severity])  # type: ignore[index]
            complaint = m.Complaint(
                reference=self._next_reference(session),
                conversation_id=conversation.id,
                customer_id=conversation.customer_id,
                type=complaint_type,
                severity=severity,
                facts={**facts, "statements": [mask_personal_data(text)] if text else []},
                channel=conversation.channel,
                status="open",
                sla_due_at=m.utcnow() + sla,
            )
            session.add(complaint)
            session.flush()
            return ComplaintRef(complaint.id, complaint.reference)

    async def add_facts(self, complaint_id: str, text: str | None, facts: dict, severity: int | None = None) -> None:
        await asyncio.to_thread(self._add_facts, complaint_id, text, facts, severity)

    def _add_facts(self, complaint_id: str, text: str | None, facts: dict, severity: int | None) -> None:
        with session_scope(self.url) as session:
            complaint = session.get(m.Complaint, complaint_id)
            if complaint is None:
                return
            merged = dict(complaint.facts or {})
            merged.update({k: v for k, v in facts.items() if v not in (None, "")})
            if text:
                merged["statements"] = [*merged.get("statements", []), mask_personal_data(text)][-20:]
            complaint.facts = merged
            if severity and severity > complaint.severity:
                complaint.severity = severity
                sla = timedelta(minutes=self.kb.policies.sla_minutes[severity])  # type: ignore[index]
                complaint.sla_due_at = min(complaint.sla_due_at or m.utcnow() + sla, complaint.created_at + sla)

    async def complaint_facts(self, complaint_id: str | None) -> dict:
        """The facts recorded on the complaint (empty if there is none)."""
        return await asyncio.to_thread(self._complaint_facts, complaint_id)

    def _complaint_facts(self, complaint_id: str | None) -> dict:
        with session_scope(self.url) as session:
            complaint = session.get(m.Complaint, complaint_id) if complaint_id else None
            return dict(complaint.facts or {}) if complaint is not None else {}

    async def attach_customer_phone(self, sender_id: str, channel: str, phone: str) -> str:
        """Store the customer's phone encrypted; return the masked form for the record."""
        return await asyncio.to_thread(self._attach_phone, sender_id, channel, phone)

    def _attach_phone(self, sender_id: str, channel: str, phone: str) -> str:
        with session_scope(self.url) as session:
            conversation = self._conversation(session, sender_id, channel)
            hashed = lookup_hash(phone)
            customer = None
            if conversation.customer_id:
                customer = session.get(m.Customer, conversation.customer_id)
            if customer is None:
                customer = session.execute(
                    select(m.Customer).where(m.Customer.phone_hash == hashed)
                ).scalars().first()
            if customer is None:
                customer = m.Customer(tier="normal")
                session.add(customer)
            customer.phone = phone
            customer.phone_masked = mask_phone(phone)
            customer.phone_hash = hashed
            session.flush()
            conversation.customer_id = customer.id
            return customer.phone_masked

    # --- orders and remedies -------------------------------------------------------------
    async def find_order(self, order_id: str | None) -> OrderRecord | None:
        if not order_id:
            return None
        return await self.orders.find(order_id)

    async def link_order(self, sender_id: str, complaint_id: str | None, order: OrderRecord) -> None:
        await asyncio.to_thread(self._link_order, sender_id, complaint_id, order)

    def _link_order(self, sender_id: str, complaint_id: str | None, order: OrderRecord) -> None:
        with session_scope(self.url) as session:
            conversation = session.execute(
                select(m.Conversation).where(m.Conversation.sender_id == sender_id)
            ).scalar_one_or_none()
            customer_id = _order_customer(session, order, create=True)
            if conversation is not None and customer_id and not conversation.customer_id:
                conversation.customer_id = customer_id
            complaint = session.get(m.Complaint, complaint_id) if complaint_id else None
            if complaint is not None:
                complaint.order_id = order.order_id
                complaint.customer_id = complaint.customer_id or customer_id

    def _repeat_and_value_signals(self, order: OrderRecord | None, complaint_id: str | None) -> list[str]:
        signals = []
        if order is not None and order.price >= self.kb.service.high_value_order_yuan:
            signals.append("high_value_order")
        if order is not None:
            with session_scope(self.url) as session:
                customer_id = _order_customer(session, order, create=False)
                earlier = customer_id and session.execute(
                    select(func.count(m.Complaint.id)).where(
                        m.Complaint.customer_id == customer_id, m.Complaint.id != (complaint_id or "")
                    )
                ).scalar_one()
            if earlier:
                signals.append("repeat_complaint")
        return signals

    async def assess(
        self,
        complaint_id: str | None,
        complaint_type: str,
        order: OrderRecord | None,
        wish: str | None,
        severity: int,
        claimed_amount: Decimal | None,
        today: date | None = None,
        stated: dict | None = None,
    ) -> tuple[RemedyDecision, int, list[str]]:
        """The remedies for this complaint, as offered: the facts the customer stated (`stated`,
        bot/law_facts.py names) fill in what the order does not record, and remedies the law
        grants together come as one package (bot.remedy.packaged)."""
        signals = await asyncio.to_thread(self._repeat_and_value_signals, order, complaint_id)
        if signals:
            severity = max(severity, 2)
        decision = self.engine.decide(
            RemedyRequest(
                complaint_type=complaint_type,
                order=order.facts(**(stated or {})) if order else None,
                wish=wish,
                tier=order.tier if order else "normal",
                severity=severity,
                claimed_amount=claimed_amount,
                today=today or date.today(),
            )
        )
        decision = replace(decision, options=packaged(decision.options))
        if complaint_id:
            await asyncio.to_thread(self._save_assessment, complaint_id, decision, severity, signals)
        return decision, severity, signals

    def _save_assessment(self, complaint_id: str, decision: RemedyDecision, severity: int, signals: list[str]) -> None:
        with session_scope(self.url) as session:
            complaint = session.get(m.Complaint, complaint_id)
            if complaint is None:
                return
            complaint.valid = decision.valid
            complaint.validity_note = decision.validity_note
            complaint.severity = max(complaint.severity, severity)
            complaint.status = "proposed"
            complaint.facts = {
                **(complaint.facts or {}),
                "signals": signals,
                "options": [o.as_dict() for o in decision.options],
            }

    async def record_remedy(self, complaint_id: str, option: RemedyOption) -> None:
        await asyncio.to_thread(self._record_remedy, complaint_id, option)

    def _record_remedy(self, complaint_id: str, option: RemedyOption) -> None:
        with session_scope(self.url) as session:
            complaint = session.get(m.Complaint, complaint_id)
            if complaint is None:
                return
            complaint.remedy = option.kind
            complaint.remedy_detail = option.as_dict()
            complaint.compensation_amount = option.amount
            complaint.approval = "pending" if option.needs_approval else None
            complaint.status = "accepted"
            session.flush()
            self.work_orders.create_for_remedy(session, complaint, option.as_dict())
            if option.needs_approval and complaint.severity < 2:
                # compensation above the bot's cap: a level-2 case, an agent reviews (DOMAIN.md)
                complaint.severity = 2
                sla = timedelta(minutes=self.kb.policies.sla_minutes[2])  # type: ignore[index]
                complaint.sla_due_at = min(complaint.sla_due_at or m.utcnow() + sla, complaint.created_at + sla)

    async def work_facts_missing(self, complaint_id: str) -> dict[str, str]:
        """The address / time window the complaint's work orders still need (asked in the
        conversation), each with the label of the work order that needs it."""
        return await asyncio.to_thread(self.work_orders.missing_customer_facts, complaint_id)

    async def add_work_facts(self, complaint_id: str, *, address: str | None = None,
                             time_slot: str | None = None) -> list[str]:
        return await asyncio.to_thread(self.work_orders.add_customer_facts, complaint_id, address=address,
                                       time_slot=time_slot)

    async def record_apology(self, complaint_id: str, team: str) -> None:
        """An apology-only complaint: the apology is the remedy the customer accepted; the
        feedback is marked for the team concerned."""
        await asyncio.to_thread(self._record_apology, complaint_id, team)

    def _record_apology(self, complaint_id: str, team: str) -> None:
        with session_scope(self.url) as session:
            complaint = session.get(m.Complaint, complaint_id)
            if complaint is None:
                return
            complaint.facts = {**(complaint.facts or {}), "apologised": True, "feedback_for": team}
            complaint.valid = True
            complaint.status = "accepted"
            session.flush()
            self.work_orders.create_for_apology(session, complaint)  # the feedback reaches the team

    async def schedule_followup(self, complaint_id: str, sender_id: str, channel: str, due_at: datetime) -> None:
        await asyncio.to_thread(self._schedule_followup, complaint_id, sender_id, channel, due_at)

    def _schedule_followup(self, complaint_id: str, sender_id: str, channel: str, due_at: datetime) -> None:
        with session_scope(self.url) as session:
            conversation = self._conversation(session, sender_id, channel)
            session.add(
                m.FollowUp(
                    complaint_id=complaint_id,
                    conversation_id=conversation.id,
                    channel=conversation.channel,
                    due_at=_naive_utc(due_at),
                    # while work orders are open, the follow-up waits for them (bot/workorders/)
                    status=AWAITING_WORK if self._work_open(session, complaint_id) else "scheduled",
                )
            )
            complaint = session.get(m.Complaint, complaint_id)
            if complaint is not None and complaint.status == "accepted":
                complaint.status = "in_progress"

    @staticmethod
    def _work_open(session, complaint_id: str) -> bool:  # type: ignore[no-untyped-def]
        return session.execute(
            select(m.WorkOrder.id).where(m.WorkOrder.complaint_id == complaint_id,
                                         m.WorkOrder.state.in_(OPEN_WORK)).limit(1)
        ).first() is not None

    # --- follow-up answers ------------------------------------------------------------------
    async def followup_context(self, complaint_id: str | None) -> tuple[str, str | None]:
        """(reference, remedy label) for the follow-up's opening line."""
        return await asyncio.to_thread(self._followup_context, complaint_id)

    def _followup_context(self, complaint_id: str | None) -> tuple[str, str | None]:
        with session_scope(self.url) as session:
            complaint = session.get(m.Complaint, complaint_id) if complaint_id else None
            if complaint is None:
                return "", None
            label = self.kb.remedy_label(complaint.remedy) if complaint.remedy in self.kb.remedies.kinds else None
            return complaint.reference, label

    async def record_csat(self, complaint_id: str | None, follow_up_id: str | None, solved: bool, score: int,
                          comment: str | None) -> str:
        """Record the answer; solved with 4-5 closes the complaint, anything else reopens it.
        Returns the complaint reference."""
        return await asyncio.to_thread(self._record_csat, complaint_id, follow_up_id, solved, score, comment)

    def _record_csat(self, complaint_id: str | None, follow_up_id: str | None, solved: bool, score: int,
                     comment: str | None) -> str:
        with session_scope(self.url) as session:
            complaint = session.get(m.Complaint, complaint_id) if complaint_id else None
            if complaint is None:
                return ""
            follow_up = session.get(m.FollowUp, follow_up_id) if follow_up_id else None
            session.add(m.Csat(complaint_id=complaint.id, follow_up_id=follow_up.id if follow_up else None,
                               solved=solved, score=score, comment=mask_personal_data(comment) if comment else None))
            if follow_up is not None:
                follow_up.status, follow_up.answered_at = "answered", m.utcnow()
            complaint.status = "closed" if solved and score >= 4 else "reopened"
            return complaint.reference

    # --- progress ------------------------------------------------------------------------
    async def progress(self, sender_id: str) -> Progress | None:
        return await asyncio.to_thread(self._progress, sender_id)

    def _progress(self, sender_id: str) -> Progress | None:
        with session_scope(self.url) as session:
            conversation = session.execute(
                select(m.Conversation).where(m.Conversation.sender_id == sender_id)
            ).scalar_one_or_none()
            if conversation is None:
                return None
            filters = [m.Complaint.conversation_id == conversation.id]
            if conversation.customer_id:
                filters = [
                    (m.Complaint.conversation_id == conversation.id)
                    | (m.Complaint.customer_id == conversation.customer_id)
                ]
            complaint = session.execute(
                select(m.Complaint).where(*filters).order_by(m.Complaint.created_at.desc()).limit(1)
            ).scalar_one_or_none()
            if complaint is None:
                return None
            followup = session.execute(
                select(m.FollowUp)
                .where(m.FollowUp.complaint_id == complaint.id, m.FollowUp.status.in_(("scheduled", AWAITING_WORK)))
                .order_by(m.FollowUp.due_at)
                .limit(1)
            ).scalar_one_or_none()
            handoff = session.execute(
                select(m.Handoff)
                .where(m.Handoff.conversation_id == conversation.id)
                .order_by(m.Handoff.created_at.desc())
                .limit(1)
            ).scalar_one_or_none()
            return Progress(
                reference=complaint.reference,
                type_label=self.kb.type_label(complaint.type),
                status=complaint.status,
                status_label=STATUS_LABELS.get(complaint.status, complaint.status),
                remedy_label=self.kb.remedy_label(complaint.remedy) if complaint.remedy in self.kb.remedies.kinds else None,
                approval=complaint.approval,
                followup_at=followup.due_at.replace(tzinfo=timezone.utc)
                if followup and followup.status == "scheduled" else None,
                handoff_status=handoff.status if handoff else None,
                work_orders=tuple(self.work_orders.customer_lines(session, complaint.id)),
                followup_after_work=bool(followup and followup.status == AWAITING_WORK),
            )

    async def latest_open_complaint(self, sender_id: str) -> str | None:
        """The id of this conversation's latest complaint that is not settled (the dialogue
        forgets a complaint once its follow-up is booked; the records do not)."""
        return await asyncio.to_thread(self._latest_open_complaint, sender_id)

    def _latest_open_complaint(self, sender_id: str) -> str | None:
        with session_scope(self.url) as session:
            return session.execute(
                select(m.Complaint.id).join(m.Conversation, m.Conversation.id == m.Complaint.conversation_id)
                .where(m.Conversation.sender_id == sender_id, m.Complaint.status.not_in(("resolved", "closed")))
                .order_by(m.Complaint.created_at.desc()).limit(1)
            ).scalar_one_or_none()

    # --- handoff -------------------------------------------------------------------------
    async def record_handoff(
        self, sender_id: str, channel: str, complaint_id: str | None, reasons: list[str], now: datetime
    ) -> HandoffTicket:
        return await asyncio.to_thread(self._record_handoff, sender_id, channel, complaint_id, reasons, now)

    async def request_approval(self, sender_id: str, channel: str, complaint_id: str, now: datetime) -> str | None:
        """Put a confirmed remedy whose compensation needs a supervisor's approval in the console
        queue (level 2, reason above_cap), unless a person already has the conversation. The bot
        keeps the conversation: nothing is paused. Returns the new queue entry's id."""
        return await asyncio.to_thread(self._request_approval, sender_id, channel, complaint_id, now)

    def _request_approval(self, sender_id: str, channel: str, complaint_id: str, now: datetime) -> str | None:
        from bot.schedule import next_working_time, on_duty

        with session_scope(self.url) as session:
            conversation = self._conversation(session, sender_id, channel)
            open_handoff = session.execute(
                select(m.Handoff.id).where(m.Handoff.conversation_id == conversation.id,
                                           m.Handoff.status.in_(("queued", "claimed"))).limit(1)
            ).scalar_one_or_none()
            if open_handoff is not None:
                return None  # the person holding the case approves from it
            callback_at = None if on_duty(self.kb.service, now) else next_working_time(self.kb.service, now)
            sla = timedelta(minutes=self.kb.policies.sla_minutes[2])  # type: ignore[index]
            handoff = m.Handoff(conversation_id=conversation.id, complaint_id=complaint_id, severity=2,
                                reasons=["above_cap"], status="queued", callback=callback_at is not None,
                                sla_due_at=_naive_utc(callback_at or now) + sla)
            session.add(handoff)
            session.flush()
            return handoff.id

    def _record_handoff(
        self, sender_id: str, channel: str, complaint_id: str | None, reasons: list[str], now: datetime
    ) -> HandoffTicket:
        from bot.schedule import next_working_time, on_duty

        with session_scope(self.url) as session:
            conversation = self._conversation(session, sender_id, channel)
            conversation.status = "handed_off"
            ahead = session.execute(
                select(func.count(m.Handoff.id)).where(m.Handoff.status == "queued")
            ).scalar_one()
            duty = on_duty(self.kb.service, now)
            callback_at = None if duty else next_working_time(self.kb.service, now)
            sla = timedelta(minutes=self.kb.policies.sla_minutes[3])  # type: ignore[index]
            handoff = m.Handoff(
                conversation_id=conversation.id,
                complaint_id=complaint_id,
                severity=3,
                reasons=reasons,
                status="queued",
                callback=not duty,
                sla_due_at=_naive_utc(callback_at or now) + sla,
            )
            session.add(handoff)
            if complaint_id:
                complaint = session.get(m.Complaint, complaint_id)
                if complaint is not None:
                    complaint.severity = 3
                    complaint.sla_due_at = _naive_utc(callback_at or now) + sla
            session.flush()
            per_case = self.kb.service.handoff_wait_minutes_per_case
            return HandoffTicket(
                id=handoff.id,
                position=ahead + 1,
                wait_minutes=max(per_case, (ahead + 1) * per_case),
                on_duty=duty,
                callback_at=callback_at,
            )


def _order_customer(session, order: OrderRecord, *, create: bool) -> str | None:  # type: ignore[no-untyped-def]
    """Our customers.id for the customer of an order: the order's own for an order in our
    database; for an order from the shop's order API, the customer kept under the shop's id
    (customers.external_id), made on first link so a shop's id never lands in our keys."""
    if order.customer_id or not order.shop_customer_id:
        return order.customer_id
    found = session.execute(
        select(m.Customer.id).where(m.Customer.external_id == order.shop_customer_id)
    ).scalar_one_or_none()
    if found is not None or not create:
        return found
    customer = m.Customer(external_id=order.shop_customer_id, tier=order.tier)
    try:
        with session.begin_nested():  # another process may make the same customer this moment
            session.add(customer)
    except IntegrityError:
        return session.execute(
            select(m.Customer.id).where(m.Customer.external_id == order.shop_customer_id)
        ).scalar_one()
    return customer.id
