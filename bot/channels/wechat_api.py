"""The WeChat Official Account API as a client: access_token cache, customer-service and
template messages, temporary media downloads.

Documented protocol: GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=… →
{"access_token", "expires_in"}; POST /cgi-bin/message/custom/send?access_token=… with
{"touser", "msgtype": "text", "text": {"content"}} → {"errcode": 0}; POST
/cgi-bin/message/template/send?access_token=… with {"touser", "template_id", "url"?,
"data": {"first": {"value"}, "keyword1": {…}, …, "remark": {…}}} → {"errcode": 0, "msgid"};
GET /cgi-bin/media/get?access_token=…&media_id=… → the raw bytes (Content-Type image/*), or
JSON {"errcode": 40007, "errmsg": "invalid media_id"}. 40001/42001 mean the token is
invalid/expired (refresh once and retry); 45015 means the 48-hour window passed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

TOKEN_ERRORS = {40001, 40014, 42001}
WINDOW_PASSED = 45015
MEDIA_TIMEOUT = aiohttp.ClientTimeout(total=30)  # downloads run after the passive reply if slow
ERROR_BODY_LIMIT = 4096  # a JSON error answer is short; a picture is never parsed as JSON

# One HTTP exchange with a given token: (errcode, body bytes worth keeping).
Exchange = Callable[[aiohttp.ClientSession, str], Awaitable[tuple[int, bytes]]]


@dataclass
class SendResult:
    ok: bool
    errcode: int = 0
    data: bytes = b""  # the downloaded media, for media/get

    @property
    def window_passed(self) -> bool:
        return self.errcode == WINDOW_PASSED


async def read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body, but never more than limit + 1 bytes (enough to tell it is too large)."""
    data = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        data.extend(chunk)
        if len(data) > limit:
            break
    return bytes(data[: limit + 1])


def media_errcode(content_type: str, data: bytes) -> int:
    """media/get answers errors as a small JSON object; anything else is the media itself."""
    if content_type.startswith("image/") or len(data) > ERROR_BODY_LIMIT:
        return 0
    try:
        body = json.loads(data)
    except ValueError:
        return 0
    return int(body.get("errcode") or 0) if isinstance(body, dict) else 0


class WeChatApi:
    def __init__(self, app_id: str, app_secret: str, base_url: str = "https://api.weixin.qq.com",
                 timeout: float = 5.0) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def access_token(self, refresh: bool = False) -> str:
        async with self._lock:
            if refresh or not self._token or time.monotonic() >= self._expires_at:
                params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret}
                async with aiohttp.ClientSession(timeout=self.timeout) as session, session.get(
                    f"{self.base_url}/cgi-bin/token", params=params
                ) as response:
                    body = await response.json(content_type=None)
                if "access_token" not in body:
                    raise RuntimeError(f"token endpoint answered errcode {body.get('errcode')}")
                self._token = body["access_token"]
                # Refresh five minutes early so a token never expires mid-request.
                self._expires_at = time.monotonic() + max(60, int(body.get("expires_in", 7200)) - 300)
            return self._token  # type: ignore[return-value]

    async def _call(self, what: str, exchange: Exchange, timeout: aiohttp.ClientTimeout | None = None) -> SendResult:
        """Run one exchange with the cached token; on a token error refresh it and retry once."""
        for attempt in range(2):
            try:
                token = await self.access_token(refresh=attempt > 0)
                async with aiohttp.ClientSession(timeout=timeout or self.timeout) as session:
                    errcode, data = await exchange(session, token)
            except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError, ValueError) as exc:
                log.warning("wechat %s failed: %s", what, type(exc).__name__)
                return SendResult(False, -1)
            if errcode in TOKEN_ERRORS and attempt == 0:
                continue
            if errcode:
                log.warning("wechat %s errcode %s", what, errcode)
            return SendResult(errcode == 0, errcode, data)
        return SendResult(False, -1)

    async def _post_json(self, what: str, path: str, payload: dict[str, Any]) -> SendResult:
        async def exchange(session: aiohttp.ClientSession, token: str) -> tuple[int, bytes]:
            async with session.post(f"{self.base_url}{path}", params={"access_token": token},
                                    json=payload) as response:
                body = await response.json(content_type=None)
            return int(body.get("errcode") or 0), b""

        return await self._call(what, exchange)

    async def send_text(self, openid: str, content: str) -> SendResult:
        payload = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        return await self._post_json("custom send", "/cgi-bin/message/custom/send", payload)

    async def send_template(self, openid: str, template_id: str, data: dict[str, Any],
                            url: str | None = None) -> SendResult:
        """A template message; plain strings in `data` become {"value": …}."""
        payload: dict[str, Any] = {
            "touser": openid, "template_id": template_id,
            "data": {key: value if isinstance(value, dict) else {"value": value} for key, value in data.items()},
        }
        if url:
            payload["url"] = url
        return await self._post_json("template send", "/cgi-bin/message/template/send", payload)

    async def download_media(self, media_id: str, limit: int) -> SendResult:
        """A temporary media file's bytes in `data` (at most limit + 1 of them)."""
        async def exchange(session: aiohttp.ClientSession, token: str) -> tuple[int, bytes]:
            async with session.get(f"{self.base_url}/cgi-bin/media/get",
                                   params={"access_token": token, "media_id": media_id}) as response:
                if response.status != 200:
                    return -1, b""
                data = await read_capped(response, limit)
                return media_errcode(response.content_type, data), data

        return await self._call("media get", exchange, MEDIA_TIMEOUT)
