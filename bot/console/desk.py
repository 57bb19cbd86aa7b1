"""The handoff desk: the queue, claims, notes, approvals and closing, each audited.

Every change is one transaction that also writes its audit entry. Claims are a single
conditional UPDATE, so two agents (or two processes) claiming at once cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, or_, select, update

from bot.console.accounts import ConsoleUser
from bot.followups.sla import SlaWatch
from bot.followups.store import FollowUpStore
from bot.knowledge import KnowledgeBase
from bot.severity import reason_label
from bot.storage import models as m
from bot.storage.crypto import mask_personal_data
from bot.storage.db import session_scope
from bot.workorders.service import WorkOrderService

OPEN = ("queued", "claimed")
MAX_NOTE = 2000


class DeskError(Exception):
    """A refused desk operation: HTTP status, a code for programs, a Chinese message for people."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


NOT_FOUND = DeskError(404, "not_found", "没有找到这条转人工记录，刷新队列看看最新情况。")
NOT_OPEN = DeskError(409, "not_open", "这条记录已经处理完毕，刷新队列看看最新情况。")


@dataclass(frozen=True)
class Handback:
    sender_id: str
    channel: str
    stage: str


def iso(moment: datetime | None) -> str | None:
    """Database times are naive UTC; the API speaks ISO 8601 with an explicit offset."""
    return moment.replace(tzinfo=timezone.utc).isoformat() if moment else None


def audit(db, actor: str, action: str, target: str | None, **detail: Any) -> None:  # type: ignore[no-untyped-def]
    db.add(m.AuditEntry(actor=actor, action=action, target=target, detail=detail))


