"""Inbound status callbacks from the shop's system (docs/shop_webhook.openapi.yaml):
POST /webhooks/shop/workorders, signed like our outbound webhooks. A bad or stale signature
is refused (401); a replayed callback changes nothing; reports in the wrong order end in the
right state; a move the state machine does not allow is refused with a clear error (409),
logged, and nothing changes."""

from __future__ import annotations

import asyncio
import json
import logging
import time

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from bot.workorders.service import WorkOrderService
from bot.workorders.shop import ShopLink
from bot.workorders.signing import SignatureRefused, verify
from bot.workorders.states import STATES, TransitionRefused

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
SHOP = web.AppKey("shop_link", ShopLink)
SHOP_SERVICE = web.AppKey("shop_workorders", WorkOrderService)
AFTER_CALLBACK = web.AppKey("shop_after_callback", object)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


async def _body(request: web.Request) -> bytes | None:
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    body = await request.content.read(MAX_BODY + 1)
    return None if len(body) > MAX_BODY else body


def _fields(body: bytes) -> dict[str, str] | web.Response:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return _error(400, "invalid_json", "请以 JSON 对象发送回调内容。")
    if not isinstance(data, dict):
        return _error(400, "invalid_json", "请以 JSON 对象发送回调内容。")
    fields = {k: data.get(k) for k in ("callback_id", "work_order", "state", "slot", "reason")}
    if any(v is not None and not isinstance(v, str) for v in fields.values()):
        return _error(400, "bad_field", "回调字段应为文本，请按接口约定发送。")
    callback_id, work_order, state = fields["callback_id"], fields["work_order"], fields["state"]
    if not callback_id or len(callback_id) > 64 or not work_order or len(work_order) > 40:
        return _error(400, "missing_field", "请带上 callback_id（64字以内）和 work_order（工单号）。")
    if state not in STATES:
        return _error(400, "bad_state", "state 应为：" + "、".join(STATES) + "。")
    return {k: v for k, v in fields.items() if v is not None}


async def callback(request: web.Request) -> web.Response:
    link = request.app.get(SHOP)
    if link is None:
        return _error(404, "not_configured", "本系统未配置商家系统对接，工单在后台工单页面处理。")
    body = await _body(request)
    if body is None:
        return _error(413, "too_large", "回调内容过大，请精简到64KB以内再发送。")
    try:
        verify(link.secret, request.headers, body, time.time(), link.replay_window_s)
    except SignatureRefused as refused:
        log.warning("shop callback refused: %s", refused)
        return _error(401, "bad_signature", str(refused))
    fields = _fields(body)
    if isinstance(fields, web.Response):
        return fields
    service = request.app[SHOP_SERVICE]
    try:
        outcome = await asyncio.to_thread(service.apply_callback, fields["callback_id"], fields["work_order"],
                                          fields["state"], fields.get("slot"), fields.get("reason"))
    except TransitionRefused as refused:
        log.warning("shop callback %s refused: %s", fields["callback_id"], refused.code)
        return _error(refused.status, refused.code, refused.message)
    except IntegrityError:  # the same callback id applied by another request at this moment
        return web.json_response({"status": "duplicate"})
    after = request.app.get(AFTER_CALLBACK)
    if after is not None and outcome.status == "applied":
        await after(outcome)  # type: ignore[operator]
    return web.json_response({"status": outcome.status, "state": outcome.state})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/webhooks/shop/workorders", callback)
