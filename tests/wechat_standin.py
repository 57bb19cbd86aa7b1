"""A local stand-in for the WeChat API servers, in the documented protocol shapes: token,
customer-service send and template send (recorded), temporary media download (bytes a test
registered per media_id; JSON errcode 40007 for unknown ids).

Fault injection for the sends (customer-service and template): `failing` set to "busy"
answers errcode -1 (系统繁忙), "http500" an HTTP 500, "hang" waits `hang_s` seconds and then
answers errcode -1 (the caller has timed out long before); every refused attempt is recorded
in `refused` and nothing is recorded as sent. `refusing` maps an openid to the errcode its
customer-service sends get (45015: the 48-hour window passed; 45047: too many messages
without an answer), as WeChat refuses one customer while serving the others."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

ERRMSG = {45015: "response out of time limit or subscription is canceled", 45047: "out of response count limit"}


@dataclass(frozen=True)
class Media:
    data: bytes
    content_type: str
    delay: float = 0.0  # seconds before answering, like a slow media server


class WeChatApiStandIn:
    def __init__(self, app_id: str, app_secret: str) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.sent: list[dict[str, Any]] = []
        self.templates: list[dict[str, Any]] = []
        self.media: dict[str, Media] = {}
        self.media_requests: list[str] = []
        self.token_requests = 0
        self.failing: str | None = None  # None, "busy", "http500" or "hang"
        self.hang_s = 8.0
        self.refused: list[dict[str, Any]] = []
        self.refusing: dict[str, int] = {}  # openid -> errcode for its customer-service sends
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        app.router.add_post("/cgi-bin/message/template/send", self._template)
        app.router.add_get("/cgi-bin/media/get", self._media)
        return app

    async def _token(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("appid") != self.app_id or query.get("secret") != self.app_secret:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        self.token_requests += 1
        return web.json_response({"access_token": f"token-{self.token_requests}", "expires_in": 7200})

    async def _fault(self, request: web.Request) -> web.Response | None:
        """The injected failure's answer, or None when sends work."""
        if self.failing is None:
            return None
        self.refused.append({**(await request.json()), "fault": self.failing})
        if self.failing == "http500":
            return web.Response(status=500, text="internal error")
        if self.failing == "hang":
            await asyncio.sleep(self.hang_s)
        return web.json_response({"errcode": -1, "errmsg": "system error"})

    async def _send(self, request: web.Request) -> web.Response:
        if not request.query.get("access_token", "").startswith("token-"):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        fault = await self._fault(request)
        if fault is not None:
            return fault
        body = await request.json()
        errcode = self.refusing.get(str(body.get("touser")))
        if errcode:
            self.refused.append({**body, "fault": errcode})
            return web.json_response({"errcode": errcode, "errmsg": ERRMSG.get(errcode, "refused")})
        self.sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _template(self, request: web.Request) -> web.Response:
        if not request.query.get("access_token", "").startswith("token-"):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        fault = await self._fault(request)
        if fault is not None:
            return fault
        body = await request.json()
        if not body.get("template_id"):
            return web.json_response({"errcode": 40037, "errmsg": "invalid template_id"})
        self.templates.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": len(self.templates)})

    async def _media(self, request: web.Request) -> web.StreamResponse:
        if not request.query.get("access_token", "").startswith("token-"):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        media_id = request.query.get("media_id", "")
        self.media_requests.append(media_id)
        media = self.media.get(media_id)
        if media is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        await asyncio.sleep(media.delay)
        return web.Response(body=media.data, headers={"Content-Type": media.content_type,
                                                      "Content-disposition": f'attachment; filename="{media_id}"'})

    def add_media(self, media_id: str, data: bytes, content_type: str = "image/png", delay: float = 0.0) -> None:
        """What media/get serves for this media_id from now on."""
        self.media[media_id] = Media(data, content_type, delay)

    def start(self) -> None:
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._runner = web.AppRunner(self._app())
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.url = f"http://127.0.0.1:{port}"
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(10)

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def sent_to(self, openid: str, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Messages sent to this openid, waiting up to `timeout` for the first one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.sent if m.get("touser") == openid]
            if found:
                return found
            time.sleep(0.2)
        return []

    def templates_to(self, openid: str) -> list[dict[str, Any]]:
        return [t for t in self.templates if t.get("touser") == openid]