class HandoffDesk:
    def __init__(self, database_url: str, kb: KnowledgeBase) -> None:
        self.url = database_url
        self.kb = kb
        self.followups = FollowUpStore(database_url, kb.service.followup)
        self.sla = SlaWatch(database_url, kb)
        self.work_orders = WorkOrderService(database_url, kb)  # an approved compensation is paid out

    # --- reading ---------------------------------------------------------------------------
    def queue(self, include_closed: bool = False) -> list[dict[str, Any]]:
        statuses = (*OPEN, "returned", "closed") if include_closed else OPEN
        with session_scope(self.url) as db:
            rows = db.execute(
                select(m.Handoff, m.Conversation, m.Complaint, m.ConsoleUser)
                .join(m.Conversation, m.Conversation.id == m.Handoff.conversation_id)
                .outerjoin(m.Complaint, m.Complaint.id == m.Handoff.complaint_id)
                .outerjoin(m.ConsoleUser, m.ConsoleUser.id == m.Handoff.agent_id)
                .where(m.Handoff.status.in_(statuses))
                .order_by(m.Handoff.severity.desc(), m.Handoff.created_at.asc())
                .limit(500)
            ).all()
            return [self._summary(h, c, comp, agent) for h, c, comp, agent in rows]

    def _summary(self, h, conversation, complaint, agent) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        statements = (complaint.facts or {}).get("statements", []) if complaint is not None else []
        return {
            "id": h.id,
            "sender_id": conversation.sender_id,
            "channel": conversation.channel,
            "status": h.status,
            "severity": h.severity,
            "reasons": [{"code": r, "label": reason_label(r)} for r in h.reasons or []],
            "callback": bool(h.callback),
            "created_at": iso(h.created_at),
            "sla_due_at": iso(h.sla_due_at),
            "claimed_at": iso(h.claimed_at),
            "agent": {"username": agent.username, "display_name": agent.display_name} if agent else None,
            "complaint": {
                "id": complaint.id,
                "reference": complaint.reference,
                "type": complaint.type,
                "type_label": self.kb.type_label(complaint.type),
            }
            if complaint is not None
            else None,
            "preview": mask_personal_data(statements[-1] if statements else "")[:120],  # rows of older masking too
        }

    def detail(self, handoff_id: str, user: ConsoleUser) -> dict[str, Any]:
        with session_scope(self.url) as db:
            h = db.get(m.Handoff, handoff_id)
            if h is None:
                raise NOT_FOUND
            conversation = db.get(m.Conversation, h.conversation_id)
            complaint = db.get(m.Complaint, h.complaint_id) if h.complaint_id else None
            agent = db.get(m.ConsoleUser, h.agent_id) if h.agent_id else None
            out = self._summary(h, conversation, complaint, agent)
            out["resolution"] = h.resolution
            out["complaint"] = self._complaint(complaint, user) if complaint is not None else None
            out["customer"] = self._customer(db, conversation.customer_id, user)
            customer_filter = m.Complaint.conversation_id == conversation.id
            if conversation.customer_id:
                customer_filter = or_(customer_filter, m.Complaint.customer_id == conversation.customer_id)
            past = db.execute(
                select(m.Complaint).where(customer_filter, m.Complaint.id != (h.complaint_id or ""))
                .order_by(m.Complaint.created_at.desc()).limit(20)
            ).scalars()
            out["past_complaints"] = [
                {"id": p.id, "reference": p.reference, "type_label": self.kb.type_label(p.type),
                 "status": p.status, "created_at": iso(p.created_at)}
                for p in past
            ]
            notes = db.execute(
                select(m.HandoffNote).where(m.HandoffNote.handoff_id == h.id).order_by(m.HandoffNote.created_at)
            ).scalars()
            out["notes"] = [{"author": n.author, "text": n.text, "created_at": iso(n.created_at)} for n in notes]
            evidence = db.execute(
                select(m.Evidence).where(m.Evidence.conversation_id == conversation.id).order_by(m.Evidence.created_at)
            ).scalars()
            out["evidence"] = [
                {"id": e.id, "media_type": e.media_type, "size": e.size, "created_at": iso(e.created_at)}
                for e in evidence
            ]
            return out

    def _complaint(self, c: m.Complaint, user: ConsoleUser) -> dict[str, Any]:
        facts = dict(c.facts or {})
        if not user.can("see_personal_data"):
            facts["statements"] = [mask_personal_data(s) for s in facts.get("statements", [])]
        return {
            "id": c.id,
            "reference": c.reference,
            "type": c.type,
            "type_label": self.kb.type_label(c.type),
            "severity": c.severity,
            "status": c.status,
            "valid": c.valid,
            "validity_note": c.validity_note,
            "order_id": c.order_id,
            "facts": facts,
            "options": facts.pop("options", []),
            "remedy": c.remedy,
            "remedy_label": self.kb.remedy_label(c.remedy) if c.remedy in self.kb.remedies.kinds else None,
            "compensation_amount": str(c.compensation_amount) if c.compensation_amount is not None else None,
            "approval": c.approval,
            "sla_due_at": iso(c.sla_due_at),
            "created_at": iso(c.created_at),
        }

    @staticmethod
    def _customer(db, customer_id: str | None, user: ConsoleUser) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
        customer = db.get(m.Customer, customer_id) if customer_id else None
        if customer is None:
            return None
        full = user.can("see_personal_data")
        return {
            "id": customer.id,
            "tier": customer.tier,
            "phone": customer.phone if full else customer.phone_masked,
            "name": (customer.name if full else (customer.name[:1] + "**" if customer.name else None)),
        }

    def conversation_of(self, handoff_id: str) -> tuple[str, str]:
        with session_scope(self.url) as db:
            h = db.get(m.Handoff, handoff_id)
            if h is None:
                raise NOT_FOUND
            conversation = db.get(m.Conversation, h.conversation_id)
            return conversation.sender_id, conversation.channel

    def open_handoff_for(self, sender_id: str) -> str | None:
        """The open handoff of a conversation, if a person has it or it waits for one."""
        with session_scope(self.url) as db:
            return db.execute(
                select(m.Handoff.id).join(m.Conversation, m.Conversation.id == m.Handoff.conversation_id)
                .where(m.Conversation.sender_id == sender_id, m.Handoff.status.in_(OPEN))
                .order_by(m.Handoff.created_at.desc()).limit(1)
            ).scalar_one_or_none()

    # --- claiming ----------------------------------------------------------------------------
    def claim(self, handoff_id: str, user: ConsoleUser) -> dict[str, Any]:
        now = m.utcnow()
        with session_scope(self.url) as db:
            won = db.execute(
                update(m.Handoff)
                .where(
                    m.Handoff.id == handoff_id,
                    or_(m.Handoff.status == "queued", (m.Handoff.status == "claimed") & (m.Handoff.agent_id == user.id)),
                )
                .values(status="claimed", agent_id=user.id, claimed_at=func.coalesce(m.Handoff.claimed_at, now))
                .execution_options(synchronize_session=False)
            ).rowcount
            h = db.get(m.Handoff, handoff_id)
            if h is None:
                raise NOT_FOUND
            if not won:
                if h.status == "claimed":
                    holder = db.get(m.ConsoleUser, h.agent_id) if h.agent_id else None
                    name = holder.display_name if holder else "其他同事"
                    raise DeskError(409, "already_claimed", f"这位客户已由{name}接待，您可以看看队列里的其他客户。")
                raise NOT_OPEN
            db.get(m.Conversation, h.conversation_id).status = "agent"
            # The first claim is the SLA acknowledgement; re-claims (a second tab) keep it.
            first = h.claimed_at == now
            audit(db, user.username, "claim", h.id)
            return {"id": h.id, "status": h.status, "first_claim": first}

    def _held(self, db, handoff_id: str, user: ConsoleUser) -> m.Handoff:  # type: ignore[no-untyped-def]
        """The handoff, if this user holds it (supervisors may act on any open one)."""
        h = db.get(m.Handoff, handoff_id)
        if h is None:
            raise NOT_FOUND
        if h.status not in OPEN:
            raise NOT_OPEN
        if h.agent_id != user.id and not user.can("supervise"):
            if h.status == "queued":
                raise DeskError(409, "not_claimed", "请先点击“接待”，再进行操作。")
            raise DeskError(403, "not_holder", "这位客户由其他同事接待中，需要时可以请主管协调。")
        return h

    def release(self, handoff_id: str, user: ConsoleUser) -> None:
        with session_scope(self.url) as db:
            h = self._held(db, handoff_id, user)
            h.status, h.agent_id = "queued", None
            db.get(m.Conversation, h.conversation_id).status = "handed_off"
            audit(db, user.username, "release", h.id)

    def transfer(self, handoff_id: str, user: ConsoleUser, to_username: str) -> dict[str, Any]:
        with session_scope(self.url) as db:
            h = self._held(db, handoff_id, user)
            target = db.execute(
                select(m.ConsoleUser).where(m.ConsoleUser.username == to_username, m.ConsoleUser.active.is_(True))
            ).scalar_one_or_none()
            if target is None or target.role not in ("agent", "supervisor", "admin"):
                raise DeskError(400, "bad_target", "没有找到这位同事，请从列表里选择接手的同事。")
            previous = h.agent_id
            h.status, h.agent_id = "claimed", target.id
            h.claimed_at = h.claimed_at or m.utcnow()
            db.get(m.Conversation, h.conversation_id).status = "agent"
            audit(db, user.username, "transfer", h.id, to=target.username, from_id=previous)
            return {"id": h.id, "agent": {"username": target.username, "display_name": target.display_name}}

    def require_holder(self, handoff_id: str, user: ConsoleUser) -> tuple[str, str]:
        """(sender_id, channel) of a handoff this user may reply on."""
        with session_scope(self.url) as db:
            h = self._held(db, handoff_id, user)
            if h.status != "claimed":
                raise DeskError(409, "not_claimed", "请先点击“接待”，再回复客户。")
            conversation = db.get(m.Conversation, h.conversation_id)
            return conversation.sender_id, conversation.channel

    # --- working the case --------------------------------------------------------------------
    def record_reply(self, handoff_id: str, user: ConsoleUser, length: int) -> None:
        with session_scope(self.url) as db:
            audit(db, user.username, "reply", handoff_id, length=length)

    def add_note(self, handoff_id: str, user: ConsoleUser, text: str) -> dict[str, Any]:
        text = (text or "").strip()
        if not text:
            raise DeskError(400, "empty", "备注内容是空的，写几句再保存吧。")
        with session_scope(self.url) as db:
            h = self._held(db, handoff_id, user)  # like every other action on a case: its holder only
            note = m.HandoffNote(handoff_id=h.id, author=user.display_name, text=text[:MAX_NOTE])
            db.add(note)
            audit(db, user.username, "note", h.id, length=len(text))
            db.flush()
            return {"author": note.author, "text": note.text, "created_at": iso(note.created_at)}

    def decide_approval(self, handoff_id: str, user: ConsoleUser, approve: bool, note: str) -> dict[str, Any]:
        with session_scope(self.url) as db:
            h = db.get(m.Handoff, handoff_id)
            if h is None:
                raise NOT_FOUND
            complaint = db.get(m.Complaint, h.complaint_id) if h.complaint_id else None
            if complaint is None or complaint.approval != "pending":
                raise DeskError(409, "nothing_pending", "这位客户目前没有待审批的补偿。")
            complaint.approval = "approved" if approve else "rejected"
            # The payout's work order waited for this: approved, it is created in this transaction.
            # Not approved, a colleague agrees the amount with the customer and creates it then.
            made = self.work_orders.release_approved(db, complaint, user.username) if approve else []
            audit(db, user.username, "approve" if approve else "reject", h.id,
                  complaint=complaint.reference, amount=str(complaint.compensation_amount), note=note[:500],
                  work_orders=made)
            conversation = db.get(m.Conversation, h.conversation_id)
            detail = complaint.remedy_detail or {}
            return {
                "sender_id": conversation.sender_id,
                "channel": conversation.channel,
                "reference": complaint.reference,
                "amount": complaint.compensation_amount,
                "cap": self.kb.goodwill_cap("normal", complaint.severity),
                # legal damages (消保法 §49/§52/§55, 食品安全法 §148 …): never cut to the goodwill cap
                "legal": bool(detail.get("legal")) and (
                    detail.get("kind") == "compensation" or "compensation" in (detail.get("includes") or ())
                ),
            }

    def hand_back(self, handoff_id: str, user: ConsoleUser) -> Handback:
        with session_scope(self.url) as db:
            h = self._held(db, handoff_id, user)
            h.status, h.closed_at = "returned", m.utcnow()
            conversation = db.get(m.Conversation, h.conversation_id)
            conversation.status = "bot"
            complaint = db.get(m.Complaint, h.complaint_id) if h.complaint_id else None
            audit(db, user.username, "hand_back", h.id)
            return Handback(conversation.sender_id, conversation.channel, _resume_stage(complaint))

    def close(self, handoff_id: str, user: ConsoleUser, resolution: str) -> tuple[str, str]:
        resolution = (resolution or "").strip()
        if not resolution:
            raise DeskError(400, "empty", "请简单写下处理结果，方便后续回访和统计。")
        with session_scope(self.url) as db:
            h = self._held(db, handoff_id, user)
            h.status, h.closed_at, h.resolution = "closed", m.utcnow(), resolution[:MAX_NOTE]
            conversation = db.get(m.Conversation, h.conversation_id)
            conversation.status = "closed"
            complaint = db.get(m.Complaint, h.complaint_id) if h.complaint_id else None
            if complaint is not None:
                complaint.status = "resolved"
            audit(db, user.username, "close", h.id, length=len(resolution))
            return conversation.sender_id, conversation.channel

    # --- supervisor --------------------------------------------------------------------------
    def overview(self) -> dict[str, Any]:
        now = m.utcnow()
        open_cases = self.queue()
        breached = [
            c for c in open_cases
            if c["sla_due_at"] and c["claimed_at"] is None and datetime.fromisoformat(c["sla_due_at"]).replace(tzinfo=None) < now
        ]
        with session_scope(self.url) as db:
            agents = db.execute(
                select(m.ConsoleUser).where(m.ConsoleUser.active.is_(True), m.ConsoleUser.role != "trainer")
                .order_by(m.ConsoleUser.username)
            ).scalars().all()
            held = dict(
                db.execute(
                    select(m.Handoff.agent_id, func.count(m.Handoff.id))
                    .where(m.Handoff.status == "claimed").group_by(m.Handoff.agent_id)
                ).all()
            )
            pending = db.execute(select(func.count(m.Complaint.id)).where(m.Complaint.approval == "pending")).scalar_one()
            return {
                "open": open_cases,
                "breached": breached,
                "agents": [
                    {"username": a.username, "display_name": a.display_name, "role": a.role, "holding": held.get(a.id, 0)}
                    for a in agents
                ],
                "queued": sum(1 for c in open_cases if c["status"] == "queued"),
                "pending_approvals": pending,
                "failed_followups": self.followups.failed_list(),
                "sla_breaches": self.sla.recent(),
            }

    def audit_log(self, target: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        with session_scope(self.url) as db:
            query = select(m.AuditEntry).order_by(m.AuditEntry.id.desc()).limit(min(limit, 1000))
            if target:
                query = query.where(m.AuditEntry.target == target)
            return [
                {"at": iso(e.at), "actor": e.actor, "action": e.action, "target": e.target, "detail": e.detail}
                for e in db.execute(query).scalars()
            ]


def _resume_stage(complaint: m.Complaint | None) -> str:
    """Where the bot picks up after a person hands the conversation back."""
    if complaint is None:
        return "listening"
    if complaint.remedy and complaint.status in ("accepted", "proposed"):
        return "followup"
    if complaint.remedy is None and (complaint.facts or {}).get("options"):
        return "remedy"
    if complaint.status in ("in_progress", "resolved", "closed"):
        return "closed"
    return "facts"
