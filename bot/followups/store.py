"""The follow-up records: which are due, who sends them, what happened.

Claiming is what makes each follow-up go out once with several processes: due rows are
selected `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite ignores the clause and serialises
writers instead) and then flipped by a conditional UPDATE that only one claimer can win.
A claim older than LEASE (its process died mid-delivery) may be taken over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, or_, select, update

from bot.knowledge.models import FollowupPolicy
from bot.storage import models as m
from bot.storage.db import session_scope

LEASE = timedelta(minutes=5)
OPEN_HANDOFF = ("queued", "claimed")


@dataclass(frozen=True)
class Job:
    """One claimed delivery: the first follow-up message, or the reminder."""

    id: str
    kind: str  # "followup" or "reminder"
    complaint_id: str
    reference: str
    remedy: str | None
    sender_id: str
    channel: str
    messages: list[dict[str, Any]] | None
    attempts: int
    phone: str | None


def naive(moment: datetime) -> datetime:
    """Database times are naive UTC."""
    return moment if moment.tzinfo is None else moment.astimezone(timezone.utc).replace(tzinfo=None)


class FollowUpStore:
    def __init__(self, database_url: str, policy: FollowupPolicy) -> None:
        self.url = database_url
        self.policy = policy

    # --- claiming ----------------------------------------------------------------------------
    def claim_due(self, now: datetime, worker: str, limit: int = 20) -> list[Job]:
        now = naive(now)
        reminder_due = now - timedelta(hours=self.policy.reminder_after_hours)
        due = or_(
            and_(m.FollowUp.status.in_(("scheduled", "retry")), m.FollowUp.due_at <= now,
                 or_(m.FollowUp.next_attempt_at.is_(None), m.FollowUp.next_attempt_at <= now)),
            and_(m.FollowUp.status.in_(("sending", "reminding")), m.FollowUp.claimed_at < now - LEASE),
            and_(m.FollowUp.status == "sent", m.FollowUp.sent_at <= reminder_due),
        )
        with session_scope(self.url) as db:
            candidates = db.execute(
                select(m.FollowUp.id, m.FollowUp.status).where(due).order_by(m.FollowUp.due_at).limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            won = [(fid, status) for fid, status in candidates if self._flip(db, fid, status, now, worker)]
        return [job for fid, status in won if (job := self._job(fid, status)) is not None]

    @staticmethod
    def _flip(db, follow_up_id: str, status: str, now: datetime, worker: str) -> bool:  # type: ignore[no-untyped-def]
        target = "reminding" if status in ("sent", "reminding") else "sending"
        return bool(db.execute(
            update(m.FollowUp).where(m.FollowUp.id == follow_up_id, m.FollowUp.status == status)
            .values(status=target, claimed_by=worker, claimed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount)

    def _job(self, follow_up_id: str, previous_status: str) -> Job | None:
        with session_scope(self.url) as db:
            row = db.get(m.FollowUp, follow_up_id)
            complaint = db.get(m.Complaint, row.complaint_id)
            conversation = db.get(m.Conversation, row.conversation_id)
            if complaint is None or conversation is None:
                row.status, row.last_error = "failed", "complaint or conversation missing"
                return None
            customer = db.get(m.Customer, conversation.customer_id) if conversation.customer_id else None
            return Job(
                id=row.id, kind="reminder" if row.status == "reminding" else "followup",
                complaint_id=complaint.id, reference=complaint.reference, remedy=complaint.remedy,
                sender_id=conversation.sender_id, channel=row.channel,
                messages=row.messages if row.status == "sending" else None,
                attempts=row.attempts, phone=customer.phone if customer else None,
            )

    def release_dead_claims(self, host: str, alive: Callable[[int], bool]) -> int:
        """Claims left by processes of this host that are gone (killed mid-delivery) are free
        again at once instead of after the lease; other hosts' claims wait for the lease."""
        released = 0
        with session_scope(self.url) as db:
            rows = db.execute(
                select(m.FollowUp).where(m.FollowUp.status.in_(("sending", "reminding")),
                                         m.FollowUp.claimed_by.like(f"{host}:%"))
            ).scalars().all()
            for row in rows:
                pid = row.claimed_by.rsplit(":", 1)[-1]
                if pid.isdigit() and not alive(int(pid)):
                    row.status = "sent" if row.status == "reminding" else "retry"
                    row.claimed_by, row.next_attempt_at = None, None
                    released += 1
        return released

    # --- outcomes ----------------------------------------------------------------------------
    def person_has_it(self, sender_id: str) -> bool:
        """An open handoff: the bot stays quiet, the follow-up waits."""
        with session_scope(self.url) as db:
            return db.execute(
                select(m.Handoff.id).join(m.Conversation, m.Conversation.id == m.Handoff.conversation_id)
                .where(m.Conversation.sender_id == sender_id, m.Handoff.status.in_(OPEN_HANDOFF)).limit(1)
            ).first() is not None

    def save_messages(self, follow_up_id: str, messages: list[dict[str, Any]]) -> None:
        with session_scope(self.url) as db:
            db.get(m.FollowUp, follow_up_id).messages = messages

    def delivered(self, job: Job, now: datetime, via: str) -> None:
        with session_scope(self.url) as db:
            row = db.get(m.FollowUp, job.id)
            row.attempts += 1
            row.sent_via, row.last_error, row.claimed_by = via, None, None
            if job.kind == "reminder":
                row.status, row.reminded_at = "reminded", naive(now)
            else:
                row.status, row.sent_at = "sent", naive(now)

    def failed(self, job: Job, now: datetime, error: str, final: bool = False) -> bool:
        """Retry with back-off; True when this was the last attempt (now `failed`). `final`:
        no attempt can succeed (an SMS provider refused the number), so this is the last."""
        with session_scope(self.url) as db:
            row = db.get(m.FollowUp, job.id)
            row.attempts += 1
            row.last_error, row.claimed_by = error[:256], None
            if job.kind == "reminder":
                row.status, row.reminded_at = "reminded", naive(now)  # a reminder is a courtesy, not retried
                return False
            if final or row.attempts >= self.policy.max_attempts:
                row.status = "failed"
                return True
            row.status = "retry"
            row.next_attempt_at = naive(now) + timedelta(minutes=self.policy.retry_base_minutes * 2 ** (row.attempts - 1))
            return False

    def postpone(self, job: Job, until: datetime) -> None:
        """Not now (quiet hours, a person has the conversation): due again at `until`."""
        with session_scope(self.url) as db:
            row = db.get(m.FollowUp, job.id)
            row.claimed_by = None
            if job.kind == "reminder":
                row.status = "sent"
                row.sent_at = naive(until) - timedelta(hours=self.policy.reminder_after_hours)
            else:
                row.status, row.next_attempt_at = "retry", naive(until)

    def close_unanswered(self, now: datetime) -> list[tuple[str, str]]:
        """Reminded long enough ago and still silent: closed as no answer. Returns (id, sender)."""
        cutoff = naive(now) - timedelta(hours=self.policy.close_after_hours)
        closed: list[tuple[str, str]] = []
        with session_scope(self.url) as db:
            rows = db.execute(
                select(m.FollowUp.id, m.FollowUp.complaint_id, m.Conversation.sender_id)
                .join(m.Conversation, m.Conversation.id == m.FollowUp.conversation_id)
                .where(m.FollowUp.status == "reminded", m.FollowUp.reminded_at <= cutoff)
                .with_for_update(skip_locked=True)
            ).all()
            for fid, complaint_id, sender_id in rows:
                won = db.execute(
                    update(m.FollowUp).where(m.FollowUp.id == fid, m.FollowUp.status == "reminded")
                    .values(status="no_answer").execution_options(synchronize_session=False)
                ).rowcount
                if won:
                    complaint = db.get(m.Complaint, complaint_id)
                    if complaint is not None and complaint.status not in ("resolved", "reopened"):
                        complaint.status = "closed"
                    closed.append((fid, sender_id))
        return closed

    # --- reading (console, progress) ---------------------------------------------------------
    def failed_list(self, limit: int = 100) -> list[dict[str, Any]]:
        with session_scope(self.url) as db:
            rows = db.execute(
                select(m.FollowUp, m.Complaint.reference)
                .join(m.Complaint, m.Complaint.id == m.FollowUp.complaint_id)
                .where(m.FollowUp.status == "failed").order_by(m.FollowUp.due_at.desc()).limit(limit)
            ).all()
            return [{"id": f.id, "reference": ref, "channel": f.channel, "attempts": f.attempts,
                     "due_at": f.due_at.isoformat() + "+00:00", "error": f.last_error or ""} for f, ref in rows]
