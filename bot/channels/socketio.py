"""socket.io speaking the rasa-webchat protocol (the widget and our H5 page).

session_request {session_id?} → session_confirm <token>; user_uttered {message} →
bot_uttered {text, quick_replies?}. The server issues every session (bot/channels/identity.py):
session_confirm carries a signed token, and a reconnect that presents it (the widget keeps
it) or the chat page's HttpOnly cookie joins the same room and continues the same
conversation; any other session_id gets a fresh session. The session_id a user_uttered
names is ignored: the connection's proven session is used (enter_room is awaited: Rasa's own
channel forgets to with python-socketio 5, so its replies never reach a persisted session).

Messages the customer did not just ask for (an agent's reply, a follow-up) are written to the
durable outbox first, then a fan-out notice tells whichever process holds the customer's
connection to take and push them; with nobody connected they wait for the next visit.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from typing import Any

import socketio
from aiohttp import web

from bot.appkeys import GATEWAY
from bot.channels.base import Channel
from bot.channels.identity import IDENTITY
from bot.channels.shop_login import PROOF_FIELD as SHOP_PROOF
from bot.fanout import Fanout
from bot.outbox import Outbox
from bot.ratelimit import RATE_LIMITER, SLOW_DOWN

log = logging.getLogger(__name__)

FLOOD_LIMIT = 8  # messages …
FLOOD_WINDOW = 10.0  # … per this many seconds per connection
FLOOD_NOTICE = "您发得有点快，我正在认真看前面的消息，请稍等几秒再继续～"
MAX_TEXT = 10_000
OUTBOX_TOPIC = "socketio_outbox"


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


def _shop_token(data: Any) -> str | None:
    """The shop login token the widget carries in rasa-webchat's customData, if any."""
    custom = data.get("customData") if isinstance(data, dict) else None
    token = custom.get(SHOP_PROOF) if isinstance(custom, dict) else None
    return token if isinstance(token, str) and len(token) <= 512 else None


