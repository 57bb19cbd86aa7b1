"""The supervisor dashboard's API: chart figures, the complaints behind a chart element, one
complaint with its conversation, and the CSV export. Supervisors and admins only ("supervise").

Query parameters are checked strictly: an unknown parameter or a malformed value is a 400 with
a polite Chinese message, never a guess.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.analytics import csv_export
from bot.analytics import queries as q
from bot.appkeys import SERVICES
from bot.complaints import STATUS_LABELS
from bot.console.accounts import ConsoleUser
from bot.console.api import CONSOLE
from bot.console.auth import api_error, current_user
from bot.console.desk import audit, iso
from bot.knowledge import KnowledgeBase
from bot.severity import reason_label
from bot.storage import models as m
from bot.storage.crypto import mask_personal_data
from bot.storage.db import session_scope

PERMISSION = "supervise"
CHANNELS = ("rest", "socketio", "h5", "wechat")
MAX_DAYS = 366
DEFAULT_DAYS = 30
PER_PAGE = 20
MAX_PER_PAGE = 100
PERIOD_KEYS = {"from", "to", "channel", "type"}
DRILL_KEYS = {"day", "product", "severity", "remedy", "reason", "csat", "outcome", "sla", "fcr", "reopened"}
PAGE_KEYS = {"page", "per_page"}
REASON_CODE = re.compile(r"^[a-z_]{2,32}(:[a-z_]{2,32})?$")
ID = re.compile(r"^[0-9a-f]{32}$")

BAD_PARAMETER = "查询条件“{name}”的格式不正确，请重新选择后再试。"
UNKNOWN_PARAMETER = "查询条件“{name}”暂不支持，请通过看板上的筛选项选择。"
BAD_RANGE = "开始日期需要早于或等于结束日期，请调整日期范围。"
TOO_LONG = f"一次最多查看{MAX_DAYS}天的数据，请缩小日期范围。"
NOT_FOUND = "没有找到这条投诉记录，刷新看板看看最新情况。"
MESSAGES = (BAD_PARAMETER, UNKNOWN_PARAMETER, BAD_RANGE, TOO_LONG, NOT_FOUND)


# --- parameters ---------------------------------------------------------------------------------
def _bad(name: str) -> web.HTTPException:
    return api_error(400, "bad_parameter", BAD_PARAMETER.format(name=name))


def _date(query: Any, name: str) -> date | None:
    value = query.get(name, "")
    if not value:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(name) from None


def _choice(query: Any, name: str, allowed: Any) -> str | None:
    value = query.get(name, "")
    if not value:
        return None
    if value not in allowed:
        raise _bad(name)
    return value


def _int(query: Any, name: str, low: int, high: int) -> int | None:
    value = query.get(name, "")
    if not value:
        return None
    # isdigit() alone lets "²" and "①" through, which int() refuses
    if not (value.isascii() and value.isdigit()) or len(value) > 9 or not low <= int(value) <= high:
        raise _bad(name)
    return int(value)


def _yes_no(query: Any, name: str) -> bool | None:
    value = _choice(query, name, ("yes", "no"))
    return None if value is None else value == "yes"


def _check_keys(query: Any, allowed: set[str]) -> None:
    for name in query:
        if name not in allowed:
            raise api_error(400, "unknown_parameter", UNKNOWN_PARAMETER.format(name=name[:20]))
    for name in allowed:
        if len(query.getall(name, [])) > 1:
            raise _bad(name)


def today_in(kb: KnowledgeBase) -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(kb.service.timezone)).date()


def period_of(query: Any, kb: KnowledgeBase) -> q.Period:
    end = _date(query, "to") or today_in(kb)
    try:
        start = _date(query, "from") or end - timedelta(days=DEFAULT_DAYS - 1)
    except OverflowError:  # to=0001-01-05: the default start would fall before year 1
        raise api_error(400, "bad_range", BAD_RANGE) from None
    if start > end:
        raise api_error(400, "bad_range", BAD_RANGE)
    if (end - start).days + 1 > MAX_DAYS:
        raise api_error(400, "bad_range", TOO_LONG)
    return q.Period(start, end, _choice(query, "channel", CHANNELS),
                    _choice(query, "type", kb.complaint_types.types), kb.service.timezone)


def drill_of(query: Any, kb: KnowledgeBase, period: q.Period) -> q.Drill:
    day = _date(query, "day")
    if day is not None and not period.start <= day <= period.end:
        raise _bad("day")
    product = query.get("product", "") or None
    if product is not None and (len(product) > 64 or not product.strip()):
        raise _bad("product")
    reason = query.get("reason", "") or None
    if reason is not None and not REASON_CODE.match(reason):
        raise _bad("reason")
    return q.Drill(
        day=day, product=product, severity=_int(query, "severity", 1, 3),
        remedy=_choice(query, "remedy", (*kb.remedies.kinds, q.NO_REMEDY)), reason=reason,
        csat=_int(query, "csat", 1, 5), outcome=_choice(query, "outcome", q.OUTCOMES),
        sla=_choice(query, "sla", q.SLA_STATES), fcr=_yes_no(query, "fcr"), reopened=_yes_no(query, "reopened"),
    )


# --- the work (in a worker thread) ------------------------------------------------------------------
def _run(url: str, work: Callable[[Any], Any]) -> Any:
    with session_scope(url) as db:
        return work(db)


async def _in_thread(request: web.Request, work: Callable[[Any], Any]) -> Any:
    return await asyncio.to_thread(_run, request.app[SERVICES].settings.database_url, work)


def list_item(kb: KnowledgeBase, scope: q.Scope, found: tuple, facts: dict[str, Any], full: bool) -> dict[str, Any]:  # type: ignore[type-arg]
    complaint, product, customer = found
    statements = (complaint.facts or {}).get("statements") or []
    preview = (statements[0] if statements else "")[:120]
    tier, name, phone = csv_export.customer_cells(customer, full)
    return {
        "id": complaint.id, "reference": complaint.reference, "created_at": iso(complaint.created_at),
        "channel": complaint.channel, "type": complaint.type,
        "type_label": kb.type_label(complaint.type) if complaint.type in kb.complaint_types.types else complaint.type,
        "product": product, "severity": complaint.severity, "status": complaint.status,
        "status_label": STATUS_LABELS.get(complaint.status, complaint.status), "remedy": complaint.remedy,
        "remedy_label": kb.remedy_label(complaint.remedy) if complaint.remedy in kb.remedies.kinds else None,
        "compensation_amount": str(complaint.compensation_amount) if complaint.compensation_amount is not None
        else None,
        "handoffs": facts["handoffs"], "reasons": [{"code": r, "label": reason_label(r)} for r in facts["reasons"]],
        "sla": facts["sla"], "csat": facts["csat"],
        "customer": {"tier": tier, "name": name, "phone": phone} if customer is not None else None,
        "preview": preview if full else mask_personal_data(preview),
    }


def complaints_page(db: Any, kb: KnowledgeBase, period: q.Period, drill: q.Drill, page: int, per_page: int,
                    full: bool) -> dict[str, Any]:
    scope = q.Scope.of(db, period)
    total = q.count_drilled(db, scope, drill)
    found = db.execute(q.drilled(scope, drill).limit(per_page).offset((page - 1) * per_page)).all()
    facts = q.facts_of(db, [row[0].id for row in found], scope.now)
    return {"total": total, "page": page, "per_page": per_page,
            "items": [list_item(kb, scope, tuple(row), facts[row[0].id], full) for row in found]}


# --- handlers -------------------------------------------------------------------------------------
async def summary(request: web.Request) -> web.Response:
    await current_user(request, PERMISSION)
    _check_keys(request.query, PERIOD_KEYS)
    kb = request.app[SERVICES].kb
    period = period_of(request.query, kb)
    figures = await _in_thread(request, lambda db: q.summary(db, period, kb))
    return web.json_response({**figures, "generated_at": datetime.now().astimezone().isoformat()})


async def complaints(request: web.Request) -> web.Response:
    user = await current_user(request, PERMISSION)
    _check_keys(request.query, PERIOD_KEYS | DRILL_KEYS | PAGE_KEYS)
    kb = request.app[SERVICES].kb
    period = period_of(request.query, kb)
    drill = drill_of(request.query, kb, period)
    page = _int(request.query, "page", 1, 100000) or 1
    per_page = _int(request.query, "per_page", 1, MAX_PER_PAGE) or PER_PAGE
    full = user.can("see_personal_data")
    answer = await _in_thread(request, lambda db: complaints_page(db, kb, period, drill, page, per_page, full))
    return web.json_response(answer)


async def export_csv(request: web.Request) -> web.Response:
    user = await current_user(request, PERMISSION)
    _check_keys(request.query, PERIOD_KEYS | DRILL_KEYS)
    kb = request.app[SERVICES].kb
    period = period_of(request.query, kb)
    drill = drill_of(request.query, kb, period)
    full = user.can("see_personal_data")

    def work(db: Any) -> tuple[bytes, int, str]:
        scope = q.Scope.of(db, period)
        body, count = csv_export.export(db, kb, scope, drill, full)
        filters = {k: v for k, v in request.query.items()}
        audit(db, user.username, "export", None, rows=count, filters=filters)
        return body, count, csv_export.filename(scope)

    body, count, name = await _in_thread(request, work)
    return web.Response(body=body, headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "X-Row-Count": str(count),
    })


async def complaint_detail(request: web.Request) -> web.Response:
    """One complaint: the record as the desk shows it, its handoffs, follow-up answers and the
    conversation (transcript from the tracker store, masked as the desk masks it)."""
    user = await current_user(request, PERMISSION)
    complaint_id = request.match_info["complaint_id"]
    if not ID.match(complaint_id):
        raise api_error(404, "not_found", NOT_FOUND)
    console = request.app[CONSOLE]
    detail = await _in_thread(request, lambda db: _detail(db, console.desk, complaint_id, user))
    if detail is None:
        raise api_error(404, "not_found", NOT_FOUND)
    detail["transcript"] = await console.takeover.transcript(detail.pop("sender_id"),
                                                             mask=not user.can("see_personal_data"))
    return web.json_response(detail)


def _detail(db: Any, desk: Any, complaint_id: str, user: ConsoleUser) -> dict[str, Any] | None:
    complaint = db.get(m.Complaint, complaint_id)
    if complaint is None:
        return None
    conversation = db.get(m.Conversation, complaint.conversation_id)
    handoffs = db.query(m.Handoff).filter(m.Handoff.complaint_id == complaint.id).order_by(m.Handoff.created_at)
    answers = db.query(m.Csat).filter(m.Csat.complaint_id == complaint.id).order_by(m.Csat.created_at)
    full = user.can("see_personal_data")
    return {
        # the desk's own views of a complaint and a customer (same fields, same masking)
        "complaint": desk._complaint(complaint, user),
        "customer": desk._customer(db, complaint.customer_id, user),
        "sender_id": conversation.sender_id, "channel": conversation.channel,
        "handoffs": [{"id": h.id, "status": h.status, "reasons": [{"code": r, "label": reason_label(r)}
                                                                  for r in h.reasons or []],
                      "created_at": iso(h.created_at), "sla_due_at": iso(h.sla_due_at),
                      "claimed_at": iso(h.claimed_at), "closed_at": iso(h.closed_at),
                      "resolution": (h.resolution if full else mask_personal_data(h.resolution or "")) or None}
                     for h in handoffs],
        "csat": [{"score": a.score, "solved": a.solved, "created_at": iso(a.created_at),
                  "comment": (a.comment if full else mask_personal_data(a.comment or "")) or None} for a in answers],
    }


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/console/analytics/summary", summary)
    r.add_get("/api/console/analytics/complaints", complaints)
    r.add_get("/api/console/analytics/complaints/{complaint_id}", complaint_detail)
    r.add_get("/api/console/analytics/export.csv", export_csv)
