"""A local stand-in for Alibaba Cloud SMS (dysmsapi SendSms), checking requests as the provider does.

It recomputes the signature from the parameters it received and the shared secret, with its
own percent-encoding written from the provider's documented Java recipe (URLEncoder, then
"+" → %20, "*" → %2A, %7E → ~) rather than the product's code, and answers as the provider:
  HTTP 404 InvalidAccessKeyId.NotFound · HTTP 400 MissingParameter / SignatureDoesNotMatch /
  SignatureNonceUsed / InvalidTimeStamp.Expired · HTTP 200 {"Code": "OK", "BizId", …}
`script(phone, "503", "isv.BUSINESS_LIMIT_CONTROL", …)` queues answers for one number:
"503" is an HTTP 503, any other entry a Code in an HTTP 200 body; then it answers OK.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import quote_plus

from aiohttp import web

ACCESS_KEY_ID = "LTAI-standin-id"
ACCESS_KEY_SECRET = "standin-secret-不要外传"
SIGN_NAME = "青听客服"
TEMPLATE_CODE = "SMS_000000001"
REQUIRED = ("AccessKeyId", "Action", "Format", "PhoneNumbers", "SignName", "TemplateCode", "SignatureMethod",
            "SignatureNonce", "SignatureVersion", "Timestamp", "Version", "Signature")
MAX_SKEW = timedelta(minutes=15)


def java_percent_encode(value: str) -> str:
    return quote_plus(value, safe="*").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def expected_signature(secret: str, method: str, params: dict[str, str]) -> str:
    canonical = "&".join(f"{java_percent_encode(k)}={java_percent_encode(params[k])}"
                         for k in sorted(params) if k != "Signature")
    to_sign = f"{method}&{java_percent_encode('/')}&{java_percent_encode(canonical)}"
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


@dataclass
class Accepted:
    phone: str
    sign_name: str
    template_code: str
    template_param: dict
    biz_id: str


@dataclass
class SmsStandIn:
    secret: str = ACCESS_KEY_SECRET
    accepted: list[Accepted] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)  # every request, as received
    answers: list[str] = field(default_factory=list)  # what each request was told (a Code or "503")
    nonces: set[str] = field(default_factory=set)
    scripted: dict[str, deque[str]] = field(default_factory=lambda: defaultdict(deque))

    def script(self, phone: str, *outcomes: str) -> None:
        self.scripted[phone].extend(outcomes)

    def requests_for(self, phone: str) -> list[dict[str, str]]:
        return [r for r in self.requests if r.get("PhoneNumbers") == phone]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        self.requests.append(params)
        refused = self._refusal(request.method, params)
        if refused is not None:
            self.answers.append(refused[1])
            return _error(*refused)
        self.nonces.add(params["SignatureNonce"])
        return self._answer(params)

    def _refusal(self, method: str, params: dict[str, str]) -> tuple[int, str] | None:
        missing = [name for name in REQUIRED if not params.get(name)]
        if missing:
            return 400, "MissingParameter"
        if params["AccessKeyId"] != ACCESS_KEY_ID:
            return 404, "InvalidAccessKeyId.NotFound"
        if not hmac.compare_digest(params["Signature"], expected_signature(self.secret, method, params)):
            return 400, "SignatureDoesNotMatch"
        if params["SignatureNonce"] in self.nonces:
            return 400, "SignatureNonceUsed"
        if not _fresh(params["Timestamp"]):
            return 400, "InvalidTimeStamp.Expired"
        return None

    def _answer(self, params: dict[str, str]) -> web.Response:
        phone = params["PhoneNumbers"]
        outcome = self.scripted[phone].popleft() if self.scripted[phone] else "OK"
        self.answers.append(outcome)
        if outcome == "503":
            return web.Response(status=503, text="Service Unavailable")
        body = {"Code": outcome, "Message": "OK" if outcome == "OK" else "scripted", "RequestId": _request_id()}
        if outcome == "OK":
            body["BizId"] = uuid.uuid4().hex[:20]
            self.accepted.append(Accepted(phone, params["SignName"], params["TemplateCode"],
                                          json.loads(params.get("TemplateParam") or "{}"), body["BizId"]))
        return web.json_response(body)


def _fresh(stamp: str) -> bool:
    try:
        at = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return False
    return abs(datetime.now(timezone.utc) - at) <= MAX_SKEW


def _request_id() -> str:
    return str(uuid.uuid4()).upper()


def _error(status: int, code: str) -> web.Response:
    messages = {"SignatureDoesNotMatch": "Specified signature is not matched with our calculation.",
                "SignatureNonceUsed": "Specified signature nonce was used already.",
                "InvalidAccessKeyId.NotFound": "Specified access key is not found.",
                "MissingParameter": "A required parameter is missing.",
                "InvalidTimeStamp.Expired": "Specified time stamp or date value is expired."}
    return web.json_response({"Code": code, "Message": messages.get(code, code), "RequestId": _request_id(),
                              "HostId": "dysmsapi.aliyuncs.com"}, status=status)
