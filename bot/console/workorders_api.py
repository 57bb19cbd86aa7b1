"""The back-office work-order API (后台工单): staff list work orders, move them, edit their
facts (address, time window, note for the team) and create one from a case. Behind the console login, with roles and the CSRF header like every console API.
With no shop system configured (the embedded default) this is how work orders move."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.appkeys import SERVICES
from bot.console.auth import api_error, current_user, read_json
from bot.console.live import LiveEvents
from bot.storage import models as m
from bot.storage.db import session_scope
from bot.workorders import shop
from bot.workorders.figures import summary
from bot.workorders.notify import WorkOrderNotifier
from bot.workorders.service import WorkOrderService
from bot.workorders.states import ACTION_LABELS, STATE_LABELS, STATES, TransitionRefused


@dataclass
class BackOffice:
    service: WorkOrderService
    notifier: WorkOrderNotifier
    live: LiveEvents


BACK_OFFICE = web.AppKey("back_office", BackOffice)


async def _call(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return await asyncio.to_thread(func, *args, **kwargs)
    except TransitionRefused as refusal:
        raise api_error(refusal.status, refusal.code, refusal.message) from None


def _id(request: web.Request) -> str:
    value = request.match_info["work_order_id"]
    if not value.isalnum() or len(value) > 32:
        raise api_error(404, "not_found", "没有找到这张工单，刷新列表看看最新情况。")
    return value


def _audit(url: str, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
    with session_scope(url) as db:
        db.add(m.AuditEntry(actor=actor, action=action[:32], target=target, detail=detail))


async def listing(request: web.Request) -> web.Response:
    user = await current_user(request, "handle")
    states = [s for s in request.query.get("state", "").split(",") if s]
    if any(s not in STATES for s in states):
        raise api_error(400, "bad_state", "请选择有效的工单状态。")
    team = request.query.get("team") or None
    office = request.app[BACK_OFFICE]
    items = await _call(office.service.listing, states, team, user.can("see_personal_data"))
    kb = request.app[SERVICES].kb
    kinds = {key: {"label": k.label, "team": k.team, "needs": list(k.needs)} for key, k in kb.work_orders.kinds.items()}
    return web.json_response({"items": items, "kinds": kinds, "states": STATE_LABELS, "actions": ACTION_LABELS,
                              "teams": sorted({k.team for k in kb.work_orders.kinds.values()}
                                              | {r.team for r in kb.work_orders.feedback.values()})})


async def detail(request: web.Request) -> web.Response:
    user = await current_user(request, "handle")
    found = await _call(request.app[BACK_OFFICE].service.detail, _id(request), user.can("see_personal_data"))
    return web.json_response(found)


async def move(request: web.Request) -> web.Response:
    user = await current_user(request, "handle")
    body = await read_json(request)
    office = request.app[BACK_OFFICE]
    work_order_id = _id(request)
    action = str(body.get("action") or "")
    outcome = await _call(office.service.move, work_order_id, action, user.username,
                          slot=_text(body, "slot"), reason=_text(body, "reason"))
    await asyncio.to_thread(_audit, office.service.url, user.username, f"workorder_{action}", work_order_id,
                            {"reference": outcome.work_order["reference"], "state": outcome.work_order["state"]})
    await office.notifier.flush()
    if outcome.handoff_id:
        await office.live.queue_changed("new", outcome.handoff_id, 2)
    view = outcome.work_order
    if not user.can("see_personal_data"):
        view = await _call(office.service.detail, work_order_id, False)
    return web.json_response(view)


async def edit_facts(request: web.Request) -> web.Response:
    """Edit an open work order's address, time window and note for the team (agents and
    supervisors); audited with the fields changed, never their contents."""
    user = await current_user(request, "handle")
    body = await read_json(request)
    office = request.app[BACK_OFFICE]
    work_order_id = _id(request)
    edited = await _call(office.service.edit_facts, work_order_id, user.username, address=_text(body, "address"),
                         time_slot=_text(body, "time_slot"), note=_text(body, "note"))
    changed = edited.pop("changed")
    if changed:
        await asyncio.to_thread(_audit, office.service.url, user.username, "workorder_edit", work_order_id,
                                {"reference": edited["reference"], "changed": changed})
        await office.notifier.flush()  # a new time window is told to the customer
    if not user.can("see_personal_data"):
        edited = await _call(office.service.detail, work_order_id, False)
    return web.json_response({**edited, "changed": changed})


async def create(request: web.Request) -> web.Response:
    user = await current_user(request, "handle")
    body = await read_json(request)
    office = request.app[BACK_OFFICE]
    facts = body.get("facts") or {}
    if not isinstance(facts, dict):
        raise api_error(400, "bad_fact", "工单信息的格式不正确，请刷新页面后再试。")
    made = await _call(office.service.create_by_agent, str(body.get("complaint_reference") or "").strip()[:32],
                       str(body.get("kind") or ""), facts, _text(body, "address"), user.username)
    await asyncio.to_thread(_audit, office.service.url, user.username, "workorder_create", made["id"],
                            {"reference": made["reference"], "kind": made["kind"]})
    await office.notifier.flush()
    if not user.can("see_personal_data"):
        made = await _call(office.service.detail, made["id"], False)
    return web.json_response(made, status=201)


async def dead_letters(request: web.Request) -> web.Response:
    """Events the shop's system never took (after the last retry), for supervisors."""
    await current_user(request, "supervise")
    items = await asyncio.to_thread(shop.dead_letters, request.app[BACK_OFFICE].service.url)
    return web.json_response({"items": items})


async def retry_dead_letter(request: web.Request) -> web.Response:
    """Send a dead letter again (supervisors), audited."""
    user = await current_user(request, "supervise")
    raw = request.match_info["event_id"]
    if not raw.isdigit() or not raw.isascii() or len(raw) > 12:
        raise api_error(404, "not_found", "没有找到这条投递记录，刷新列表看看最新情况。")
    office = request.app[BACK_OFFICE]
    retried = await asyncio.to_thread(shop.retry_dead_letter, office.service.url, int(raw))
    if retried is None:
        raise api_error(409, "not_dead", "这条投递已经在重发或已送达，刷新列表看看最新情况。")
    await asyncio.to_thread(_audit, office.service.url, user.username, "shop_event_retry", str(retried["id"]),
                            {"reference": retried["reference"]})
    return web.json_response(retried)


async def figures(request: web.Request) -> web.Response:
    """Work orders by kind and state, per team, time to done, overdue (supervisors)."""
    await current_user(request, "supervise")
    raw = request.query.get("days", "30")
    if not raw.isdigit() or not 1 <= int(raw) <= 366:
        raise api_error(400, "bad_days", "请选择1到366天之间的统计范围。")
    now = m.utcnow()
    office = request.app[BACK_OFFICE]
    found = await asyncio.to_thread(summary, office.service.url, office.service.kb, now - timedelta(days=int(raw)),
                                    now)
    return web.json_response(found)


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise api_error(400, "bad_field", "提交的内容格式不正确，请刷新页面后再试。")
    return value


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/console/workorders", listing)
    r.add_post("/api/console/workorders", create)
    r.add_get("/api/console/workorders/dead-letters", dead_letters)
    r.add_post("/api/console/workorders/dead-letters/{event_id}/retry", retry_dead_letter)
    r.add_get("/api/console/workorders/figures", figures)
    r.add_get("/api/console/workorders/{work_order_id}", detail)
    r.add_post("/api/console/workorders/{work_order_id}/moves", move)
    r.add_post("/api/console/workorders/{work_order_id}/facts", edit_facts)
