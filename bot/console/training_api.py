"""The trainer page's API (permission "train": trainers and admins), in /api/openapi.json."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.appkeys import SETTINGS
from bot.console.auth import api_error, current_user, read_json
from bot.model_watch import WATCHER
from bot.training.annotations import AnnotationError, Annotations, Correction
from bot.training.data import Paths, domain_entities, domain_intents, training_root
from bot.training.export import Exporter
from bot.training.lint import lint
from bot.training.review import KINDS, Filters, Review

PERMISSION = "train"
BAD_FILTER = "筛选条件的格式不对，请重新选择。"


def _paths() -> Paths:
    return Paths(training_root())


def _url(request: web.Request) -> str:
    return request.app[SETTINGS].database_url


async def _call(func, *args):  # type: ignore[no-untyped-def]
    try:
        return await asyncio.to_thread(func, *args)
    except AnnotationError as refusal:
        raise api_error(refusal.status, refusal.code, refusal.message) from None


def _date(value: str | None, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise api_error(400, "bad_filter", BAD_FILTER) from None
    return parsed.replace(hour=23, minute=59, second=59) if end and len(value) <= 10 else parsed


def filters_from(query: Any) -> Filters:
    kinds = frozenset(k for k in (query.get("kinds") or "").split(",") if k)
    if not kinds <= set(KINDS):
        raise api_error(400, "bad_filter", BAD_FILTER)
    try:
        threshold = float(query.get("threshold") or 0.6)
        raw_limit = query.get("limit") or "100"
        if not (raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 9):  # "²", "①", "٣"
            raise ValueError(raw_limit)
        limit = min(200, max(1, int(raw_limit)))
    except ValueError:
        raise api_error(400, "bad_filter", BAD_FILTER) from None
    return Filters(kinds, _date(query.get("from")), _date(query.get("to"), end=True),
                   (query.get("channel") or None), threshold, limit)


async def conversations(request: web.Request) -> web.Response:
    await current_user(request, PERMISSION)
    found = await _call(Review(_url(request)).conversations, filters_from(request.query))
    return web.json_response({"items": found})


async def conversation(request: web.Request) -> web.Response:
    await current_user(request, PERMISSION)
    found = await _call(Review(_url(request)).conversation, request.match_info["sender_id"])
    if found is None:
        raise api_error(404, "not_found", "没有找到这段对话，刷新列表看看最新情况。")
    return web.json_response(found)


async def schema(request: web.Request) -> web.Response:
    await current_user(request, PERMISSION)
    paths = _paths()
    return web.json_response({"intents": domain_intents(paths), "entities": domain_entities(paths), "kinds": KINDS})


async def annotate(request: web.Request) -> web.Response:
    user = await current_user(request, PERMISSION)
    body = await read_json(request)
    try:
        correction = Correction(str(body["sender_id"]), int(body["event_id"]), str(body["intent"]),
                                [dict(e) for e in body.get("entities") or []])
        if not 0 <= correction.event_id < 2**63:  # beyond a database integer
            raise ValueError(correction.event_id)
    except (KeyError, TypeError, ValueError):
        raise api_error(400, "bad_request", "请选择要纠正的消息和正确的意图。") from None
    result = await _call(Annotations(_url(request), _paths()).annotate, correction, user.username)
    return web.json_response(result, status=201)


async def mark_story(request: web.Request) -> web.Response:
    user = await current_user(request, PERMISSION)
    body = await read_json(request)
    sender_id = str(body.get("sender_id") or "")
    result = await _call(Annotations(_url(request), _paths()).mark_story, sender_id, str(body.get("name") or ""),
                         user.username)
    return web.json_response(result, status=201)


async def pending(request: web.Request) -> web.Response:
    await current_user(request, PERMISSION)
    return web.json_response(await _call(Annotations(_url(request), _paths()).pending))


async def export(request: web.Request) -> web.Response:
    await current_user(request, PERMISSION)
    result = await _call(Exporter(_url(request), _paths()).export)
    return web.json_response(result.as_dict())


async def lint_results(request: web.Request) -> web.Response:
    await current_user(request, PERMISSION)
    findings = await asyncio.to_thread(lint, _paths())
    return web.json_response({"findings": [f.as_dict() for f in findings]})


async def reload_model(request: web.Request) -> web.Response:
    await current_user(request, PERMISSION)
    watcher = request.app[WATCHER]
    reloaded = await watcher.check(force=True)
    if not reloaded and watcher.last_error:
        raise api_error(409, "model_refused", "新模型文件无法加载，当前模型继续服务；请重新训练后再试。")
    return web.json_response({"reloaded": reloaded, **watcher.info()})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/console/training/conversations", conversations)
    app.router.add_get("/api/console/training/conversations/{sender_id}", conversation)
    app.router.add_get("/api/console/training/schema", schema)
    app.router.add_post("/api/console/training/annotations", annotate)
    app.router.add_get("/api/console/training/pending", pending)
    app.router.add_post("/api/console/training/stories", mark_story)
    app.router.add_post("/api/console/training/export", export)
    app.router.add_get("/api/console/training/lint", lint_results)
    app.router.add_post("/api/console/training/reload", reload_model)
