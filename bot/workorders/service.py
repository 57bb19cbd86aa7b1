"""What a work order does to the rest of the case, in the same transaction as its move:

- a confirmed remedy creates the work orders the knowledge base maps it to (a changed mind
  cancels the ones of the earlier remedy that nobody has started);
- the first move of a work order puts the complaint in progress;
- done (the last open one of the complaint): the complaint is resolved and the follow-up
  waiting for the work becomes due a set time later, at the time of day the customer chose;
- failed: the complaint is reopened and queued for a person with the reason;
- overdue (past the SLA of its kind): the complaint is reopened and queued for a person, once.
Customer-facing changes carry their line (`customer_text`); notify.py sends it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from bot.knowledge import KnowledgeBase
from bot.storage import models as m
from bot.storage.db import session_scope
from bot.workorders import views
from bot.workorders.shop import ShopLink, enqueue
from bot.workorders.states import OPEN, STATE_LABELS, TERMINAL, TransitionRefused, catch_up, plan
from bot.workorders.store import WorkOrderStore

OPEN_HANDOFF = ("queued", "claimed")
AWAITING_WORK = "awaiting_work"  # a follow-up held until the work is done
MAX_SLOT = 40
MAX_REASON = 500
MAX_ADDRESS = 200
FACT_KEYS = ("order_id", "amount", "time_slot")


def naive_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class CallbackOutcome:
    status: str  # applied / stale (reported a state it is past) / duplicate (callback id seen)
    state: str | None
    handoff_id: str | None


@dataclass(frozen=True)
class MoveOutcome:
    work_order: dict[str, Any]
    handoff_id: str | None  # a person was asked to take over (failed)


class WorkOrderService:
    def __init__(self, database_url: str, kb: KnowledgeBase, shop: bool | None = None) -> None:
        """`shop`: queue every event for the shop's system (default: when credentials.yml has
        a `shop:` section, see bot/workorders/shop.py)."""
        self.url = database_url
        self.kb = kb
        self.shop = shop if shop is not None else ShopLink.from_credentials() is not None

    def _outbound(self, db, row: m.WorkOrder, event: m.WorkOrderEvent,  # type: ignore[no-untyped-def]
                  updated: bool = False) -> None:
        if self.shop:
            complaint = db.get(m.Complaint, row.complaint_id)
            enqueue(db, row, event, complaint.reference, updated=updated)

    # --- creating ----------------------------------------------------------------------------
    def kinds_for(self, complaint: m.Complaint, remedy: dict[str, Any]) -> list[str]:
        """The work orders a confirmed remedy needs (knowledge_base/work_orders.yml)."""
        wo = self.kb.work_orders
        kinds = list(wo.from_remedy.get(remedy["kind"], []))
        if remedy["kind"] == "compensation" and remedy.get("basis") in wo.refund_bases:
            kinds = ["refund"]
        if "compensation" in (remedy.get("includes") or ()) and "compensation_payout" not in kinds:
            kinds.append("compensation_payout")
        product = self.kb.product((complaint.facts or {}).get("product") or "")
        if product is not None and product.category in wo.mail_in_categories:
            kinds = ["mail_in_repair" if kind == "repair_visit" else kind for kind in kinds]
        if self.kb.bulky((complaint.facts or {}).get("product")):
            kinds = [wo.bulky_kinds.get(kind, kind) for kind in kinds]
        route = wo.feedback.get(complaint.type)  # type: ignore[call-overload]
        if route is not None and route.with_remedy:
            kinds.append("apology_feedback")
        return kinds

    def create_for_remedy(self, db, complaint: m.Complaint, remedy: dict[str, Any],  # type: ignore[no-untyped-def]
                          now: datetime | None = None) -> list[str]:
        """Inside the transaction that records the confirmed remedy (bot/complaints.py)."""
        now = naive_utc(now or m.utcnow())
        store = WorkOrderStore(db)
        current = [w for w in store.for_complaint(complaint.id) if w.origin == "bot" and w.state in OPEN]
        if current and all(w.remedy == remedy["kind"] for w in current):
            return [w.reference for w in current]  # the same remedy confirmed again
        for earlier in current:  # the customer changed their mind
            if earlier.state in ("created", "accepted", "scheduled"):
                event = store.move(earlier, plan(earlier.state, "cancel"), "bot", now, note="客户更换了方案")
                self._outbound(db, earlier, event)
        known = self._customer_facts(store, complaint.id)  # given for an earlier remedy: not asked again
        facts = {"order_id": complaint.order_id, "amount": remedy.get("amount")}
        kinds = self.kinds_for(complaint, remedy)
        if remedy.get("needs_approval"):  # above the bot's cap: paid once a supervisor approves
            held = self.compensation_kinds(remedy, kinds)
            kinds = [kind for kind in kinds if kind not in held]
        made = []
        for kind in kinds:
            needs = self.kb.work_orders.kinds[kind].needs
            wanted = {**facts, **({"time_slot": known["time_slot"]} if "time_slot" in needs and known["time_slot"]
                                  else {})}
            address = known["address"] if "address" in needs else None
            made.append(self._add(store, complaint, kind, now, remedy["kind"], wanted, "bot", "bot", notify=False,
                                  address=address))
        return [w.reference for w in made]

    def create_for_apology(self, db, complaint: m.Complaint,  # type: ignore[no-untyped-def]
                           now: datetime | None = None) -> str:
        """The apology-only complaint: its feedback goes to the complaint type's team as a work
        order (once), in the transaction that records the apology."""
        now = naive_utc(now or m.utcnow())
        store = WorkOrderStore(db)
        for row in store.for_complaint(complaint.id):
            if row.kind == "apology_feedback" and row.state != "cancelled":
                return row.reference
        row = self._add(store, complaint, "apology_feedback", now, None, {"order_id": complaint.order_id}, "bot",
                        "bot", notify=False)
        return row.reference

    @staticmethod
    def compensation_kinds(remedy: dict[str, Any], kinds: list[str]) -> list[str]:
        """The work orders that pay the compensation amount (held while it waits for approval)."""
        if remedy["kind"] == "compensation":
            return [kind for kind in kinds if kind != "apology_feedback"]
        return [kind for kind in kinds if kind == "compensation_payout"]

    def release_approved(self, db, complaint: m.Complaint, actor: str,  # type: ignore[no-untyped-def]
                         now: datetime | None = None) -> list[str]:
        """A supervisor approved the compensation: its work orders are created now, in the
        transaction of the approval (the customer hears the approval itself, so no line here)."""
        now = naive_utc(now or m.utcnow())
        remedy = complaint.remedy_detail or {}
        if not remedy.get("kind"):
            return []
        store = WorkOrderStore(db)
        existing = {w.kind for w in store.for_complaint(complaint.id) if w.state in OPEN or w.state == "done"}
        amount = complaint.compensation_amount if complaint.compensation_amount is not None else remedy.get("amount")
        facts = {"order_id": complaint.order_id, "amount": str(amount) if amount is not None else None}
        made = [self._add(store, complaint, kind, now, remedy["kind"], facts, "bot", actor, notify=False)
                for kind in self.compensation_kinds(remedy, self.kinds_for(complaint, remedy))
                if kind not in existing]
        if made and complaint.status in ("resolved", "closed"):
            complaint.status = "in_progress"  # the other work was done already: this one is still to come
        return [w.reference for w in made]

    @staticmethod
    def _customer_facts(store: WorkOrderStore, complaint_id: str) -> dict[str, str | None]:
        found: dict[str, str | None] = {"address": None, "time_slot": None}
        for row in store.for_complaint(complaint_id):
            found["address"] = row.address or found["address"]
            found["time_slot"] = (row.facts or {}).get("time_slot") or found["time_slot"]
        return found

    # --- facts the customer gives in the conversation ------------------------------------------
    def missing_customer_facts(self, complaint_id: str) -> dict[str, str]:
        """The facts ("address", "time_slot") the complaint's open bot work orders need and do
        not have, each with the label of the first work order that needs it."""
        missing: dict[str, str] = {}
        with session_scope(self.url) as db:
            for row in WorkOrderStore(db).for_complaint(complaint_id):
                if row.origin != "bot" or row.state not in OPEN:
                    continue
                spec = self.kb.work_orders.kinds[row.kind]
                if "address" in spec.needs and not row.address:
                    missing.setdefault("address", spec.label)
                if "time_slot" in spec.needs and not (row.facts or {}).get("time_slot"):
                    missing.setdefault("time_slot", spec.label)
        return missing

    def add_customer_facts(self, complaint_id: str, *, address: str | None = None, time_slot: str | None = None,
                           now: datetime | None = None) -> list[str]:
        """The address or time window the customer gave, onto each open work order of the
        complaint that needs it (the address encrypted, a masked copy for staff); each change is
        an event (the shop hears `work_order.updated`). Returns the references changed."""
        now = naive_utc(now or m.utcnow())
        if address is not None:
            address = _checked_address(address)
        if time_slot is not None:
            time_slot = time_slot.strip()[:MAX_SLOT]
        changed: list[str] = []
        with session_scope(self.url) as db:
            store = WorkOrderStore(db)
            for row in store.for_complaint(complaint_id):
                if row.state not in OPEN:
                    continue
                needs = self.kb.work_orders.kinds[row.kind].needs
                notes = []
                if address and "address" in needs:
                    store.set_address(row, address, views.mask_address(address))
                    notes.append("地址")
                if time_slot and "time_slot" in needs:
                    row.facts = {**(row.facts or {}), "time_slot": time_slot}
                    notes.append("时间")
                if not notes:
                    continue
                row.updated_at = now
                event = store.note_facts(row, "customer", now, note=f"客户提供了{'和'.join(notes)}")
                self._outbound(db, row, event)
                changed.append(row.reference)
        return changed

    # --- facts staff edit on the back-office page ------------------------------------------------
    def edit_facts(self, work_order_id: str, actor: str, *, address: str | None = None,
                   time_slot: str | None = None, note: str | None = None,
                   now: datetime | None = None) -> dict[str, Any]:
        """Staff change the address, the time window or the note for the team of an open work
        order (None: unchanged, "": cleared). The address is stored encrypted with its masked
        copy; the change is an event (same state) that the shop hears as `work_order.updated`.
        A new time window is told to the customer (the window was theirs, or was promised to
        them); an address or note change is not. A work order in a final state is refused (409) and stays as it is.
        Returns the staff view (address in clear) and the labels of the fields changed."""
        now = naive_utc(now or m.utcnow())
        if address is not None:
            address = _checked_address(address)
        if time_slot is not None:
            time_slot = time_slot.strip()
            if len(time_slot) > MAX_SLOT:
                raise TransitionRefused("bad_slot", f"约定时间请控制在{MAX_SLOT}字以内，比如「周四下午2点」。", status=400)
        if note is not None:
            note = note.strip()
            if len(note) > MAX_REASON:
                raise TransitionRefused("bad_note", f"给团队的备注请控制在{MAX_REASON}字以内。", status=400)
        with session_scope(self.url) as db:
            store = WorkOrderStore(db)
            row = store.get(work_order_id)
            _refuse_final(row.state)
            changed: list[str] = []
            wanted: dict[str, Any] = {}
            if address is not None and (address or None) != row.address:
                wanted.update(address=address or None,
                              address_masked=views.mask_address(address) if address else None)
                changed.append("地址")
            facts = dict(row.facts or {})
            if time_slot is not None and time_slot != facts.get("time_slot", ""):
                if time_slot:
                    facts["time_slot"] = time_slot
                else:
                    facts.pop("time_slot", None)
                wanted["facts"] = facts
                changed.append("约定时间")
            if note is not None and (note or None) != row.team_note:
                wanted["team_note"] = note or None
                changed.append("备注")
            if changed:
                if not store.edit(row, wanted, now):  # moved to a final state meanwhile
                    db.refresh(row)
                    _refuse_final(row.state)
                    raise TransitionRefused("moved_meanwhile", "这张工单刚刚被其他同事更新了，刷新后再操作。")
                told = views.rescheduled_line(self.kb, row) if "约定时间" in changed else None
                event = store.note_facts(row, actor, now, note=f"修改了{'、'.join(changed)}", customer_text=told)
                self._outbound(db, row, event, updated=True)
            complaint = db.get(m.Complaint, row.complaint_id)
            view = views.staff_view(self.kb, row, complaint.reference, reveal=True)
            view["changed"] = changed
            return view

    def _add(self, store: WorkOrderStore, complaint: m.Complaint, kind: str, now: datetime, remedy: str | None,
             facts: dict, origin: str, actor: str, notify: bool, address: str | None = None) -> m.WorkOrder:
        spec = self.kb.work_orders.kinds[kind]
        clean = {k: v for k, v in facts.items() if k in FACT_KEYS and v not in (None, "")}
        text = views.customer_line(self.kb, kind, "created", clean) if notify else None
        team = self.kb.feedback_team(complaint.type) if kind == "apology_feedback" else spec.team
        row = store.add(complaint, kind, team, spec.sla_hours, now, remedy=remedy, facts=clean, origin=origin,
                        actor=actor, customer_text=text)
        if address:
            store.set_address(row, address, views.mask_address(address))
        self._outbound(store.db, row, store.events(row.id)[-1])  # the shop needs the address too
        return row

    def create_by_agent(self, complaint_reference: str, kind: str, facts: dict[str, Any], address: str | None,
                        actor: str) -> dict[str, Any]:
        if kind not in self.kb.work_orders.kinds:
            raise TransitionRefused("bad_kind", "请选择一种工单类型。", status=400)
        with session_scope(self.url) as db:
            complaint = db.execute(
                select(m.Complaint).where(m.Complaint.reference == complaint_reference)
            ).scalar_one_or_none()
            if complaint is None:
                raise TransitionRefused("complaint_not_found", "没有找到这个投诉编号，请核对后再试。", status=404)
            store = WorkOrderStore(db)
            facts = {"order_id": complaint.order_id, **_clean_facts(facts)}
            row = self._add(store, complaint, kind, m.utcnow(), complaint.remedy, facts, "agent", actor, notify=True,
                            address=_checked_address(address) if address else None)
            return views.staff_view(self.kb, row, complaint.reference, reveal=True)

    # --- moving ------------------------------------------------------------------------------
    def move(self, work_order_id: str, action: str, actor: str, *, slot: str | None = None,
             reason: str | None = None, now: datetime | None = None) -> MoveOutcome:
        now = naive_utc(now or m.utcnow())
        with session_scope(self.url) as db:
            store = WorkOrderStore(db)
            row = store.get(work_order_id)
            handoff_id = self.step(db, store, row, action, actor, now, slot=slot, reason=reason)
            complaint = db.get(m.Complaint, row.complaint_id)
            return MoveOutcome(views.staff_view(self.kb, row, complaint.reference, reveal=True), handoff_id)

    def step(self, db, store: WorkOrderStore, row: m.WorkOrder, action: str, actor: str,  # type: ignore[no-untyped-def]
             now: datetime, *, slot: str | None = None, reason: str | None = None) -> str | None:
        """One move inside the caller's transaction, with everything it does to the case."""
        move = plan(row.state, action)
        changes, note = self._move_details(row, action, slot, reason)
        facts = {**(row.facts or {}), **changes.get("facts", {})}
        text = views.customer_line(self.kb, row.kind, move.to_state, facts)
        if move.to_state == "failed":
            text = views.failed_line(self.kb, row.kind)
        event = store.move(row, move, actor, now, note=note, customer_text=text, changes=changes)
        self._outbound(db, row, event)
        complaint = db.get(m.Complaint, row.complaint_id)
        return self._after_move(db, store, row, complaint, now, note)

    @staticmethod
    def _move_details(row: m.WorkOrder, action: str, slot: str | None, reason: str | None) -> tuple[dict, str | None]:
        if action == "schedule":
            slot = (slot or "").strip()
            if not slot or len(slot) > MAX_SLOT:
                raise TransitionRefused("slot_required", f"请填写约定的时间，比如「周四下午2点」（{MAX_SLOT}字以内）。",
                                        status=400)
            return {"facts": {**(row.facts or {}), "time_slot": slot}}, None
        if action == "fail":
            reason = (reason or "").strip()
            if not reason or len(reason) > MAX_REASON:
                raise TransitionRefused("reason_required", f"请写明原因（{MAX_REASON}字以内），接手的同事会看到。",
                                        status=400)
            return {"failure_reason": reason}, reason
        return {}, (reason or "").strip()[:MAX_REASON] or None

    def _after_move(self, db, store: WorkOrderStore, row: m.WorkOrder, complaint: m.Complaint,  # type: ignore[no-untyped-def]
                    now: datetime, note: str | None) -> str | None:
        if row.state in ("accepted", "scheduled", "in_progress") and complaint.status in ("accepted", "proposed"):
            complaint.status = "in_progress"
        if row.state == "failed":
            complaint.status = "reopened"
            return self._queue_for_person(db, complaint, "workorder_failed", f"工单{row.reference}未完成：{note}", now)
        siblings = store.for_complaint(complaint.id)
        if row.state in TERMINAL and all(w.state in ("done", "cancelled") for w in siblings):
            if any(w.state == "done" for w in siblings):
                complaint.status = "resolved"
                self._release_followups(db, complaint.id, now)
            else:
                self._release_followups(db, complaint.id, None)
        return None

    # --- status callbacks from the shop's system ----------------------------------------------
    def apply_callback(self, callback_id: str, work_order: str, state: str, slot: str | None,
                       reason: str | None) -> CallbackOutcome:
        """Bring the work order to the reported state (catching up on reports that arrived out
        of order; a late or repeated report changes nothing), once per callback id."""
        now = m.utcnow()
        with session_scope(self.url) as db:
            if db.get(m.ShopCallback, callback_id) is not None:
                return CallbackOutcome("duplicate", None, None)
            store = WorkOrderStore(db)
            row = db.get(m.WorkOrder, work_order) or db.execute(
                select(m.WorkOrder).where(m.WorkOrder.reference == work_order)).scalar_one_or_none()
            if row is None:
                raise TransitionRefused("not_found", "没有找到这张工单，请核对工单号后再发送。", status=404)
            actions = catch_up(row.state, state)
            if actions is None:
                raise TransitionRefused(
                    "transition_refused", f"工单当前是「{STATE_LABELS[row.state]}」，报告的「{STATE_LABELS[state]}」"
                    "与它衔接不上，工单保持原样，请人工核对后再发送。")
            db.add(m.ShopCallback(callback_id=callback_id, work_order_id=row.id, state=state, received_at=now))
            handoff_id = None
            for action in actions or []:
                handoff_id = self.step(db, store, row, action, "shop", now, slot=slot or "约定的时间",
                                       reason=reason or "商家系统报告未完成") or handoff_id
            return CallbackOutcome("applied" if actions else "stale", row.state, handoff_id)

    # --- the follow-up follows the work --------------------------------------------------------
    def _release_followups(self, db, complaint_id: str, done_at: datetime | None) -> None:  # type: ignore[no-untyped-def]
        held = db.execute(
            select(m.FollowUp).where(m.FollowUp.complaint_id == complaint_id, m.FollowUp.status == AWAITING_WORK)
        ).scalars().all()
        for follow_up in held:
            follow_up.status = "scheduled"
            follow_up.due_at = self.due_after_work(follow_up.due_at, done_at) if done_at else max(
                follow_up.due_at, m.utcnow())

    def due_after_work(self, chosen: datetime, done_at: datetime) -> datetime:
        """The first moment at the customer's chosen time of day (shop time) once the set time
        after the work is done has passed."""
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(self.kb.service.timezone)
        earliest = (done_at + timedelta(hours=self.kb.work_orders.followup_after_done_hours)).replace(
            tzinfo=timezone.utc).astimezone(zone)
        wanted = chosen.replace(tzinfo=timezone.utc).astimezone(zone)
        due = earliest.replace(hour=wanted.hour, minute=wanted.minute, second=0, microsecond=0)
        if due < earliest:
            due += timedelta(days=1)
        return naive_utc(due)

    # --- a person takes over -----------------------------------------------------------------
    def _queue_for_person(self, db, complaint: m.Complaint, reason: str, note: str,  # type: ignore[no-untyped-def]
                          now: datetime) -> str:
        handoff = db.execute(
            select(m.Handoff).where(m.Handoff.conversation_id == complaint.conversation_id,
                                    m.Handoff.status.in_(OPEN_HANDOFF)).limit(1)
        ).scalar_one_or_none()
        if handoff is None:
            sla = timedelta(minutes=self.kb.policies.sla_minutes[2])  # type: ignore[index]
            handoff = m.Handoff(conversation_id=complaint.conversation_id, complaint_id=complaint.id, severity=2,
                                reasons=[reason], status="queued", sla_due_at=now + sla)
            db.add(handoff)
            db.flush()
        elif reason not in (handoff.reasons or []):
            handoff.reasons = [*(handoff.reasons or []), reason]
        db.add(m.HandoffNote(handoff_id=handoff.id, author="工单系统", text=note))
        return str(handoff.id)

    def escalate_overdue(self, now: datetime | None = None) -> list[tuple[str, str]]:
        """Work orders past their SLA go to a person, each once. Returns (reference, handoff id)."""
        now = naive_utc(now or m.utcnow())
        escalated: list[tuple[str, str]] = []
        with session_scope(self.url) as db:
            store = WorkOrderStore(db)
            for work_order_id in store.overdue(now):
                if not store.claim_escalation(work_order_id, now):
                    continue
                row = store.get(work_order_id)
                complaint = db.get(m.Complaint, row.complaint_id)
                complaint.status = "reopened"
                label = self.kb.work_orders.kinds[row.kind].label
                handoff_id = self._queue_for_person(
                    db, complaint, "workorder_overdue", f"工单{row.reference}（{label}）已超出时限，请跟进。", now)
                escalated.append((row.reference, handoff_id))
        return escalated

    # --- reading -----------------------------------------------------------------------------
    def listing(self, states: list[str], team: str | None, reveal: bool) -> list[dict[str, Any]]:
        with session_scope(self.url) as db:
            rows = db.execute(
                select(m.WorkOrder, m.Complaint.reference).join(m.Complaint, m.Complaint.id == m.WorkOrder.complaint_id)
                .where(*([m.WorkOrder.state.in_(states)] if states else []),
                       *([m.WorkOrder.team == team] if team else []))
                .order_by(m.WorkOrder.due_at).limit(300)
            ).all()
            return [views.staff_view(self.kb, row, ref, reveal) for row, ref in rows]

    def detail(self, work_order_id: str, reveal: bool) -> dict[str, Any]:
        with session_scope(self.url) as db:
            store = WorkOrderStore(db)
            row = store.get(work_order_id)
            complaint = db.get(m.Complaint, row.complaint_id)
            view = views.staff_view(self.kb, row, complaint.reference, reveal)
            view["events"] = [views.event_view(e, reveal) for e in store.events(row.id)]
            return view

    def customer_lines(self, db, complaint_id: str) -> list[str]:  # type: ignore[no-untyped-def]
        """What the customer hears about each work order of the complaint (progress answer)."""
        return [line for row in WorkOrderStore(db).for_complaint(complaint_id)
                if (line := views.progress_line(self.kb, row)) is not None]


def _clean_facts(facts: dict[str, Any]) -> dict[str, Any]:
    clean = {}
    for key in FACT_KEYS:
        value = facts.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, (str, int, float)) or len(str(value)) > MAX_SLOT:
            raise TransitionRefused("bad_fact", f"「{key}」的内容格式不正确，请核对后再提交（{MAX_SLOT}字以内）。", status=400)
        clean[key] = str(value)
    return clean


def _refuse_final(state: str) -> None:
    if state in TERMINAL:
        raise TransitionRefused(
            "final_state", f"工单当前是「{STATE_LABELS[state]}」，已经办结，信息保持原样；"
            "还有需要跟进的事项，可以从投诉新建一张工单。")


def _checked_address(address: str) -> str:
    address = address.strip()
    if len(address) > MAX_ADDRESS:
        raise TransitionRefused("bad_address", f"地址请控制在{MAX_ADDRESS}字以内。", status=400)
    return address
