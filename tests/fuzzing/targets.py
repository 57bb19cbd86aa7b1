"""Send one generated case to its entry point and judge the answer.

Every HTTP target is `async (Target, case) -> Outcome`; the in-process ones are plain
functions. bench/fuzz.py runs thousands of cases concurrently, tests/hardening runs a
few hundred through hypothesis (which then shrinks a failure to its smallest form).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import socketio
import yaml

from bot.channels.socketio import FLOOD_NOTICE
from bot.ratelimit import SLOW_DOWN
from tests.fuzzing import oracles
from tests.fuzzing.strategies import (
    SESSION,
    ConsoleCase,
    HttpCase,
    KbMutation,
    SocketCase,
    UploadCase,
    WeChatCase,
)

TIMEOUT = aiohttp.ClientTimeout(total=120)
HELD_BACK = (FLOOD_NOTICE, SLOW_DOWN)
WECHAT_PATH = "/webhooks/wechat/webhook"


@dataclass
class Outcome:
    status: int | str  # HTTP status, or a word for in-process targets (loaded, refused, parsed …)
    problems: list[str] = field(default_factory=list)
    # (sender id, text) pairs the server said it took: each must be in the tracker afterwards.
    delivered: list[tuple[str, str]] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)  # sha256 of photos the server said it kept
    inputs: int = 1  # a socket.io case carries several messages


@dataclass
class Admin:
    cookies: dict[str, str]
    csrf: str


@dataclass
class Target:
    """Where to send: the server, a plain client and (for the console) an admin's session."""

    base: str
    http: aiohttp.ClientSession
    admin: Admin | None = None
    wechat: dict[str, str] | None = None
    talked: str | None = None  # a chat-page credential whose conversation exists (photos may follow)

    @classmethod
    async def open(cls, base: str, wechat: dict[str, str] | None = None, admin: tuple[str, str] | None = None,
                   limit: int = 64) -> Target:
        # A fresh connection per request: a case the server refused half-read must not leave
        # the next case a connection in an odd state.
        http = aiohttp.ClientSession(timeout=TIMEOUT, cookie_jar=aiohttp.DummyCookieJar(),
                                     connector=aiohttp.TCPConnector(limit=limit, force_close=True))
        target = cls(base, http, None, wechat)
        if admin:
            target.admin = await login(base, *admin)
        return target

    async def close(self) -> None:
        await self.http.close()


