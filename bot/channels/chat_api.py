"""The customer chat page's API: its identity, its history and evidence photo uploads.

The page never names its conversation: `POST /api/chat/session` gives it a server-issued
session in a signed HttpOnly cookie (bot/channels/identity.py), and history and uploads
read the conversation that cookie proves. Without a valid cookie, history is a fresh,
empty session and an upload is refused. A cookie is free to get, so an upload is read only for
a conversation that already exists (the customer has told us something): a fresh session's
upload is answered kindly before its body is read and creates nothing.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from rasa.shared.core.events import BotUttered, UserUttered

from bot.appkeys import AGENT, SERVICES
from bot.channels.base import Channel, json_error
from bot.channels.identity import IDENTITY
from bot.evidence import MAX_BYTES, REFUSED_SIZE, conversation_exists, store_upload
from bot.ratelimit import RATE_LIMITER, SLOW_DOWN, too_many

HISTORY_LIMIT = 200
NO_SESSION = "会话已过期，刷新页面就可以继续，我们一直在。"
BAD_UPLOAD = "照片没有传成功，麻烦您再选一次。"
TALK_FIRST = "先跟我说说遇到了什么情况吧，之后再发照片，我会把照片附在您的投诉记录里。"


class ChatApi(Channel):
    name = "h5"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/api/chat/session", self.session)
        app.router.add_get("/api/chat/history", self.history)
        app.router.add_post("/api/chat/upload", self.upload)

    async def session(self, request: web.Request) -> web.Response:
        """The page's identity: kept when its cookie is valid, otherwise a fresh one."""
        identity = request.app[IDENTITY]
        if identity.from_request(request):
            return web.json_response({"ok": True})
        response = web.json_response({"ok": True})
        identity.set_cookie(response, identity.new_session_id())
        return response

    async def history(self, request: web.Request) -> web.Response:
        identity = request.app[IDENTITY]
        session_id = identity.from_request(request)
        if session_id is None:  # unknown or forged: a fresh session, never someone else's
            response = web.json_response({"messages": []})
            identity.set_cookie(response, identity.new_session_id())
            return response
        limiter = request.app[RATE_LIMITER]
        decision = await limiter.hit("ip", limiter.client_ip(request))
        if not decision.allowed:
            return too_many({"error": "rate_limited", "message": SLOW_DOWN}, decision)
        tracker = await request.app[AGENT].tracker_store.retrieve(session_id)
        messages = []
        for event in tracker.events if tracker else []:
            if isinstance(event, UserUttered) and event.text:
                messages.append({"from": "user", "text": event.text})
            elif isinstance(event, BotUttered) and event.text:
                meta = event.metadata or {}
                if meta.get("source") == "agent":
                    messages.append({"from": "agent", "text": event.text, "agent": meta.get("agent")})
                else:
                    messages.append({"from": "bot", "text": event.text})
        return web.json_response({"messages": messages[-HISTORY_LIMIT:]})

    async def upload(self, request: web.Request) -> web.Response:
        session_id = request.app[IDENTITY].from_request(request)
        if session_id is None:
            return json_error(403, "no_session", NO_SESSION)
        if request.content_length and request.content_length > MAX_BYTES + 64 * 1024:
            return json_error(413, "too_large", REFUSED_SIZE)
        limiter = request.app[RATE_LIMITER]
        decision = await limiter.message(session_id, limiter.client_ip(request))
        if not decision.allowed:
            return too_many({"error": "rate_limited", "message": SLOW_DOWN}, decision)
        services = request.app[SERVICES]
        if not await asyncio.to_thread(conversation_exists, services.settings.database_url, session_id):
            return json_error(409, "no_conversation", TALK_FIRST)
        try:
            reader = await request.multipart()
            part = await reader.next()
            if part is None or getattr(part, "name", None) != "photo":
                return json_error(400, "bad_upload", BAD_UPLOAD)
            data = bytearray()
            while chunk := await part.read_chunk(64 * 1024):  # type: ignore[union-attr]
                data.extend(chunk)
                if len(data) > MAX_BYTES:
                    return json_error(413, "too_large", REFUSED_SIZE)
        # aiohttp raises any of these for broken multipart headers or boundaries (IndexError too)
        except (AssertionError, ValueError, LookupError, HttpProcessingError):
            return json_error(400, "bad_upload", BAD_UPLOAD)
        result = await asyncio.to_thread(
            store_upload, services.settings.database_url, services.settings.var_dir / "uploads",
            session_id, self.name, bytes(data),
        )
        if not result.ok:
            return json_error(result.status, "refused", result.message)
        return web.json_response({"ok": True, "message": result.message, "evidence_id": result.evidence_id})
