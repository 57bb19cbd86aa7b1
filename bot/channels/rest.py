"""Rasa's REST contract: POST /webhooks/rest/webhook {"sender", "message"} → [{"text"…}].

It is for server-to-server use: the caller names its senders. A deployment that exposes it
sets `rest: {shared_secret: …}` in credentials.yml, and then every call must carry
`Authorization: Bearer <secret>`. The chat page's fallback is the one exception: a request
with the page's signed cookie speaks as that cookie's session, whatever `sender` says. A
bare sender in the shape of a server-issued web session is refused, so REST can never name
a web customer's conversation.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from aiohttp import web

from bot.appkeys import GATEWAY
from bot.channels.base import Channel, json_error
from bot.channels.identity import IDENTITY, ISSUED
from bot.delivery import Outcome
from bot.gateway import MAX_SENDER_LENGTH, well_formed
from bot.outage import is_outage
from bot.outbox import Outbox
from bot.ratelimit import RATE_LIMITER, SLOW_DOWN, too_many

MAX_BODY_BYTES = 256 * 1024
NOT_AUTHORISED = "这个接口需要对接凭证，请联系我们的技术同事获取；顾客请直接打开聊天页面与我们交流。"
RESERVED_SENDER = "这个会话编号由聊天页面专用，请换一个 sender，我们就能继续为您服务。"


class RestChannel(Channel):
    """Rasa's REST contract. Messages that arrived while the customer was away (an agent's
    reply, a follow-up) come first in the answer to their next message."""

    name = "rest"

    def __init__(self, outbox: Outbox, credentials: dict[str, Any] | None = None) -> None:
        self.outbox = outbox
        secret = (credentials or {}).get("shared_secret")
        self.shared_secret = str(secret) if secret else None

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/webhooks/rest", self.health)
        app.router.add_get("/webhooks/rest/", self.health)
        app.router.add_post("/webhooks/rest/webhook", self.receive)

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def receive(self, request: web.Request) -> web.Response:
        if request.content_length and request.content_length > MAX_BODY_BYTES:
            return json_error(413, "too_large", "消息内容有点多，麻烦分成几条发送，我会逐条认真看。")
        try:
            raw = await request.read()
            if len(raw) > MAX_BODY_BYTES:  # a chunked body has no Content-Length to check first
                return json_error(413, "too_large", "消息内容有点多，麻烦分成几条发送，我会逐条认真看。")
            body: Any = json.loads(raw.decode("utf-8")) if raw else None
        # RecursionError: "[[[[…" bombs; ValueError: also a number of over 4,300 digits
        except (UnicodeDecodeError, ValueError, RecursionError):
            return json_error(400, "invalid_json", "消息格式我们这边没能识别，请以 JSON 发送 sender 和 message 字段。")
        if not isinstance(body, dict):
            return json_error(400, "invalid_json", "请以 JSON 对象发送 sender 和 message 字段。")
        page_session = request.app[IDENTITY].from_request(request)
        if page_session is None and not self._authorised(request):
            return json_error(401, "unauthorised", NOT_AUTHORISED)
        sender = page_session or body.get("sender")
        if not isinstance(sender, (str, int)) or not str(sender).strip():
            return json_error(400, "missing_sender", "请在请求里带上 sender（会话编号），我们就能接着为您服务。")
        sender = well_formed(str(sender).strip()[:MAX_SENDER_LENGTH])
        if page_session is None and ISSUED.match(sender):
            return json_error(403, "reserved_sender", RESERVED_SENDER)
        message = body.get("message")
        text = message if isinstance(message, str) else "" if message is None else str(message)
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
        limiter = request.app[RATE_LIMITER]
        decision = await limiter.message(sender, limiter.client_ip(request))
        if not decision.allowed:  # not processed: the customer is asked to send it again later
            return too_many([{"recipient_id": sender, "text": SLOW_DOWN}], decision)
        replies = await request.app[GATEWAY].handle(sender, text, self.name, metadata)
        return web.json_response(await self._waiting(sender) + replies)

    def _authorised(self, request: web.Request) -> bool:
        if self.shared_secret is None:
            return True
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(sent.encode("utf-8", "replace"), self.shared_secret.encode())

    async def _waiting(self, sender: str) -> list[dict[str, Any]]:
        """Agent replies and follow-ups kept for this customer, shown before the answer. Taken
        after the turn: a turn that fails leaves them waiting, as does a database outage."""
        try:
            return await self.outbox.take(sender)
        except Exception as exc:
            if not is_outage(exc):
                raise
            return []

    async def deliver(self, sender_id: str, replies: list[dict[str, Any]]) -> bool:
        """The Delivery contract: kept until the customer's next message."""
        await self.outbox.put(sender_id, self.name, replies)
        return True

    async def deliver_kept(self, sender_id: str, replies: list[dict[str, Any]]) -> Outcome:
        await self.deliver(sender_id, replies)
        return Outcome.QUEUED
