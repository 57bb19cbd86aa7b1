"""socket.io handlers of the /console namespace: who may connect and which rooms they join."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
from aiohttp import web

from bot.console.accounts import Accounts
from bot.console.desk import HandoffDesk
from bot.console.live import AGENTS, NAMESPACE, conversation_room
from bot.console.sessions import DatabaseSessionStorage


def same_origin(request: web.Request) -> bool:
    """A browser names the page's origin on every socket.io request; it must be this server."""
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.host}"


class ConsoleSockets:
    def __init__(self, sio: socketio.AsyncServer, sessions: DatabaseSessionStorage, accounts: Accounts,
                 desk: HandoffDesk) -> None:
        self.sio, self.sessions, self.accounts, self.desk = sio, sessions, accounts, desk
        sio.on("connect", self.on_connect, namespace=NAMESPACE)
        sio.on("watch", self.on_watch, namespace=NAMESPACE)
        sio.on("unwatch", self.on_unwatch, namespace=NAMESPACE)

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> bool:
        request = environ.get("aiohttp.request")
        if request is None or not same_origin(request):
            return False  # a page of another site cannot ride an agent's cookie into the console
        session = await self.sessions.load_session(request)
        user_id = session.get("user_id")
        user = await asyncio.to_thread(self.accounts.get, user_id) if user_id else None
        if user is None or not user.can("handle"):
            return False  # the page falls back to polling and asks the person to log in again
        await self.sio.save_session(sid, {"user_id": user.id}, namespace=NAMESPACE)
        await self.sio.enter_room(sid, AGENTS, namespace=NAMESPACE)
        return True

    async def on_watch(self, sid: str, data: Any) -> dict[str, Any]:
        """Follow one conversation's messages (the console opened that case)."""
        handoff_id = data.get("handoff_id") if isinstance(data, dict) else None
        if not isinstance(handoff_id, str) or not handoff_id.isalnum() or len(handoff_id) > 32:
            return {"ok": False}
        try:
            sender_id, _channel = await asyncio.to_thread(self.desk.conversation_of, handoff_id)
        except Exception:  # noqa: BLE001 - an unknown case simply is not watched
            return {"ok": False}
        for room in self.sio.rooms(sid, namespace=NAMESPACE):
            if room.startswith("conv:"):
                await self.sio.leave_room(sid, room, namespace=NAMESPACE)
        await self.sio.enter_room(sid, conversation_room(sender_id), namespace=NAMESPACE)
        return {"ok": True, "sender_id": sender_id}

    async def on_unwatch(self, sid: str, data: Any = None) -> None:
        for room in self.sio.rooms(sid, namespace=NAMESPACE):
            if room.startswith("conv:"):
                await self.sio.leave_room(sid, room, namespace=NAMESPACE)
