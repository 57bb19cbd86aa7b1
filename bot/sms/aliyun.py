"""Alibaba Cloud SMS (dysmsapi, API version 2017-05-25, action SendSms) over HTTPS GET.

The customer's words travel as one template variable: the configured template (TemplateCode)
must be a notification template whose whole body is that variable, e.g. `${content}`, with
the variable allowed to carry up to MAX_SMS_CHARS characters. The text is cut to that length.

One send makes up to `attempts` requests, each freshly signed (a new SignatureNonce and
Timestamp): HTTP 5xx, timeouts, connection errors and throttling codes are retried with
back-off; any other code is answered at once as SmsRejected (no retry here), `final` for codes
that no later attempt can change (an illegal number, a text the template cannot carry).
Neither the phone nor the text is ever logged in clear: only the masked phone and the code.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)
from yarl import URL

from bot.sms.base import SmsRejected, SmsUnavailable
from bot.sms.local import MAX_SMS_CHARS
from bot.sms.signing import signed_query
from bot.storage.crypto import mask_phone

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
API_VERSION = "2017-05-25"
# Worth another try in a moment: the platform is busy, or this number's frequency limit is hit.
THROTTLING = frozenset({
    "isv.BUSINESS_LIMIT_CONTROL", "Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable",
    "InternalError", "isp.SYSTEM_ERROR",
})
# No later attempt can help this number and this text.
FINAL = frozenset({
    "isv.MOBILE_NUMBER_ILLEGAL", "isv.PARAM_LENGTH_LIMIT", "isv.INVALID_JSON_PARAM",
    "isv.TEMPLATE_PARAMS_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT",
})


@dataclass(frozen=True)
class AliyunSmsConfig:
    access_key_id: str
    access_key_secret: str
    sign_name: str
    template_code: str
    endpoint: str = DEFAULT_ENDPOINT
    region_id: str = "cn-hangzhou"
    template_param: str = "content"  # the template's variable that carries the text
    timeout_s: float = 10.0
    attempts: int = 3
    retry_wait_s: float = 1.0  # first back-off; doubles, capped at 8x


def timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class AliyunSms:
    def __init__(self, config: AliyunSmsConfig) -> None:
        self.config = config

    async def send(self, phone: str, text: str) -> bool:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(SmsUnavailable), stop=stop_after_attempt(self.config.attempts),
            wait=wait_exponential(multiplier=self.config.retry_wait_s, max=self.config.retry_wait_s * 8),
            before_sleep=lambda state: _log_retry(phone, state), reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    biz_id = await self._request(phone, text[:MAX_SMS_CHARS])
        except SmsRejected as exc:
            log.warning("sms to %s rejected: %s (final=%s)", mask_phone(phone), exc.code, exc.final)
            raise
        except SmsUnavailable as exc:
            log.warning("sms to %s not sent after %d attempts: %s", mask_phone(phone), self.config.attempts, exc.code)
            raise
        log.info("sms to %s accepted, BizId %s", mask_phone(phone), biz_id)
        return True

    def params(self, phone: str, text: str) -> dict[str, str]:
        c = self.config
        return {
            "AccessKeyId": c.access_key_id, "Action": "SendSms", "Format": "JSON", "PhoneNumbers": phone,
            "RegionId": c.region_id, "SignName": c.sign_name, "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0", "TemplateCode": c.template_code,
            "TemplateParam": json.dumps({c.template_param: text}, ensure_ascii=False), "Timestamp": timestamp(),
            "Version": API_VERSION,
        }

    def url(self, phone: str, text: str) -> URL:
        query = signed_query(self.config.access_key_secret, "GET", self.params(phone, text))
        return URL(f"{self.config.endpoint.rstrip('/')}/?{query}", encoded=True)  # sent as signed

    async def _request(self, phone: str, text: str) -> str:
        """The BizId of an accepted message; SmsUnavailable or SmsRejected otherwise."""
        timeout = aiohttp.ClientTimeout(total=self.config.timeout_s)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session, session.get(self.url(phone, text)) as answer:
                status, body = answer.status, await answer.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise SmsUnavailable(type(exc).__name__) from None  # the URL holds the phone: no chaining
        return _outcome(status, body)


def _outcome(status: int, body: bytes) -> str:
    if status >= 500:
        raise SmsUnavailable(f"HTTP {status}")
    try:
        answer = json.loads(body)
        code = str(answer.get("Code", ""))
    except (ValueError, AttributeError):
        raise SmsUnavailable(f"HTTP {status} unreadable answer") from None
    if code == "OK" and status == 200:
        return str(answer.get("BizId", ""))
    if code in THROTTLING:
        raise SmsUnavailable(code)
    raise SmsRejected(code or f"HTTP {status}", final=code in FINAL)


def _log_retry(phone: str, state: RetryCallState) -> None:
    failure = state.outcome.exception() if state.outcome else None
    log.info("sms to %s: %s, attempt %d, trying again", mask_phone(phone),
             getattr(failure, "code", type(failure).__name__), state.attempt_number)