def _webchat_messages(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [message for message in map(to_webchat, replies) if message]


def socket_server(redis_url: str | None = None, namespace: str = "qingting") -> socketio.AsyncServer:
    """The one socket.io server of a process: customers on "/", the console on "/console".

    With Redis, socket.io's own Redis manager relays emits to every process, so a console
    event or a broadcast reaches clients connected anywhere.
    """
    client_manager = socketio.AsyncRedisManager(redis_url, channel=f"{namespace}:socketio") if redis_url else None
    return socketio.AsyncServer(
        async_mode="aiohttp", cors_allowed_origins="*", client_manager=client_manager,
        max_http_buffer_size=64 * 1024,
    )


class SocketIOChannel(Channel):
    name = "socketio"

    def __init__(self, outbox: Outbox, sio: socketio.AsyncServer | None = None, fanout: Fanout | None = None) -> None:
        self.sio = sio or socket_server()
        self.outbox = outbox
        self.fanout = fanout or Fanout()
        self.fanout.on(OUTBOX_TOPIC, self._on_outbox_notice)
        self.app: web.Application | None = None
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._client_ip: dict[str, str] = {}  # per connection, for the per-IP rate limit
        self._cookie_session: dict[str, str] = {}  # per connection: the chat page's proven session
        self.sio.on("connect", self.on_connect)
        self.sio.on("session_request", self.on_session_request)
        self.sio.on("user_uttered", self.on_user_uttered)
        self.sio.on("disconnect", self.on_disconnect)

    def add_routes(self, app: web.Application) -> None:
        self.app = app
        self.sio.attach(app, socketio_path="socket.io")

    # --- events ------------------------------------------------------------------------------
    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> bool:
        request = environ.get("aiohttp.request")
        if request is not None and self.app is not None:
            self._client_ip[sid] = self.app[RATE_LIMITER].client_ip(request)
            from_cookie = self.app[IDENTITY].from_request(request)
            if from_cookie:
                self._cookie_session[sid] = from_cookie
        return True

    async def on_disconnect(self, sid: str) -> None:
        self._recent.pop(sid, None)
        self._client_ip.pop(sid, None)
        self._cookie_session.pop(sid, None)

    async def on_session_request(self, sid: str, data: Any = None) -> None:
        assert self.app is not None
        identity = self.app[IDENTITY]
        wanted = data.get("session_id") if isinstance(data, dict) else None
        from_cookie = self._cookie_session.get(sid)
        session_id = identity.session_of(wanted) or from_cookie or identity.new_session_id()
        await self.sio.save_session(sid, {"session_id": session_id, "shop_token": _shop_token(data)})
        await self.sio.enter_room(sid, session_id)
        # The chat page's credential stays in its HttpOnly cookie: it is confirmed by the bare id.
        confirm = session_id if session_id == from_cookie else identity.token_for(session_id)
        await self.sio.emit("session_confirm", confirm, room=sid, ignore_queue=True)
        waiting = await self.outbox.take(session_id)
        if isinstance(data, dict) and data.get("skip_outbox"):
            return  # our H5 page restores the whole history from the tracker instead
        for message in waiting:
            await self.sio.emit("bot_uttered", message, room=sid, ignore_queue=True)

    async def on_user_uttered(self, sid: str, data: Any = None) -> None:  # no payload: an empty message
        session = await self.sio.get_session(sid)
        session_id = session.get("session_id")
        if not session_id:
            # The widget always asks for a session first; be kind to clients that do not.
            await self.on_session_request(sid, data if isinstance(data, dict) else {})
            session_id = (await self.sio.get_session(sid))["session_id"]
        if self._flooding(sid):
            await self.sio.emit("bot_uttered", {"text": FLOOD_NOTICE}, room=sid, ignore_queue=True)
            return
        assert self.app is not None
        if not (await self.app[RATE_LIMITER].message(session_id, self._client_ip.get(sid))).allowed:
            await self.sio.emit("bot_uttered", {"text": SLOW_DOWN}, room=sid, ignore_queue=True)
            return
        message = data.get("message") if isinstance(data, dict) else data
        text = message if isinstance(message, str) else ""
        # a logged-in shop account's token (customData), checked by the gateway (bot/channels/shop_login.py)
        token = _shop_token(data) or session.get("shop_token")
        metadata = {SHOP_PROOF: token} if token else None
        replies = await self.app[GATEWAY].handle(session_id, text[:MAX_TEXT], self.name, metadata)
        await self.push(session_id, replies)

    def _flooding(self, sid: str) -> bool:
        now = time.monotonic()
        recent = self._recent[sid]
        while recent and now - recent[0] > FLOOD_WINDOW:
            recent.popleft()
        recent.append(now)
        return len(recent) > FLOOD_LIMIT

    # --- outbound ----------------------------------------------------------------------------
    def _connected_here(self, session_id: str) -> bool:
        # Rooms are per process (also with the Redis manager): "connected to this process".
        return any(True for _ in self.sio.manager.get_participants("/", session_id))

    async def deliver(self, session_id: str, replies: list[dict[str, Any]]) -> bool:
        """The Delivery contract: kept durably, then pushed by whichever process holds the
        customer's connection (now, or on their reconnect)."""
        await self._keep_for_holder(session_id, _webchat_messages(replies))
        return True

    async def _keep_for_holder(self, session_id: str, messages: list[dict[str, Any]]) -> None:
        if messages:
            await self.outbox.put(session_id, self.name, messages)
            await self.fanout.publish(OUTBOX_TOPIC, {"session_id": session_id})

    async def _on_outbox_notice(self, data: dict[str, Any]) -> None:
        session_id = str(data.get("session_id", ""))
        if self._connected_here(session_id):
            for message in await self.outbox.take(session_id):
                await self._emit_here(session_id, message)

    async def push(self, session_id: str, replies: list[dict[str, Any]]) -> None:
        """The answers to the customer's own message, on the connection it came from."""
        messages = _webchat_messages(replies)
        if not self._connected_here(session_id):  # gone meanwhile (or reconnected elsewhere)
            await self._keep_for_holder(session_id, messages)
            return
        for message in messages:
            await self._emit_here(session_id, message)

    async def _emit_here(self, session_id: str, message: dict[str, Any]) -> None:
        # Local only: the customer is connected here, and a reply must not depend on Redis.
        await self.sio.emit("bot_uttered", message, room=session_id, ignore_queue=True)
