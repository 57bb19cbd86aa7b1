"""The WeChat Official Account API as a client: access_token cache and customer-service messages.

Documented protocol: GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=… →
{"access_token", "expires_in"}; POST /cgi-bin/message/custom/send?access_token=… with
{"touser", "msgtype": "text", "text": {"content"}} → {"errcode": 0}. 40001/42001 mean the
token is invalid/expired (refresh once and retry); 45015 means the 48-hour window passed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import aiohttp

log = logging.getLogger(__name__)

TOKEN_ERRORS = {40001, 40014, 42001}
WINDOW_PASSED = 45015


@dataclass
class SendResult:
    ok: bool
    errcode: int = 0

    @property
    def window_passed(self) -> bool:
        return self.errcode == WINDOW_PASSED


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

    async def send_text(self, openid: str, content: str) -> SendResult:
        payload = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        for attempt in range(2):
            token = await self.access_token(refresh=attempt > 0)
            try:
                async with aiohttp.ClientSession(timeout=self.timeout) as session, session.post(
                    f"{self.base_url}/cgi-bin/message/custom/send", params={"access_token": token},
                    json=payload,
                ) as response:
                    body = await response.json(content_type=None)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                log.warning("wechat custom send failed: %s", type(exc).__name__)
                return SendResult(False, -1)
            errcode = int(body.get("errcode") or 0)
            if errcode in TOKEN_ERRORS and attempt == 0:
                continue
            if errcode:
                log.warning("wechat custom send errcode %s", errcode)
            return SendResult(errcode == 0, errcode)
        return SendResult(False, -1)
