"""SLA escalation (分级响应): an open case past its deadline goes up one level, once.

Complaints without a plan yet (open/reopened) get the next level's deadline; a handoff nobody
acknowledged in time is recorded as breached (it is level 3 already). Each breach is one row
in `sla_breaches`, unique per (kind, target, deadline), so two processes never double it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.exc import IntegrityError

from bot.followups.store import naive
from bot.knowledge import KnowledgeBase
from bot.storage import models as m
from bot.storage.db import session_scope

WITHOUT_PLAN = ("open", "reopened")


@dataclass(frozen=True)
class Breach:
    kind: str
    target_id: str
    reference: str | None
    from_level: int
    to_level: int
    sender_id: str
    channel: str


class SlaWatch:
    def __init__(self, database_url: str, kb: KnowledgeBase) -> None:
        self.url = database_url
        self.kb = kb

    def escalate(self, now: datetime, limit: int = 100) -> list[Breach]:
        now = naive(now)
        return self._handoffs(now, limit) + self._complaints(now, limit)

    def _not_yet_recorded(self, kind: str, target, due):  # type: ignore[no-untyped-def]
        return ~exists().where(and_(m.SlaBreach.kind == kind, m.SlaBreach.target_id == target,
                                    m.SlaBreach.due_at == due))

    def _handoffs(self, now: datetime, limit: int) -> list[Breach]:
        found: list[Breach] = []
        with session_scope(self.url) as db:
            rows = db.execute(
                select(m.Handoff, m.Conversation, m.Complaint.reference)
                .join(m.Conversation, m.Conversation.id == m.Handoff.conversation_id)
                .outerjoin(m.Complaint, m.Complaint.id == m.Handoff.complaint_id)
                .where(m.Handoff.status == "queued", m.Handoff.claimed_at.is_(None), m.Handoff.sla_due_at < now,
                       self._not_yet_recorded("handoff", m.Handoff.id, m.Handoff.sla_due_at))
                .limit(limit)
            ).all()
            for handoff, conversation, reference in rows:
                if self._record(db, "handoff", handoff.id, handoff.sla_due_at, handoff.severity, handoff.severity, now):
                    found.append(Breach("handoff", handoff.id, reference, handoff.severity, handoff.severity,
                                        conversation.sender_id, conversation.channel))
        return found

    def _complaints(self, now: datetime, limit: int) -> list[Breach]:
        found: list[Breach] = []
        with session_scope(self.url) as db:
            rows = db.execute(
                select(m.Complaint, m.Conversation)
                .join(m.Conversation, m.Conversation.id == m.Complaint.conversation_id)
                .where(m.Complaint.status.in_(WITHOUT_PLAN), m.Complaint.sla_due_at < now,
                       self._not_yet_recorded("complaint", m.Complaint.id, m.Complaint.sla_due_at))
                .limit(limit)
            ).all()
            for complaint, conversation in rows:
                before = complaint.severity or 1
                after = min(3, before + 1)
                if not self._record(db, "complaint", complaint.id, complaint.sla_due_at, before, after, now):
                    continue
                complaint.severity = after
                # At the top level the breach stays on the supervisor view instead of repeating.
                minutes = self.kb.policies.sla_minutes[after]  # type: ignore[index]
                complaint.sla_due_at = now + timedelta(minutes=minutes) if after > before else None
                found.append(Breach("complaint", complaint.id, complaint.reference, before, after,
                                    conversation.sender_id, conversation.channel))
        return found

    @staticmethod
    def _record(db, kind: str, target: str, due: datetime, before: int, after: int, now: datetime) -> bool:  # type: ignore[no-untyped-def]
        try:
            with db.begin_nested():
                db.add(m.SlaBreach(kind=kind, target_id=target, due_at=due, from_level=before, to_level=after, at=now))
            return True
        except IntegrityError:
            return False  # another process recorded it first

    def recent(self, limit: int = 50) -> list[dict]:
        with session_scope(self.url) as db:
            rows = db.execute(select(m.SlaBreach).order_by(m.SlaBreach.id.desc()).limit(limit)).scalars()
            return [{"kind": b.kind, "target_id": b.target_id, "from_level": b.from_level, "to_level": b.to_level,
                     "at": b.at.isoformat() + "+00:00"} for b in rows]