async def login(base: str, username: str, password: str) -> Admin:
    async with aiohttp.ClientSession(timeout=TIMEOUT, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(base + "/api/auth/session") as response:
            csrf = (await response.json())["csrf_token"]
        async with http.post(base + "/api/auth/login", json={"username": username, "password": password},
                             headers={"X-CSRF-Token": csrf}) as response:
            assert response.status == 200, await response.text()
            csrf = (await response.json())["csrf_token"]
        cookies = {c.key: c.value for c in http.cookie_jar}
    return Admin(cookies, csrf)


def judge_http(status: int, body: bytes, polite: bool = True) -> list[str]:
    if status >= 500:
        return [f"{status}: {body[:120]!r}"]
    if status >= 400 and polite:
        return oracles.error_body_problems(body)
    return []


async def _chunks(data: bytes):  # type: ignore[no-untyped-def]
    for start in range(0, len(data), 64 * 1024):
        yield data[start : start + 64 * 1024]


def _payload(data: bytes, chunked: bool) -> Any:
    return _chunks(data) if chunked else data


async def attempt(run, target: Target, case: Any) -> Outcome:  # type: ignore[no-untyped-def]
    """Run one case; a connection that broke is an outcome too, not a crash of the fuzzer."""
    try:
        return await run(target, case)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return no_answer(case, exc)


def no_answer(case: Any, exc: BaseException) -> Outcome:
    """The server refused an oversized body from its headers and closed the connection while
    the client was still sending it: the refusal is right, the client just cannot read it."""
    size = len(getattr(case, "body", b"") or b"") or len(str(getattr(case, "xml", "")).encode("utf-8", "replace"))
    if isinstance(exc, aiohttp.ClientOSError) and size > 64 * 1024:
        return Outcome("closed early (oversized body)")
    return Outcome("no answer", [f"client saw {type(exc).__name__}: {str(exc)[:60]} ({str(case)[:90]})"])


# --- REST ------------------------------------------------------------------------------------
def fresh_sender() -> str:
    """Hypothesis repeats values; each case gets its own conversation, where a silence would
    be a fault (later in a conversation, a handoff to a person makes the bot quiet on purpose)."""
    return "fz-" + uuid.uuid4().hex


async def rest(target: Target, case: HttpCase) -> Outcome:
    headers = {"Content-Type": case.content_type} if case.content_type else {}
    body, sender = case.body, case.sender
    if sender:
        sender = fresh_sender()
        body = body.replace(json.dumps(case.sender).encode(), json.dumps(sender).encode(), 1)
    async with target.http.post(target.base + "/webhooks/rest/webhook", data=_payload(body, case.chunked),
                                headers=headers) as response:
        body = await response.read()
        outcome = Outcome(response.status, judge_http(response.status, body))
    if response.status == 200:
        replies = json.loads(body)
        texts = [r.get("text") or "" for r in replies]
        outcome.problems += oracles.reply_problems(texts, case.text or "")
        if not replies and sender:  # a fresh conversation (odd senders recur, and may be with a person)
            outcome.problems.append(f"no reply to {case.text!r:.80}")
        if sender and case.text and case.text.strip():
            outcome.delivered.append((sender, case.text))
    return outcome


# --- socket.io -------------------------------------------------------------------------------
class BrowserJson:
    """Encode as a browser's JSON.stringify does (UTF-8, not \\u escapes)."""

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        kwargs.pop("ensure_ascii", None)
        return json.dumps(obj, ensure_ascii=False, **kwargs)

    @staticmethod
    def loads(text: str | bytes, **kwargs: Any) -> Any:
        return json.loads(text, **kwargs)


async def socket_chat(target: Target, case: SocketCase) -> Outcome:
    client = socketio.AsyncClient(reconnection=False, json=BrowserJson)
    confirmed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    heard: list[dict[str, Any]] = []
    client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(str(sid)))
    client.on("bot_uttered", lambda message: heard.append(message))
    outcome = Outcome(200, inputs=len(case.messages))
    try:
        await client.connect(target.base, transports=["websocket"], socketio_path="socket.io", wait_timeout=30)
        request = case.session_request
        if isinstance(request, dict) and str(request.get("session_id", "")).startswith("fz-"):
            request = {**request, "session_id": fresh_sender()}
        if case.ask_session:
            await client.emit("session_request", request)
        session_id: str | None = None
        for turn, (payload, text) in enumerate(zip(case.messages, case.texts, strict=True)):
            before = len(heard)
            await client.call("user_uttered", payload, timeout=120)  # the ack comes when the turn is done
            session_id = session_id or (await asyncio.wait_for(confirmed, 30))
            said = heard[before:]
            outcome.problems += oracles.reply_problems([m.get("text") or "" for m in said], text or "")
            if not said and turn == 0:
                outcome.problems.append(f"no reply to {payload!r:.80}")
            flooded = any(m.get("text") in HELD_BACK for m in said)  # "send it again a little later"
            if text and text.strip() and not flooded:
                outcome.delivered.append((session_id.split(".")[0], text[:10_000]))  # token → its id
    except (socketio.exceptions.SocketIOError, asyncio.TimeoutError, aiohttp.ClientError) as exc:
        outcome.status = "dropped"
        outcome.problems.append(f"connection {type(exc).__name__}: {exc}")
    finally:
        await client.disconnect()
    return outcome


# --- WeChat ----------------------------------------------------------------------------------
def _signature(token: str, timestamp: str, nonce: str) -> str:
    from wechatpy.utils import WeChatSigner

    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    return signer.signature


def _timestamp(kind: str, now: int) -> str | None:
    return {"fresh": str(now), "stale": str(now - 3600), "future": str(now + 3600), "garbage": "12ab",
            "missing": None}[kind]


