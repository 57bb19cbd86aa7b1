"""WeChat Official Account (公众号) callback at /webhooks/wechat/webhook.

- GET: URL verification (signature over token/timestamp/nonce, echo `echostr`).
- POST: plain or safe mode (AES, `msg_signature`); XML checked with defusedxml (no DTDs,
  no entities) before wechatpy parses it.
- WeChat waits 5 s, then retries up to three times: every push is recorded once by MsgId
  (FromUserName+CreateTime for events) with a lease on its turn (bot/channels/wechat_inbox.py):
  a retry runs the bot only when the process that took the push died before answering it.
- Replies within the deadline go back passively; anything later (a slow turn, a slow photo
  download) goes through the customer-service message API, inside the 48-hour window.
- Image messages are downloaded through the temporary-media API and kept as evidence with the
  chat page's rules (bot/evidence.py).
- Messages the customer did not just ask for (`deliver`) use the customer-service API inside
  the window and, outside it, one template message when `followup_template_id` is configured.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from datetime import timedelta
from typing import Any

from aiohttp import web
from defusedxml import ElementTree as SafeET
from sqlalchemy import func, select
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.appkeys import GATEWAY, SERVICES
from bot.channels.base import Channel
from bot.channels.wechat_api import WeChatApi
from bot.channels.wechat_inbox import DEFAULT_LEASE_S, POLL_S, WAIT_MARGIN_S, Turn, WeChatInbox
from bot.delivery import Outcome
from bot.evidence import MAX_BYTES, store_upload
from bot.outbox import Outbox
from bot.ratelimit import RATE_LIMITER, SLOW_DOWN
from bot.storage import models as m
from bot.storage.db import session_scope

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_CLOCK_SKEW = 600  # seconds; older pushes are replays
PASSIVE_LIMIT = 600  # characters that fit one passive text reply (2048 bytes)
WINDOW = timedelta(hours=48)

WELCOME = "感谢关注倾听客服！遇到商品质量、服务、账单、配送或售后方面的问题，直接发消息告诉我，我马上帮您处理。"
MENU = {"COMPLAIN": "我要投诉", "我要投诉": "我要投诉", "PROGRESS": "我的投诉处理得怎么样了", "查询进度": "我的投诉处理得怎么样了"}
IMAGE_RECEIVED = "照片已收到，已附在您的投诉记录里，处理的同事会看到。还有想补充的，直接发文字告诉我就好。"
IMAGE_RETRY = "这张照片还在路上，麻烦您再发一次，收到后我马上附到您的投诉记录里。"
FOLLOWUP_REMARK = "直接在公众号里回复我们，就能接着聊，我们一直在。"
TEMPLATE_FIRST_LIMIT = 200
LOCATION_RECEIVED = "位置已经收到，谢谢您！请用文字说说遇到的情况，我来帮您处理。"


def render(replies: list[dict[str, Any]]) -> str:
    """Bot messages as one WeChat text: buttons become options the customer can type."""
    parts: list[str] = []
    for reply in replies:
        if reply.get("text"):
            parts.append(reply["text"])
        titles = [b["title"] for b in reply.get("buttons") or []]
        if titles:
            parts.append("您可以直接回复：" + " / ".join(titles))
    return "\n\n".join(parts)


class WeChatChannel(Channel):
    name = "wechat"

    def __init__(self, config: dict[str, Any], database_url: str | None = None) -> None:
        self.token = str(config["token"])
        self.app_id = str(config["app_id"])
        aes_key = config.get("encoding_aes_key")
        self.crypto = WeChatCrypto(self.token, str(aes_key), self.app_id) if aes_key else None
        self.api = WeChatApi(self.app_id, str(config["app_secret"]),
                             str(config.get("api_base") or "https://api.weixin.qq.com"))
        self.deadline = float(config.get("reply_deadline_seconds") or 4.5)
        self.followup_template_id = str(config.get("followup_template_id") or "")
        self.database_url = database_url
        # Kept shorter than a retry's wait, so the wait always outlasts a dead holder's lease.
        lease_s = float(config.get("inbox_lease_seconds") or DEFAULT_LEASE_S)
        self.lease_s = max(0.5, min(lease_s, self.deadline - WAIT_MARGIN_S))
        self._inbox: WeChatInbox | None = None

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/webhooks/wechat/webhook", self.verify)
        app.router.add_post("/webhooks/wechat/webhook", self.receive)

    # --- verification ----------------------------------------------------------------------
    def _signed(self, query: Any) -> bool:
        try:
            check_signature(self.token, query.get("signature", ""), query.get("timestamp", ""),
                            query.get("nonce", ""))
        except InvalidSignatureException:
            return False
        return True

    async def verify(self, request: web.Request) -> web.Response:
        if not self._signed(request.query):
            return web.Response(status=403, text="invalid signature")
        return web.Response(text=request.query.get("echostr", ""))

    # --- inbound -----------------------------------------------------------------------------
    async def receive(self, request: web.Request) -> web.Response:
        query = request.query
        if request.content_length and request.content_length > MAX_BODY_BYTES:
            return web.Response(status=413, text="too large")
        body = await request.read()
        safe_mode = query.get("encrypt_type") == "aes"
        try:
            xml = self._open(body, query, safe_mode)
        except (InvalidSignatureException, InvalidAppIdException):
            return web.Response(status=403, text="invalid signature")
        except ValueError:
            return web.Response(status=400, text="malformed message")
        if not self._fresh(query.get("timestamp", "")):
            return web.Response(status=403, text="stale timestamp")
        try:
            SafeET.fromstring(xml)  # refuses DTDs, entity expansion and external entities
            message = parse_message(xml)
            _ = (message.id, message.create_time)  # wechatpy converts lazily: MsgId "abc" fails here
        except Exception:  # noqa: BLE001 — any malformed XML is answered the same way
            return web.Response(status=400, text="malformed message")
        if message is None or not getattr(message, "source", None):
            return web.Response(status=400, text="malformed message")
        content = await self._reply_for(request.app, message)
        if not content:
            return web.Response(text="success")
        reply = TextReply(message=message, content=content).render()
        if safe_mode and self.crypto is not None:
            reply = self.crypto.encrypt_message(reply, query.get("nonce", ""), query.get("timestamp"))
        return web.Response(text=reply, content_type="application/xml")

    def _open(self, body: bytes, query: Any, safe_mode: bool) -> str:
        if safe_mode:
            if self.crypto is None:
                raise InvalidSignatureException()
            try:
                return self.crypto.decrypt_message(body, query.get("msg_signature", ""),
                                                   query.get("timestamp", ""), query.get("nonce", ""))
            except (InvalidSignatureException, InvalidAppIdException):
                raise
            except Exception as exc:  # noqa: BLE001 — broken ciphertext or XML envelope
                raise ValueError("cannot decrypt") from exc
        if not self._signed(query):
            raise InvalidSignatureException()
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError("not utf-8") from exc

    @staticmethod
    def _fresh(timestamp: str) -> bool:
        try:
            return abs(time.time() - int(timestamp)) <= MAX_CLOCK_SKEW
        except ValueError:
            return False

    # --- one push, once ----------------------------------------------------------------------
    @staticmethod
    def dedupe_key(message: Any) -> str:
        msg_id = getattr(message, "id", None)
        if msg_id:
            return f"msg:{msg_id}"
        raw = f"{message.source}:{message.create_time.timestamp() if hasattr(message.create_time, 'timestamp') else message.create_time}"
        return "evt:" + hashlib.sha1(raw.encode()).hexdigest()

    def inbox(self, url: str) -> WeChatInbox:
        if self._inbox is None or self._inbox.url != url:
            self._inbox = WeChatInbox(url, self.lease_s)
        return self._inbox

    async def _reply_for(self, app: web.Application, message: Any) -> str:
        """Run the push's turn if this request holds it; a retry of a push another process is
        still answering waits (up to the deadline) for that answer instead."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.deadline
        inbox = self.inbox(app[SERVICES].settings.database_url)
        turn = inbox.turn(self.dedupe_key(message), message.source)
        while not await inbox.claim(turn):
            reply = await inbox.finished_reply(turn.key)
            if reply is not None:
                return reply
            if loop.time() + POLL_S >= deadline:
                return ""  # the holder renews, so it lives: its late answer goes through the API
            await asyncio.sleep(POLL_S)
        inbox.keep_alive(turn)
        return await self._run_turn(app, message, inbox, turn, deadline - loop.time())

    async def _run_turn(self, app: web.Application, message: Any, inbox: WeChatInbox, turn: Turn,
                        time_left: float) -> str:
        """This request holds the push: answer passively in time, else through the API."""
        # Per openid only: every push comes from WeChat's own servers, so their IP says nothing.
        # Checked after the MsgId is recorded: WeChat's retries get the same reply, never a count.
        if not (await app[RATE_LIMITER].hit("customer", f"wechat:{message.source}")).allowed:
            await inbox.finish(turn, "replied", SLOW_DOWN)
            return SLOW_DOWN
        task = asyncio.create_task(self._answer(app, message))
        try:
            content = await asyncio.wait_for(asyncio.shield(task), timeout=max(time_left, 0.1))
        except asyncio.TimeoutError:
            # Too slow for WeChat's 5 s: acknowledge now, deliver through the API when ready.
            task.add_done_callback(lambda t: asyncio.ensure_future(self._deliver_later(inbox, turn, t)))
            return ""
        except Exception:
            await inbox.finish(turn, "failed")
            raise
        if len(content) > PASSIVE_LIMIT:
            asyncio.ensure_future(self._send_chunks(inbox, turn, content))
            return ""
        await inbox.finish(turn, "replied", content)
        return content

    @staticmethod
    def _inside_window(url: str, openid: str) -> bool:
        with session_scope(url) as session:
            last = session.execute(
                select(func.max(m.WeChatInbox.received_at)).where(m.WeChatInbox.openid == openid)
            ).scalar_one_or_none()
        return last is not None and m.utcnow() - last <= WINDOW

    async def _deliver_later(self, inbox: WeChatInbox, turn: Turn, task: asyncio.Task) -> None:
        if task.cancelled() or task.exception() is not None:
            await inbox.finish(turn, "failed")
            return
        await self._send_chunks(inbox, turn, task.result())

    async def _send_chunks(self, inbox: WeChatInbox, turn: Turn, content: str) -> None:
        """An answer too slow or too long for the passive reply, through the customer-service
        API. What the API refuses (an error, a timeout, the window passed) is kept in the
        durable outbox and comes first in the answer to the customer's next message."""
        try:
            state = await self._push_or_keep(inbox.url, turn.openid, content)
        except Exception:
            await inbox.finish(turn, "failed", content)
            raise
        await inbox.finish(turn, state, content)

    async def _push_or_keep(self, url: str, openid: str, content: str) -> str:
        if not content:
            return "sent"
        chunks = [content[start : start + PASSIVE_LIMIT] for start in range(0, len(content), PASSIVE_LIMIT)]
        sent = 0
        if await asyncio.to_thread(self._inside_window, url, openid):
            while sent < len(chunks) and (await self.api.send_text(openid, chunks[sent])).ok:
                sent += 1
        if sent < len(chunks):
            await Outbox(url).put(f"wechat:{openid}", self.name, [{"text": chunk} for chunk in chunks[sent:]])
        return "sent" if sent == len(chunks) else "queued"

    async def deliver(self, sender_id: str, replies: list[dict[str, Any]]) -> bool:
        """The Delivery contract: the customer-service API inside the 48-hour window, else one
        template message (when configured)."""
        from bot.services import services

        content = render(replies)
        if not content:
            return False
        openid = sender_id.split(":", 1)[-1]
        url = self.database_url or services().settings.database_url
        if await asyncio.to_thread(self._inside_window, url, openid):
            result = await self.api.send_text(openid, content)
            if not result.window_passed:
                return result.ok
        return await self.send_followup_template(openid, replies)

    async def deliver_kept(self, sender_id: str, replies: list[dict[str, Any]]) -> Outcome:
        """A person's messages (an agent's reply): pushed as `deliver` does; what WeChat refuses
        (the 48-hour window passed (45015), too many messages without an answer (45047), the
        API away) waits in the durable outbox and comes first in the passive reply to the
        customer's next message, which neither limit binds: once (Outbox.take)."""
        if await self.deliver(sender_id, replies):
            return Outcome.PUSHED
        from bot.services import services

        kept = [reply for reply in replies if reply.get("text") or reply.get("buttons")]
        if not kept:
            return Outcome.HISTORY
        await Outbox(self.database_url or services().settings.database_url).put(sender_id, self.name, kept)
        return Outcome.QUEUED

    async def send_followup_template(self, openid: str, replies: list[dict[str, Any]]) -> bool:
        if not self.followup_template_id:
            return False
        first = next((r["text"] for r in replies if r.get("text")), "")[:TEMPLATE_FIRST_LIMIT]
        data = {"first": first, "remark": FOLLOWUP_REMARK}
        return (await self.api.send_template(openid, self.followup_template_id, data)).ok

    # --- what each kind of push gets -------------------------------------------------------
    async def _answer(self, app: web.Application, message: Any) -> str:
        kb = app[SERVICES].kb
        kind = message.type
        text: str | None = None
        if kind == "text":
            text = message.content
        elif kind == "voice":
            text = getattr(message, "recognition", None)
            if not text:
                return random.choice(kb.language.unsupported_media)
        elif kind == "image":
            return await self._keep_image(app, message)
        elif kind == "location":
            return LOCATION_RECEIVED
        elif kind == "event":
            event = getattr(message, "event", "")
            if event == "subscribe":
                return WELCOME
            if event == "click":
                text = MENU.get(getattr(message, "key", "") or "")
            if not text:
                return ""
        else:
            return random.choice(kb.language.unsupported_media)
        sender = f"wechat:{message.source}"
        replies = await app[GATEWAY].handle(sender, text or "", self.name)
        # What the API could not send earlier comes first (taken after the turn, as on REST).
        waiting = await Outbox(app[SERVICES].settings.database_url).take(sender)
        return render(waiting + replies)

    async def _keep_image(self, app: web.Application, message: Any) -> str:
        """Download the picture and keep it as evidence, like a photo from the chat page."""
        media = await self.api.download_media(str(message.media_id or ""), MAX_BYTES)
        if not media.ok:
            return IMAGE_RETRY
        settings = app[SERVICES].settings
        result = await asyncio.to_thread(
            store_upload, settings.database_url, settings.var_dir / "uploads",
            f"wechat:{message.source}", self.name, media.data,
        )
        return IMAGE_RECEIVED if result.ok else result.message
