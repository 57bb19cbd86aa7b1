"""socket.io speaking the rasa-webchat protocol (the widget and our H5 page).

session_request {session_id?} → session_confirm <id>; user_uttered {message, session_id} →
bot_uttered {text, quick_replies?}. A reconnect that sends the same session id joins the
same room and continues the same conversation (enter_room is awaited: Rasa's own channel
forgets to with python-socketio 5, so its replies never reach a persisted session). Replies
for a session with nobody connected wait in an outbox and are delivered on reconnect.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections import defaultdict, deque
from typing import Any

import socketio
from aiohttp import web

from bot.appkeys import GATEWAY
from bot.channels.base import Channel
from bot.outbox import Outbox

log = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
FLOOD_LIMIT = 8  # messages …
FLOOD_WINDOW = 10.0  # … per this many seconds per connection
FLOOD_NOTICE = "您发得有点快，我正在认真看前面的消息，请稍等几秒再继续～"
MAX_TEXT = 10_000


def to_webchat(message: dict[str, Any]) -> dict[str, Any]:
    """A Rasa bot message in the shape rasa-webchat renders."""
    out: dict[str, Any] = {}
    if message.get("text"):
        out["text"] = message["text"]
    buttons = message.get("buttons") or []
    if buttons:
        out["quick_replies"] = [
            {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in buttons
        ]
    if message.get("image"):
        out["attachment"] = {"type": "image", "payload": {"src": message["image"]}}
    return out


def socket_server(client_manager: socketio.AsyncManager | None = None) -> socketio.AsyncServer:
    """The one socket.io server of a process: customers on "/", the console on "/console"."""
    return socketio.AsyncServer(
        async_mode="aiohttp", cors_allowed_origins="*", client_manager=client_manager,
        max_http_buffer_size=64 * 1024,
    )


class SocketIOChannel(Channel):
    name = "socketio"

    def __init__(self, outbox: Outbox, sio: socketio.AsyncServer | None = None) -> None:
        self.sio = sio or socket_server()
        self.outbox = outbox
        self.app: web.Application | None = None
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self.sio.on("connect", self.on_connect)
        self.sio.on("session_request", self.on_session_request)
        self.sio.on("user_uttered", self.on_user_uttered)
        self.sio.on("disconnect", self.on_disconnect)

    def add_routes(self, app: web.Application) -> None:
        self.app = app
        self.sio.attach(app, socketio_path="socket.io")

    # --- events ------------------------------------------------------------------------------
    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> bool:
        return True

    async def on_disconnect(self, sid: str) -> None:
        self._recent.pop(sid, None)

    async def on_session_request(self, sid: str, data: Any) -> None:
        wanted = data.get("session_id") if isinstance(data, dict) else None
        session_id = wanted if isinstance(wanted, str) and SESSION_ID.match(wanted) else uuid.uuid4().hex
        await self.sio.save_session(sid, {"session_id": session_id})
        await self.sio.enter_room(sid, session_id)
        await self.sio.emit("session_confirm", session_id, room=sid)
        waiting = await self.outbox.take(session_id)
        if isinstance(data, dict) and data.get("skip_outbox"):
            return  # our H5 page restores the whole history from the tracker instead
        for message in waiting:
            await self.sio.emit("bot_uttered", message, room=sid)

    async def on_user_uttered(self, sid: str, data: Any) -> None:
        session = await self.sio.get_session(sid)
        session_id = session.get("session_id")
        if not session_id:
            # The widget always asks for a session first; be kind to clients that do not.
            await self.on_session_request(sid, data if isinstance(data, dict) else {})
            session_id = (await self.sio.get_session(sid))["session_id"]
        if self._flooding(sid):
            await self.sio.emit("bot_uttered", {"text": FLOOD_NOTICE}, room=sid)
            return
        message = data.get("message") if isinstance(data, dict) else data
        text = message if isinstance(message, str) else ""
        assert self.app is not None
        replies = await self.app[GATEWAY].handle(session_id, text[:MAX_TEXT], self.name)
        await self.push(session_id, replies)

    def _flooding(self, sid: str) -> bool:
        now = time.monotonic()
        recent = self._recent[sid]
        while recent and now - recent[0] > FLOOD_WINDOW:
            recent.popleft()
        recent.append(now)
        return len(recent) > FLOOD_LIMIT

    # --- outbound ----------------------------------------------------------------------------
    def _connected(self, session_id: str) -> bool:
        return any(True for _ in self.sio.manager.get_participants("/", session_id))

    async def deliver(self, session_id: str, replies: list[dict[str, Any]]) -> bool:
        """The Delivery contract: pushed now, or kept for the customer's reconnect."""
        await self.push(session_id, replies)
        return True

    async def push(self, session_id: str, replies: list[dict[str, Any]]) -> None:
        """Send bot (or agent) messages to whoever holds this session, now or on reconnect."""
        messages = [message for message in map(to_webchat, replies) if message]
        if not messages:
            return
        if self._connected(session_id):
            for message in messages:
                await self.sio.emit("bot_uttered", message, room=session_id)
        else:
            await self.outbox.put(session_id, self.name, messages)
