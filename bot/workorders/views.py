"""How a work order reads: for staff (address masked unless they may see it) and for the
customer (the knowledge base's line for its kind and state, in positive Chinese)."""

from __future__ import annotations

from typing import Any

from bot.knowledge import KnowledgeBase
from bot.storage import models as m
from bot.storage.crypto import mask_personal_data
from bot.workorders.states import STATE_LABELS, STATES, allowed_actions


def mask_address(address: str) -> str:
    """An address for staff who may not see it: the district stays, the rest is hidden."""
    address = address.strip()
    return (address[:6] if len(address) > 8 else "") + "****"


# Where a kind has no line for a state, the customer hears the line of the nearest earlier one.
CUSTOMER_ORDER = ("created", "accepted", "scheduled", "in_progress", "done")


def customer_line(kb: KnowledgeBase, kind: str, state: str, facts: dict[str, Any]) -> str | None:
    """The line sent when a work order enters `state`, or None (not customer-facing)."""
    template = kb.work_orders.kinds[kind].customer.get(state)  # type: ignore[call-overload]
    if template is None:
        return None
    return template.replace("{slot}", str(facts.get("time_slot") or "约定的时间"))


def rescheduled_line(kb: KnowledgeBase, row: m.WorkOrder) -> str | None:
    """What the customer hears when staff change the time window of an open work order: the
    kind's `scheduled` line with the new window once it is scheduled, the new window itself
    before that; nothing once the work is under way or when the window was cleared."""
    from bot.dialogue import texts

    slot = str((row.facts or {}).get("time_slot") or "")
    spec = kb.work_orders.kinds[row.kind]
    if not slot or row.state not in ("created", "accepted", "scheduled") or "scheduled" not in spec.customer:
        return None
    if row.state == "scheduled":
        return texts.workorder_rescheduled(spec.label, customer_line(kb, row.kind, "scheduled", row.facts or {}))
    return texts.workorder_window_changed(spec.label, slot)


def failed_line(kb: KnowledgeBase, kind: str) -> str:
    from bot.dialogue import texts  # texts reads bot.complaints, which reads this module

    return texts.workorder_failed(kb.work_orders.kinds[kind].label)


def progress_line(kb: KnowledgeBase, row: m.WorkOrder) -> str | None:
    """What "进度如何" says about this work order now."""
    from bot.dialogue import texts

    label = kb.work_orders.kinds[row.kind].label
    if row.state == "cancelled":
        return None
    if row.state == "failed":
        return texts.workorder_failed(label)
    upto = CUSTOMER_ORDER[: CUSTOMER_ORDER.index(row.state) + 1]
    for state in reversed(upto):
        line = customer_line(kb, row.kind, state, row.facts or {})
        if line is not None:
            return f"{label}：{line}"
    return f"{label}：{texts.WORKORDER_IN_HAND}"


def _iso(moment: Any) -> str | None:
    return moment.isoformat() + "+00:00" if moment is not None else None


def staff_view(kb: KnowledgeBase, row: m.WorkOrder, complaint_reference: str, reveal: bool) -> dict[str, Any]:
    spec = kb.work_orders.kinds[row.kind]
    reason = row.failure_reason
    return {
        "id": row.id,
        "reference": row.reference,
        "complaint_reference": complaint_reference,
        "kind": row.kind,
        "kind_label": spec.label,
        "team": row.team,
        "state": row.state,
        "state_label": STATE_LABELS[row.state],
        "actions": allowed_actions(row.state),
        "origin": row.origin,
        "facts": dict(row.facts or {}),
        "needs": list(spec.needs),
        "address": (row.address if reveal else row.address_masked) if row.address else None,
        "failure_reason": (reason if reveal else mask_personal_data(reason)) if reason else None,
        "note": (row.team_note if reveal else mask_personal_data(row.team_note)) if row.team_note else None,
        "due_at": _iso(row.due_at),
        "overdue": row.escalated_at is not None,
        "times": {state: _iso(getattr(row, column)) for state, column in _STAMP_COLUMNS.items()},
    }


_STAMP_COLUMNS = {"created": "created_at", "accepted": "accepted_at", "scheduled": "scheduled_at",
                  "in_progress": "started_at", "done": "done_at", "failed": "failed_at",
                  "cancelled": "cancelled_at"}
assert set(_STAMP_COLUMNS) == set(STATES)


def event_view(event: m.WorkOrderEvent, reveal: bool) -> dict[str, Any]:
    note = event.note
    return {"from": event.from_state, "to": event.to_state, "actor": event.actor, "at": _iso(event.at),
            "note": (note if reveal else mask_personal_data(note)) if note else None,
            "told_customer": event.customer_text, "notified": event.notified_at is not None}
