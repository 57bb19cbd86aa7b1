"""The customer chat page's API: its history and evidence photo uploads.

The session id (an unguessable value the page keeps) is what identifies the conversation,
exactly as on the socket.io channel.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from rasa.shared.core.events import BotUttered, UserUttered

from bot.appkeys import AGENT, SERVICES
from bot.channels.base import Channel, json_error
from bot.channels.socketio import SESSION_ID
from bot.evidence import MAX_BYTES, REFUSED_SIZE, store_upload
from bot.ratelimit import RATE_LIMITER, SLOW_DOWN, too_many

HISTORY_LIMIT = 200
BAD_SESSION = "会话编号有误，刷新页面就可以重新开始，我们一直在。"
BAD_UPLOAD = "照片没有传成功，麻烦您再选一次。"


class ChatApi(Channel):
    name = "h5"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/api/chat/history", self.history)
        app.router.add_post("/api/chat/upload", self.upload)

    async def history(self, request: web.Request) -> web.Response:
        session_id = request.query.get("session_id", "")
        if not SESSION_ID.match(session_id):
            return json_error(400, "bad_session", BAD_SESSION)
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
        return web.json_response({"session_id": session_id, "messages": messages[-HISTORY_LIMIT:]})

    async def upload(self, request: web.Request) -> web.Response:
        session_id = request.query.get("session_id", "")
        if not SESSION_ID.match(session_id):
            return json_error(400, "bad_session", BAD_SESSION)
        if request.content_length and request.content_length > MAX_BYTES + 64 * 1024:
            return json_error(413, "too_large", REFUSED_SIZE)
        limiter = request.app[RATE_LIMITER]
        decision = await limiter.message(session_id, limiter.client_ip(request))
        if not decision.allowed:
            return too_many({"error": "rate_limited", "message": SLOW_DOWN}, decision)
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
        services = request.app[SERVICES]
        result = await asyncio.to_thread(
            store_upload, services.settings.database_url, services.settings.var_dir / "uploads",
            session_id, self.name, bytes(data),
        )
        if not result.ok:
            return json_error(result.status, "refused", result.message)
        return web.json_response({"ok": True, "message": result.message, "evidence_id": result.evidence_id})