def _envelope(case: WeChatCase, wechat: dict[str, str], plain: bytes, timestamp: str, nonce: str) -> tuple[bytes, str]:
    """The safe-mode body and its msg_signature, honest or broken as the case says."""
    import xmltodict
    from wechatpy.crypto import WeChatCrypto

    app_id = "wxOTHERAPP0000000" if case.envelope == "wrong_app" else wechat["app_id"]
    crypto = WeChatCrypto(wechat["token"], wechat["encoding_aes_key"], app_id)
    sealed = xmltodict.parse(crypto.encrypt_message(plain, nonce, timestamp))["xml"]
    cipher = sealed["Encrypt"]
    if case.envelope == "bitflip":
        raw = bytearray(base64.b64decode(cipher))
        raw[len(raw) // 2] ^= 0x5A
        cipher = base64.b64encode(bytes(raw)).decode()
    elif case.envelope == "truncated":
        cipher = cipher[: len(cipher) // 3]
    elif case.envelope == "garbage":
        cipher = base64.b64encode(random.randbytes(random.choice([0, 15, 16, 48, 200]))).decode() + "!!"
    signature = sealed["MsgSignature"]
    if case.envelope in ("bitflip", "truncated", "garbage"):  # signed honestly over the broken text
        from wechatpy.crypto import _get_signature

        signature = _get_signature(wechat["token"], timestamp, nonce, cipher)
    if case.envelope == "not_xml":
        return b"Encrypt=" + cipher.encode(), signature
    body = f"<xml><ToUserName><![CDATA[gh_qingting]]></ToUserName><Encrypt><![CDATA[{cipher}]]></Encrypt></xml>"
    return body.encode(), signature


def wechat_request(case: WeChatCase, wechat: dict[str, str]) -> tuple[dict[str, str], bytes]:
    now = int(time.time())
    nonce = uuid.uuid4().hex[:10]
    timestamp = _timestamp(case.timestamp, now)
    xml = case.xml.replace("{now}", str(now)).replace("{msgid}", str(uuid.uuid4().int >> 65))
    plain = xml.encode(case.encoding)
    params: dict[str, str] = {"nonce": nonce, "openid": "x"}
    if timestamp is not None:
        params["timestamp"] = timestamp
    if case.signature == "good":
        params["signature"] = _signature(wechat["token"], timestamp or "", nonce)
    elif case.signature == "bad":
        params["signature"] = "0" * 40
    if case.method == "GET":
        params["echostr"] = "fz" + nonce
        return params, b""
    if case.mode != "aes":
        return params, plain
    body, msg_signature = _envelope(case, wechat, plain, timestamp or str(now), nonce)
    if case.signature != "missing":
        params["msg_signature"] = msg_signature if case.signature == "good" else "0" * 40
    params["encrypt_type"] = "aes"
    return params, body


def _wechat_reply(text: bytes, case: WeChatCase, wechat: dict[str, str]) -> str:
    import xmltodict
    from wechatpy.crypto import WeChatCrypto

    xml = text.decode("utf-8")
    if case.mode == "aes":
        sealed = xmltodict.parse(xml)["xml"]
        crypto = WeChatCrypto(wechat["token"], wechat["encoding_aes_key"], wechat["app_id"])
        xml = crypto.decrypt_message(xml, sealed["MsgSignature"], sealed["TimeStamp"], sealed["Nonce"])
    return str(xmltodict.parse(xml)["xml"].get("Content") or "")


EXPECTED_WECHAT = {200, 400, 403, 413}


async def wechat(target: Target, case: WeChatCase) -> Outcome:
    assert target.wechat is not None
    params, body = wechat_request(case, target.wechat)
    url = target.base + WECHAT_PATH
    outcome = Outcome(0, inputs=1)
    for attempt in range(2 if case.replay_of else 1):
        request = target.http.get(url, params=params) if case.method == "GET" else target.http.post(
            url, params=params, data=body)
        async with request as response:
            answer = await response.read()
        outcome.status = response.status
        # The caller is WeChat's server, not a person: short plain-text refusals are its protocol.
        outcome.problems += judge_http(response.status, answer, polite=False)
        if response.status not in EXPECTED_WECHAT:
            outcome.problems.append(f"unexpected status {response.status}")
        outcome.problems += [f"answer leaks {w!r}" for w in oracles.leaks(answer.decode("utf-8", "replace"))]
        if case.method == "GET":
            # signed over the timestamp sent (or none); echoing is harmless. A timestamp that is not
            # a number is malformed whatever its signature: the schema layer refuses it with a 400.
            timestamp = params.get("timestamp")
            good = case.signature == "good" and (timestamp is None or timestamp.isdigit())
            if (response.status == 200) != good:
                outcome.problems.append(f"verification answered {response.status} to a {case.signature} signature")
            return outcome
        if response.status == 200 and answer not in (b"success", b""):
            reply = _wechat_reply(answer, case, target.wechat)
            outcome.problems += oracles.reply_problems([reply], case.text or "")
        if attempt == 0 and response.status == 200 and case.openid and case.text and case.text.strip():
            outcome.delivered.append((f"wechat:{case.openid}", case.text))
        honest = case.signature == "good" and case.timestamp == "fresh" and case.envelope == "good"
        if response.status == 200 and not honest:
            outcome.problems.append(f"accepted a push with signature={case.signature} timestamp={case.timestamp} "
                                    f"envelope={case.envelope}")
    return outcome


# --- the chat page API -----------------------------------------------------------------------
async def _page_cookie(target: Target, session_id: str) -> str:
    """The chat page's credential: a real issued one for a well-formed id, else the id as a forgery.
    The real one has told the bot something, so its conversation exists and uploads are read
    (one such customer per target: after six photos the rest are a kind 409)."""
    if not SESSION.match(session_id):
        return session_id
    if target.talked is None:
        async with target.http.post(target.base + "/api/chat/session") as response:
            cookie = response.cookies["qingting_customer"].value
        async with target.http.post(target.base + "/webhooks/rest/webhook", json={"sender": "x", "message": "我的电水壶坏了"},
                                    headers={"Cookie": f"qingting_customer={cookie}"}) as response:
            assert response.status == 200, await response.text()
        target.talked = cookie
    return target.talked


async def upload(target: Target, case: UploadCase) -> Outcome:
    headers = {"Content-Type": case.content_type} if case.content_type else {}
    cookie = await _page_cookie(target, case.session_id)
    if cookie.isascii() and cookie.isprintable() and ";" not in cookie:
        headers["Cookie"] = f"qingting_customer={cookie}"
    async with target.http.post(target.base + "/api/chat/upload", params={"session_id": case.session_id},
                                data=_payload(case.body, case.chunked), headers=headers,
                                skip_auto_headers=["Content-Type"]) as response:
        body = await response.read()
    outcome = Outcome(response.status, judge_http(response.status, body))
    if response.status == 200:
        answer = json.loads(body)
        if not answer.get("evidence_id"):
            outcome.problems.append("accepted without an evidence id")
        if not oracles.is_chinese(answer.get("message", "")):
            outcome.problems.append("acceptance message not Chinese")
        if case.photo is not None:
            outcome.photos.append(hashlib.sha256(case.photo).hexdigest())
    elif case.photo is not None and response.status not in (409, 413) and not case.chunked:
        outcome.problems.append(f"a photo was refused with {response.status}: {body[:100]!r}")
    return outcome


async def history(target: Target, query: dict[str, str]) -> Outcome:
    async with target.http.get(target.base + "/api/chat/history", params=query) as response:
        body = await response.read()
    return Outcome(response.status, judge_http(response.status, body))


# --- the console API -------------------------------------------------------------------------
async def console(target: Target, case: ConsoleCase) -> Outcome:
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    if case.auth != "anon":
        assert target.admin is not None
        cookies = target.admin.cookies
        if case.auth == "admin":
            headers["X-CSRF-Token"] = target.admin.csrf
        elif case.auth == "admin_bad_csrf":
            headers["X-CSRF-Token"] = "forged-" + target.admin.csrf[:8]
    if case.body is not None:
        headers["Content-Type"] = "application/json"
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    url = target.base + case.path
    async with target.http.request(case.method, url, params=list(case.query), data=case.body,
                                   headers=headers) as response:
        body = await response.read()
    outcome = Outcome(response.status, judge_http(response.status, body))
    unsafe = case.method == "POST"
    if case.auth == "anon" and response.status < 400 and case.path != "/api/auth/session" and not (
            case.path in ("/api/auth/login", "/api/auth/logout") and response.status == 200 and unsafe):
        outcome.problems.append(f"anonymous {case.method} {case.path} answered {response.status}")
    if case.auth in ("admin_no_csrf", "admin_bad_csrf") and unsafe and response.status != 403:
        outcome.problems.append(f"{case.method} {case.path} without a valid CSRF token answered {response.status}")
    return outcome


# --- in-process: the knowledge-base loader ----------------------------------------------------
KB_SOURCE = Path(__file__).resolve().parents[2] / "knowledge_base"
ODD_VALUES: list[Any] = [None, "", -1, 0, 10**20, 3.5, True, [], {}, "文字", [1, "二"], {"x": 1}, "x" * 10_000,
                         "无法", "12:99", "Mars/Olympus", [[[]]], {"": None}]


def _nodes(tree: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += _nodes(value, (*path, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += _nodes(value, (*path, index))
    return found


def _odd(rng: random.Random) -> Any:
    return copy.deepcopy(rng.choice(ODD_VALUES))  # never share (and later mutate) the template


def _mutate_tree(tree: Any, rng: random.Random) -> Any:
    if not isinstance(tree, (dict, list)) or rng.random() < 0.03:
        return _odd(rng)
    path = rng.choice(_nodes(tree)[1:] or [()])
    if not path:
        return _odd(rng)
    parent = tree
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    operation = rng.choice(["delete", "replace", "replace", "duplicate", "rename", "wrap"])
    if operation == "delete":
        del parent[last]
    elif operation == "replace":
        parent[last] = _odd(rng)
    elif operation == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    elif operation == "rename" and isinstance(parent, dict):
        parent[str(last) + "_x"] = parent.pop(last)
    else:
        parent[last] = [parent[last]] if not isinstance(parent[last], list) else {"items": parent[last]}
    return tree


def mutated_bytes(mutation: KbMutation, original: bytes) -> bytes:
    if mutation.kind == "structure":
        rng = random.Random(mutation.seed)
        tree = _mutate_tree(yaml.safe_load(original.decode("utf-8")), rng)
        for _ in range(rng.randint(0, 2)):
            tree = _mutate_tree(tree, rng)
        return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False).encode("utf-8")
    cut = int(len(original) * mutation.position)
    return original[:cut] + mutation.data + original[cut:]


def kb_load(mutation: KbMutation, workdir: Path) -> Outcome:
    """Write one mutated file into a copy of knowledge_base/ and load it with the real loader."""
    from bot.knowledge.loader import FILES, KnowledgeBaseError, load_knowledge_base_uncached

    original = (KB_SOURCE / mutation.file).read_bytes()
    target = workdir / mutation.file
    target.write_bytes(mutated_bytes(mutation, original))
    try:
        load_knowledge_base_uncached(workdir)
        return Outcome("loaded")
    except KnowledgeBaseError as exc:
        message = str(exc)
        names = [name for name, _ in FILES.values() if name in message]
        where = any(word in message for word in ("field '", " line ", "file is missing", "mapping", "YAML", "UTF-8"))
        problems = [] if names and where else [f"refusal does not name file and field: {message[:200]}"]
        return Outcome("refused", problems)
    except Exception as exc:  # noqa: BLE001 — exactly what the fuzz looks for
        return Outcome("crashed", [f"{type(exc).__name__}: {str(exc)[:200]}"])
    finally:
        target.write_bytes(original)


# --- in-process: the time-phrase parser --------------------------------------------------------
SHOP = ZoneInfo("Asia/Shanghai")


def time_parse(phrase: str, seconds: int) -> Outcome:
    """`seconds` past 2026-01-01 in the shop's zone is "now" (quiet hours and month ends included)."""
    from bot.timeparse import describe, in_quiet_hours, parse_followup_time

    now = datetime(2026, 1, 1, tzinfo=SHOP) + timedelta(seconds=seconds)
    try:
        parsed = parse_followup_time(phrase, now)
        if parsed is None:
            return Outcome("not understood")
        describe(parsed.when, now)
    except Exception as exc:  # noqa: BLE001
        return Outcome("crashed", [f"{type(exc).__name__}: {exc}"])
    problems = []
    if parsed.when <= now:
        problems.append(f"{phrase!r} at {now}: {parsed.when} is not in the future")
    if in_quiet_hours(parsed.when, "21:00", "09:00"):
        problems.append(f"{phrase!r} at {now}: {parsed.when} falls in quiet hours")
    if parsed.when.tzinfo is None:
        problems.append(f"{phrase!r}: naive datetime")
    return Outcome("parsed", problems)


# --- qingting analyze --------------------------------------------------------------------------
ANALYZE_KEYS = {"text", "intent", "confidence", "entities", "severity", "handoff", "reasons", "type", "secondary_type"}


def analyze_problems(lines: list[bytes], stdout: bytes, stderr: bytes, returncode: int) -> list[str]:
    """One JSON object per input line, in order, and a clean exit."""
    problems = []
    if returncode != 0:
        problems.append(f"exit code {returncode}: {stderr[-300:]!r}")
    if b"Traceback" in stderr:
        problems.append(f"traceback on stderr: {stderr[-300:]!r}")
    outputs = stdout.decode("utf-8", "replace").split("\n")
    if outputs and outputs[-1] == "":
        outputs.pop()
    if len(outputs) != len(lines):
        problems.append(f"{len(lines)} lines in, {len(outputs)} out")
    for index, out in enumerate(outputs):
        try:
            data = json.loads(out)
        except json.JSONDecodeError:
            problems.append(f"line {index}: not JSON: {out[:80]!r}")
            continue
        if not isinstance(data, dict) or set(data) != ANALYZE_KEYS:
            problems.append(f"line {index}: keys {sorted(data) if isinstance(data, dict) else data!r}")
    return problems[:20]
