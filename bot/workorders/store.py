"""The work-order repository (SQLAlchemy 2.0 style): it works inside the caller's session, so
a move and what it does to the complaint commit together or not at all.

Moves are conditional UPDATEs on the state they start from: two staff members (or two
processes) moving the same work order at once cannot both win; the loser is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.storage import models as m
from bot.workorders.states import OPEN, STAMPS, Move, TransitionRefused

NOT_FOUND = TransitionRefused("not_found", "没有找到这张工单，刷新列表看看最新情况。", status=404)


class WorkOrderStore:
    def __init__(self, session: Session) -> None:
        self.db = session

    # --- reading -----------------------------------------------------------------------------
    def get(self, work_order_id: str) -> m.WorkOrder:
        row = self.db.get(m.WorkOrder, work_order_id)
        if row is None:
            raise NOT_FOUND
        return row

    def for_complaint(self, complaint_id: str) -> Sequence[m.WorkOrder]:
        return self.db.execute(
            select(m.WorkOrder).where(m.WorkOrder.complaint_id == complaint_id).order_by(m.WorkOrder.created_at,
                                                                                         m.WorkOrder.reference)
        ).scalars().all()

    def listing(self, states: Sequence[str] = (), team: str | None = None, limit: int = 200) -> Sequence[m.WorkOrder]:
        query = select(m.WorkOrder)
        if states:
            query = query.where(m.WorkOrder.state.in_(states))
        if team:
            query = query.where(m.WorkOrder.team == team)
        return self.db.execute(query.order_by(m.WorkOrder.due_at).limit(limit)).scalars().all()

    def events(self, work_order_id: str) -> Sequence[m.WorkOrderEvent]:
        return self.db.execute(
            select(m.WorkOrderEvent).where(m.WorkOrderEvent.work_order_id == work_order_id)
            .order_by(m.WorkOrderEvent.id)
        ).scalars().all()

    # --- writing -----------------------------------------------------------------------------
    def add(self, complaint: m.Complaint, kind: str, team: str, sla_hours: int, now: datetime, *,
            remedy: str | None, facts: dict, origin: str, actor: str, customer_text: str | None) -> m.WorkOrder:
        count = self.db.execute(
            select(func.count(m.WorkOrder.id)).where(m.WorkOrder.complaint_id == complaint.id)
        ).scalar_one()
        row = m.WorkOrder(
            reference=f"{complaint.reference}-{count + 1}", complaint_id=complaint.id, kind=kind, team=team,
            state="created", origin=origin, remedy=remedy, facts=facts, created_by=actor,
            due_at=now + timedelta(hours=sla_hours), created_at=now, updated_at=now,
        )
        self.db.add(row)
        self.db.flush()
        self.db.add(m.WorkOrderEvent(work_order_id=row.id, from_state=None, to_state="created", actor=actor, at=now,
                                     customer_text=customer_text))
        return row

    def move(self, row: m.WorkOrder, move: Move, actor: str, now: datetime, *, note: str | None = None,
             customer_text: str | None = None, changes: dict | None = None) -> m.WorkOrderEvent:
        values = {"state": move.to_state, "updated_at": now, STAMPS[move.to_state]: now, **(changes or {})}
        won = self.db.execute(
            update(m.WorkOrder).where(m.WorkOrder.id == row.id, m.WorkOrder.state == move.from_state)
            .values(**values).execution_options(synchronize_session=False)
        ).rowcount
        if not won:
            raise TransitionRefused("moved_meanwhile", "这张工单刚刚被其他同事更新了，刷新后再操作。")
        self.db.refresh(row)
        event = m.WorkOrderEvent(work_order_id=row.id, from_state=move.from_state, to_state=move.to_state,
                                 actor=actor, note=note, at=now, customer_text=customer_text)
        self.db.add(event)
        self.db.flush()
        return event

    def note_facts(self, row: m.WorkOrder, actor: str, now: datetime, note: str,
                   customer_text: str | None = None) -> m.WorkOrderEvent:
        """Facts added without a move (from_state == to_state, an `updated` event for the shop);
        `customer_text` when the change is one the customer must hear (a new time window)."""
        self.db.flush()
        event = m.WorkOrderEvent(work_order_id=row.id, from_state=row.state, to_state=row.state, actor=actor,
                                 note=note, at=now, customer_text=customer_text)
        self.db.add(event)
        self.db.flush()
        return event

    def edit(self, row: m.WorkOrder, values: dict, now: datetime) -> bool:
        """Change facts of a work order that is still open (a conditional UPDATE: one that moved to
        a final state meanwhile is left as it is). False when it was no longer open."""
        won = self.db.execute(
            update(m.WorkOrder).where(m.WorkOrder.id == row.id, m.WorkOrder.state.in_(OPEN))
            .values(**values, updated_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if won:
            self.db.refresh(row)
        return bool(won)

    def set_address(self, row: m.WorkOrder, address: str, masked: str) -> None:
        row.address, row.address_masked = address, masked

    # --- overdue -----------------------------------------------------------------------------
    def overdue(self, now: datetime, limit: int = 50) -> Sequence[str]:
        return self.db.execute(
            select(m.WorkOrder.id).where(m.WorkOrder.state.in_(OPEN), m.WorkOrder.due_at < now,
                                         m.WorkOrder.escalated_at.is_(None))
            .order_by(m.WorkOrder.due_at).limit(limit).with_for_update(skip_locked=True)
        ).scalars().all()

    def claim_escalation(self, work_order_id: str, now: datetime) -> bool:
        """True for exactly one caller: the work order is escalated once."""
        return bool(self.db.execute(
            update(m.WorkOrder).where(m.WorkOrder.id == work_order_id, m.WorkOrder.escalated_at.is_(None))
            .values(escalated_at=now).execution_options(synchronize_session=False)
        ).rowcount)

    # --- telling the customer ----------------------------------------------------------------
    def unnotified(self, limit: int = 50) -> Sequence[m.WorkOrderEvent]:
        return self.db.execute(
            select(m.WorkOrderEvent).where(m.WorkOrderEvent.notified_at.is_(None),
                                           m.WorkOrderEvent.customer_text.is_not(None))
            .order_by(m.WorkOrderEvent.id).limit(limit)
        ).scalars().all()

    def mark_notified(self, event_id: int, now: datetime) -> bool:
        return bool(self.db.execute(
            update(m.WorkOrderEvent).where(m.WorkOrderEvent.id == event_id, m.WorkOrderEvent.notified_at.is_(None))
            .values(notified_at=now).execution_options(synchronize_session=False)
        ).rowcount)
