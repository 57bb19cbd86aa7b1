"""The shop-system adapter: each work-order event goes out as a signed webhook from a durable
outbox (shop_events), strictly in order, with an idempotency key, retried with back-off, and
kept as a dead letter after the last attempt. Configured by a `shop:` section in
credentials.yml; without one (the embedded default) nothing is queued and staff use the
back-office page. Contract: docs/shop_webhook.openapi.yaml."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.storage import models as m
from bot.storage.db import session_scope
from bot.workorders.signing import IDEMPOTENCY, signed_headers

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class ShopLink:
    url: str
    secret: str
    replay_window_s: int = 300
    max_attempts: int = 30
    retry_base_s: float = 5.0
    retry_cap_s: float = 300.0
    timeout_s: float = 10.0

    @classmethod
    def from_credentials(cls) -> ShopLink | None:
        from bot.credentials import load_credentials

        found = load_credentials("shop")
        if not found or not found.get("webhook_url") or not found.get("secret"):
            return None
        known = {k: found[k] for k in ("replay_window_s", "max_attempts", "retry_base_s", "retry_cap_s",
                                       "timeout_s") if k in found}
        return cls(url=str(found["webhook_url"]), secret=str(found["secret"]), **known)

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.retry_cap_s, self.retry_base_s * 2 ** max(0, attempts - 1)))


def enqueue(db: Session, row: m.WorkOrder, event: m.WorkOrderEvent, complaint_reference: str,
            updated: bool = False) -> None:
    """Queue the event for the shop in the transaction of the move itself. `updated`: facts
    changed without a move (staff editing them on the back-office page)."""
    payload = {
        "event_id": event.id,
        # facts added without a move (the customer's address or time window, a staff edit): "updated"
        "type": "work_order.updated" if updated or (event.from_state == event.to_state and event.actor == "customer")
        else f"work_order.{event.to_state}",
        "occurred_at": event.at.isoformat() + "Z",
        "work_order": {
            "id": row.id, "reference": row.reference, "complaint_reference": complaint_reference,
            "kind": row.kind, "team": row.team, "state": row.state, "from_state": event.from_state,
            "facts": dict(row.facts or {}), "address": row.address, "note": row.team_note,
            "due_at": row.due_at.isoformat() + "Z",
        },
    }
    db.add(m.ShopEvent(work_order_id=row.id, idempotency_key=f"qingting-wo-event-{event.id}",
                       payload=json.dumps(payload, ensure_ascii=False), status="pending", created_at=event.at))


Post = Callable[[str, bytes, dict[str, str]], "asyncio.Future[int]"]


class ShopSender:
    """Sends what waits, oldest first; the first failure stops the round so order holds."""

    def __init__(self, database_url: str, link: ShopLink, clock: Callable[[], float] = time.time) -> None:
        self.url = database_url
        self.link = link
        self.clock = clock

    async def tick(self, limit: int = 50) -> int:
        sent = 0
        for _ in range(limit):
            head = await asyncio.to_thread(self._claim_head)
            if head is None:
                return sent
            event_id, key, body = head
            status, error = await self._post(key, body)
            ok = 200 <= status < 300
            await asyncio.to_thread(self._record, event_id, ok, error or f"HTTP {status}")
            if not ok:
                return sent
            sent += 1
        return sent

    async def _post(self, key: str, body: bytes) -> tuple[int, str | None]:
        # the signature carries the wall clock (the shop checks it); `clock` paces the retries
        headers = {"Content-Type": "application/json", IDEMPOTENCY: key,
                   **signed_headers(self.link.secret, int(time.time()), body)}
        try:
            timeout = aiohttp.ClientTimeout(total=self.link.timeout_s)
            async with aiohttp.ClientSession(timeout=timeout) as http, http.post(self.link.url, data=body,
                                                                                headers=headers) as response:
                return response.status, None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            return 0, type(exc).__name__

    def _now(self) -> datetime:
        return datetime.utcfromtimestamp(self.clock())

    def _claim_head(self) -> tuple[int, str, bytes] | None:
        now = self._now()
        with session_scope(self.url) as db:
            head = db.execute(
                select(m.ShopEvent).where(m.ShopEvent.status == "pending").order_by(m.ShopEvent.id).limit(1)
            ).scalar_one_or_none()
            if head is None or (head.next_attempt_at and head.next_attempt_at > now):
                return None
            won = db.execute(
                update(m.ShopEvent).where(m.ShopEvent.id == head.id, m.ShopEvent.status == "pending",
                                          (m.ShopEvent.claimed_until.is_(None)) | (m.ShopEvent.claimed_until < now))
                .values(claimed_until=now + LEASE).execution_options(synchronize_session=False)
            ).rowcount
            return (head.id, head.idempotency_key, head.payload.encode()) if won else None

    def _record(self, event_id: int, ok: bool, error: str) -> None:
        now = self._now()
        with session_scope(self.url) as db:
            row = db.get(m.ShopEvent, event_id)
            row.attempts += 1
            row.claimed_until = None
            if ok:
                row.status, row.sent_at, row.last_error = "sent", now, None
                return
            row.last_error = error[:256]
            if row.attempts >= self.link.max_attempts:
                row.status = "dead"
                log.warning("shop event %s is a dead letter after %s attempts", event_id, row.attempts)
            else:
                row.next_attempt_at = now + self.link.backoff(row.attempts)


def dead_letters(database_url: str, limit: int = 100) -> list[dict[str, Any]]:
    with session_scope(database_url) as db:
        rows = db.execute(
            select(m.ShopEvent, m.WorkOrder.reference).join(m.WorkOrder, m.WorkOrder.id == m.ShopEvent.work_order_id)
            .where(m.ShopEvent.status == "dead").order_by(m.ShopEvent.id.desc()).limit(limit)
        ).all()
        return [{"id": e.id, "reference": ref, "type": json.loads(e.payload).get("type"), "attempts": e.attempts,
                 "error": e.last_error or "", "created_at": e.created_at.isoformat() + "+00:00"} for e, ref in rows]


def retry_dead_letter(database_url: str, event_id: int) -> dict[str, Any] | None:
    """A supervisor sends a dead letter again: it is pending once more, first in line (the
    oldest pending event goes first), with a fresh count of attempts. None when the event is
    no dead letter (sent meanwhile, retried by someone else, unknown)."""
    with session_scope(database_url) as db:
        won = db.execute(
            update(m.ShopEvent).where(m.ShopEvent.id == event_id, m.ShopEvent.status == "dead")
            .values(status="pending", attempts=0, next_attempt_at=None, claimed_until=None, last_error=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not won:
            return None
        row = db.get(m.ShopEvent, event_id)
        reference = db.get(m.WorkOrder, row.work_order_id).reference
        return {"id": row.id, "reference": reference, "status": row.status}
