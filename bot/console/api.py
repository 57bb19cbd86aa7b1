"""The console's JSON API (described in /api/openapi.json; the console page uses nothing else)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.appkeys import SERVICES
from bot.console import auth
from bot.console.accounts import AccountError
from bot.console.auth import api_error, current_user, read_json
from bot.console.desk import DeskError, HandoffDesk
from bot.console.live import LiveEvents
from bot.console.reply_notice import reply_notice
from bot.console.takeover import Takeover
from bot.delivery import Outcome
from bot.dialogue import positive, texts
from bot.storage import models as m
from bot.storage.db import session_scope

MAX_REPLY = 2000


@dataclass
class Console:
    desk: HandoffDesk
    takeover: Takeover
    live: LiveEvents


CONSOLE = web.AppKey("console", Console)


def _desk_call(func, *args):  # type: ignore[no-untyped-def]
    """Run a desk operation in a worker thread, turning a refusal into its HTTP answer."""

    async def run() -> Any:
        try:
            return await asyncio.to_thread(func, *args)
        except DeskError as refusal:
            raise api_error(refusal.status, refusal.code, refusal.message) from None

    return run()


def _id(request: web.Request) -> str:
    value = request.match_info["handoff_id"]
    if not value.isalnum() or len(value) > 32:
        raise api_error(404, "not_found", "没有找到这条转人工记录，刷新队列看看最新情况。")
    return value


# --- queue and cases -------------------------------------------------------------------------
async def queue(request: web.Request) -> web.Response:
    await current_user(request, "handle")
    items = await _desk_call(request.app[CONSOLE].desk.queue)
    return web.json_response({"items": items, "now": _now_iso()})


async def detail(request: web.Request) -> web.Response:
    user = await current_user(request, "handle")
    console = request.app[CONSOLE]
    handoff_id = _id(request)
    case = await _desk_call(console.desk.detail, handoff_id, user)
    order_id = (case.get("complaint") or {}).get("order_id")
    order = await request.app[SERVICES].orders.find(order_id) if order_id else None
    case["order"] = (
        {"order_id": order.order_id, "product": order.product, "price": str(order.price),
         "purchased_on": order.purchased_on.isoformat(),
         "delivered_on": order.delivered_on.isoformat() if order.delivered_on else None,
         "channel": order.channel, "repairs_done": order.repairs_done, "tier": order.tier}
        if order else None
    )
    case["transcript"] = await console.takeover.transcript(case["sender_id"], mask=not user.can("see_personal_data"))
    return web.json_response(case)


async def claim(request: web.Request) -> web.Response:
    user = await current_user(request, "handle")
    console = request.app[CONSOLE]
    handoff_id = _id(request)
    result = await _desk_call(console.desk.claim, handoff_id, user)
    sender_id, channel = await _desk_call(console.desk.conversation_of, handoff_id)
    if result.get("first_claim"):
        await console.takeover.say(sender_id, channel, texts.agent_joined(user.display_name), user)
    await console.live.queue_changed("claimed", handoff_id)
    return web.json_response(result)


async def release(request: web.Request) -> web.Response:
    user = await current_user(request, "handle")
    handoff_id = _id(request)
    await _desk_call(request.app[CONSOLE].desk.release, handoff_id, user)
    await request.app[CONSOLE].live.queue_changed("released", handoff_id)
    return web.json_response({"id": handoff_id, "status": "queued"})


async def transfer(request: web.Request) -> web.Response:
    user = await current_user(request, "handle")
    body = await read_json(request)
    handoff_id = _id(request)
    result = await _desk_call(request.app[CONSOLE].desk.transfer, handoff_id, user, str(body.get("to") or ""))
    await request.app[CONSOLE].live.queue_changed("transferred", handoff_id)
    return web.json_response(result)


async def reply(request: web.Request) -> web.Response:
    user = await current_user(request, "handle")
    body = await read_json(request)
    text = str(body.get("text") or "").strip()
    if not text:
        raise api_error(400, "empty", "回复内容是空的，写几句再发送吧。")
    if len(text) > MAX_REPLY:
        raise api_error(400, "too_long", f"一条回复最多{MAX_REPLY}字，可以分成几条发送。")
    kb = request.app[SERVICES].kb
    found = positive.findings(kb, text)
    if found:
        raise web.HTTPUnprocessableEntity(
            text=auth._json({
                "error": "negative_phrasing",
                "message": "这句话里有容易让客户不舒服的说法，建议换成积极的表达。",
                "issues": [{"phrase": f.phrase, "rewrite": f.rewrite} for f in found],
                "suggestion": positive.rewrite(kb, text),
            }),
            content_type="application/json",
        )
    console = request.app[CONSOLE]
    handoff_id = _id(request)
    sender_id, channel = await _desk_call(console.desk.require_holder, handoff_id, user)
    outcome = await console.takeover.say(sender_id, channel, text, user)
    await _desk_call(console.desk.record_reply, handoff_id, user, len(text))
    return web.json_response({"sent": True, "pushed": outcome is Outcome.PUSHED, "delivery": outcome.value,
                              "notice": reply_notice(channel, outcome)}, status=201)


async def check_language(request: web.Request) -> web.Response:
    await current_user(request)
    body = await read_json(request)
    text = str(body.get("text") or "")[:MAX_REPLY]
    kb = request.app[SERVICES].kb
    found = positive.findings(kb, text)
    return web.json_response({
        "ok": not found,
        "issues": [{"phrase": f.phrase, "rewrite": f.rewrite} for f in found],
        "suggestion": positive.rewrite(kb, text) if found else text,
    })


async def add_note(request: web.Request) -> web.Response:
    user = await current_user(request, "handle")
    body = await read_json(request)
    note = await _desk_call(request.app[CONSOLE].desk.add_note, _id(request), user, str(body.get("text") or ""))
    return web.json_response(note, status=201)


async def approval(request: web.Request) -> web.Response:
    user = await current_user(request, "approve")
    body = await read_json(request)
    decision = body.get("decision")
    if decision not in ("approve", "reject"):
        raise api_error(400, "bad_decision", "请选择“批准”或“不批准”。")
    console = request.app[CONSOLE]
    handoff_id = _id(request)
    outcome = await _desk_call(
        console.desk.decide_approval, handoff_id, user, decision == "approve", str(body.get("note") or "")
    )
    message = texts.approval_outcome(decision == "approve", outcome["amount"], outcome["cap"], outcome["reference"],
                                     legal=bool(outcome.get("legal")))
    await console.takeover.say(outcome["sender_id"], outcome["channel"], message, user)
    return web.json_response({"approval": "approved" if decision == "approve" else "rejected", "told_customer": message})


async def hand_back(request: web.Request) -> web.Response:
    user = await current_user(request, "handle")
    console = request.app[CONSOLE]
    handoff_id = _id(request)
    back = await _desk_call(console.desk.hand_back, handoff_id, user)
    said = await console.takeover.resume_bot(back.sender_id, back.channel, back.stage)
    await console.live.queue_changed("handed_back", handoff_id)
    return web.json_response({"status": "returned", "stage": back.stage,
                              "bot_said": [m.get("text") for m in said if m.get("text")]})


async def close(request: web.Request) -> web.Response:
    user = await current_user(request, "handle")
    body = await read_json(request)
    console = request.app[CONSOLE]
    handoff_id = _id(request)
    case = await _desk_call(console.desk.detail, handoff_id, user)
    sender_id, channel = await _desk_call(console.desk.close, handoff_id, user, str(body.get("resolution") or ""))
    reference = (case.get("complaint") or {}).get("reference")
    await console.takeover.say(sender_id, channel, texts.case_closed(reference), user)
    await console.takeover.reopen_silently(sender_id)
    await console.live.queue_changed("closed", handoff_id)
    return web.json_response({"status": "closed"})


async def evidence(request: web.Request) -> web.StreamResponse:
    await current_user(request, "handle")
    evidence_id = request.match_info["evidence_id"]
    if not evidence_id.isalnum() or len(evidence_id) > 32:
        raise api_error(404, "not_found", "没有找到这张照片。")
    services = request.app[SERVICES]

    def locate() -> tuple[str, str] | None:
        with session_scope(services.settings.database_url) as db:
            row = db.get(m.Evidence, evidence_id)
            return (row.path, row.media_type) if row else None

    found = await asyncio.to_thread(locate)
    root = (services.settings.var_dir / "uploads").resolve()
    path = (root / found[0]).resolve() if found else None
    if path is None or root not in path.parents or not path.is_file():
        raise api_error(404, "not_found", "没有找到这张照片。")
    return web.FileResponse(path, headers={"Content-Type": found[1], "Cache-Control": "private, max-age=3600",
                                           "X-Content-Type-Options": "nosniff",
                                           "Content-Disposition": "inline"})


# --- helpers for the agent -------------------------------------------------------------------
async def scripts(request: web.Request) -> web.Response:
    await current_user(request, "handle")
    kb = request.app[SERVICES].kb
    return web.json_response({
        "six_steps": [{"step": s.step, "template": s.template} for s in kb.agent_scripts.six_steps],
        "canned": [{"id": c.id, "title": c.title, "text": c.text} for c in kb.agent_scripts.canned],
    })


async def agents(request: web.Request) -> web.Response:
    await current_user(request, "handle")
    listed = await asyncio.to_thread(request.app[auth.ACCOUNTS].list)
    return web.json_response({"agents": [
        {"username": a.username, "display_name": a.display_name, "role": a.role}
        for a in listed if a.role in ("agent", "supervisor", "admin")
    ]})


async def me(request: web.Request) -> web.Response:
    user = await current_user(request)
    return web.json_response(user.as_dict())


# --- supervisor and admin --------------------------------------------------------------------
async def supervisor(request: web.Request) -> web.Response:
    await current_user(request, "supervise")
    overview = await _desk_call(request.app[CONSOLE].desk.overview)
    return web.json_response({**overview, "now": _now_iso()})


async def audit_log(request: web.Request) -> web.Response:
    await current_user(request, "supervise")
    target = request.query.get("target") or None
    entries = await _desk_call(request.app[CONSOLE].desk.audit_log, target)
    return web.json_response({"entries": entries})


async def create_user(request: web.Request) -> web.Response:
    admin = await current_user(request, "manage_users")
    body = await read_json(request)
    try:
        user = await asyncio.to_thread(
            request.app[auth.ACCOUNTS].create, str(body.get("username") or ""), str(body.get("password") or ""),
            str(body.get("role") or ""), body.get("display_name") or None,
        )
    except AccountError as refusal:
        raise api_error(400, "bad_account", str(refusal)) from None

    def record() -> None:
        with session_scope(request.app[SERVICES].settings.database_url) as db:
            db.add(m.AuditEntry(actor=admin.username, action="create_user", target=user.id,
                                detail={"username": user.username, "role": user.role}))

    await asyncio.to_thread(record)
    return web.json_response(user.as_dict(), status=201)


def _now_iso() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat()


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/console/me", me)
    r.add_get("/api/console/queue", queue)
    r.add_get("/api/console/handoffs/{handoff_id}", detail)
    r.add_post("/api/console/handoffs/{handoff_id}/claim", claim)
    r.add_post("/api/console/handoffs/{handoff_id}/release", release)
    r.add_post("/api/console/handoffs/{handoff_id}/transfer", transfer)
    r.add_post("/api/console/handoffs/{handoff_id}/messages", reply)
    r.add_post("/api/console/handoffs/{handoff_id}/notes", add_note)
    r.add_post("/api/console/handoffs/{handoff_id}/approval", approval)
    r.add_post("/api/console/handoffs/{handoff_id}/handback", hand_back)
    r.add_post("/api/console/handoffs/{handoff_id}/close", close)
    r.add_get("/api/console/evidence/{evidence_id}", evidence)
    r.add_get("/api/console/scripts", scripts)
    r.add_post("/api/console/language/check", check_language)
    r.add_get("/api/console/agents", agents)
    r.add_get("/api/console/supervisor", supervisor)
    r.add_get("/api/console/audit", audit_log)
    r.add_post("/api/console/users", create_user)
