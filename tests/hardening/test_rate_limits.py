"""Rate limits per customer and per client IP (bot/ratelimit.py), on a server of their own
with tight limits: a customer held back is told kindly to send again a little later, the
message is not processed, and the answer says when (HTTP 429 + Retry-After where the
protocol allows; WeChat always gets its passive reply and retries stay deduplicated).

The server trusts 127.0.0.1 as a reverse proxy, so each test plays its own client IP through
X-Forwarded-For; one test connects from 127.0.0.2 (not trusted) to show the header is then
ignored. The limiter's arithmetic and its Redis sharing are checked on the class itself.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import socketio
import yaml
from sqlalchemy import create_engine, text

from bot.ratelimit import LOGIN_SLOW_DOWN, SLOW_DOWN, RateLimiter, Rule
from bot.settings import Settings
from tests.conftest import WECHAT, Server, start_server, stop_server
from tests.console.conftest import PASSWORD, ConsoleClient, create_user
from tests.test_wechat_channel import WeChatPeer, text_xml
from tests.wechat_standin import WeChatApiStandIn

PER_CUSTOMER, PER_IP, LOGIN_FAILURES, LOGIN_ACCOUNT_FAILURES = 3, 6, 3, 2
REST = "/webhooks/rest/webhook"


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, wechat_api: WeChatApiStandIn) -> Iterator[Server]:
    var_dir = tmp_path_factory.mktemp("ratelimits") / "var"
    var_dir.mkdir(parents=True)
    credentials = var_dir / "credentials.yml"
    credentials.write_text(yaml.safe_dump({"wechat": {**WECHAT, "api_base": wechat_api.url}}))
    running = start_server(var_dir, {
        "QINGTING_CREDENTIALS": str(credentials),
        "QINGTING_RATE_LIMIT_CUSTOMER": f"{PER_CUSTOMER}/600",
        "QINGTING_RATE_LIMIT_IP": f"{PER_IP}/600",
        "QINGTING_RATE_LIMIT_LOGIN_IP": f"{LOGIN_FAILURES}/600",
        "QINGTING_RATE_LIMIT_LOGIN_ACCOUNT": f"{LOGIN_ACCOUNT_FAILURES}/600",
        "QINGTING_TRUSTED_PROXIES": "127.0.0.1",
    })
    yield running
    stop_server(running)


def client_ip() -> str:
    """A private address of this test's own, as a trusted proxy would forward it."""
    number = uuid.uuid4().int
    return f"10.{number % 250}.{number // 250 % 250}.{number // 62500 % 250 + 1}"


def say(server: Server, sender: str, message: str, ip: str) -> requests.Response:
    return server.post(REST, json={"sender": sender, "message": message}, headers={"X-Forwarded-For": ip})


def user_turns(server: Server, sender: str) -> int:
    """Customer messages the bot processed for this sender (Rasa's tracker rows)."""
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT COUNT(*) FROM events WHERE sender_id = :s AND type_name = 'user'"),
                             {"s": sender}).scalar_one()
    engine.dispose()
    return int(count)


def assert_held_back(response: requests.Response) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["Retry-After"]) >= 1


# --- REST ---------------------------------------------------------------------------------------
def test_a_customer_over_the_limit_is_told_kindly_and_the_message_is_not_processed(limited: Server) -> None:
    sender, ip = f"rl-{uuid.uuid4().hex[:10]}", client_ip()
    for _ in range(PER_CUSTOMER):
        assert say(limited, sender, "我的电水壶坏了", ip).status_code == 200
    held = say(limited, sender, "订单号QT202611150003", ip)
    assert_held_back(held)
    assert held.json() == [{"recipient_id": sender, "text": SLOW_DOWN}]  # the Rasa REST shape
    assert user_turns(limited, sender) == PER_CUSTOMER  # not processed, and it said so
    other = say(limited, f"rl-{uuid.uuid4().hex[:10]}", "我的电水壶坏了", ip)
    assert other.status_code == 200 and other.json()[0]["text"] != SLOW_DOWN  # others carry on


def test_one_address_sending_for_many_customers_is_limited_per_ip(limited: Server) -> None:
    ip = client_ip()
    for _ in range(PER_IP):
        assert say(limited, f"rl-{uuid.uuid4().hex[:10]}", "你好", ip).status_code == 200
    held_sender = f"rl-{uuid.uuid4().hex[:10]}"
    assert_held_back(say(limited, held_sender, "你好", ip))
    assert user_turns(limited, held_sender) == 0
    assert say(limited, f"rl-{uuid.uuid4().hex[:10]}", "你好", client_ip()).status_code == 200


def test_forwarded_for_from_an_untrusted_peer_is_ignored(limited: Server) -> None:
    """From 127.0.0.2 (not a trusted proxy) a fresh X-Forwarded-For per request buys nothing."""
    port = int(limited.url.rsplit(":", 1)[1])
    statuses = []
    for _ in range(PER_IP + 1):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=("127.0.0.2", 0))
        body = json.dumps({"sender": f"rl-{uuid.uuid4().hex[:10]}", "message": "你好"})
        conn.request("POST", REST, body=body, headers={"Content-Type": "application/json",
                                                       "X-Forwarded-For": client_ip()})
        statuses.append(conn.getresponse().status)
        conn.close()
    assert statuses == [200] * PER_IP + [429]


# --- the chat page: uploads and history -------------------------------------------------------------
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def test_chat_page_uploads_count_for_the_customer(limited: Server) -> None:
    cookies, ip = dict(limited.post("/api/chat/session").cookies), client_ip()
    told = limited.post("/webhooks/rest/webhook", json={"sender": "x", "message": "我的电水壶坏了"},
                        headers={"X-Forwarded-For": ip}, cookies=cookies)  # photos follow a conversation
    assert told.status_code == 200, told.text
    for _ in range(PER_CUSTOMER - 1):
        sent = limited.post("/api/chat/upload", files={"photo": ("a.png", PNG, "image/png")},
                            headers={"X-Forwarded-For": ip}, cookies=cookies)
        assert sent.status_code == 200, sent.text
    held = limited.post("/api/chat/upload", files={"photo": ("a.png", PNG, "image/png")},
                        headers={"X-Forwarded-For": ip}, cookies=cookies)
    assert_held_back(held)
    assert held.json() == {"error": "rate_limited", "message": SLOW_DOWN}


# --- socket.io ------------------------------------------------------------------------------------
async def _socket_session(server: Server, ip: str, messages: int) -> list[str]:
    client = socketio.AsyncClient(reconnection=False)
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    confirmed: asyncio.Queue[str] = asyncio.Queue()
    client.on("bot_uttered", inbox.put)
    client.on("session_confirm", confirmed.put)
    await client.connect(server.url, socketio_path="socket.io", transports=["websocket"],
                         headers={"X-Forwarded-For": ip})
    try:
        await client.emit("session_request", {})
        session_id = await asyncio.wait_for(confirmed.get(), 10)
        firsts = []
        for index in range(messages):
            await client.emit("user_uttered", {"message": f"你好{index}", "session_id": session_id})
            firsts.append((await asyncio.wait_for(inbox.get(), 60)).get("text", ""))
            await asyncio.sleep(1.0)  # let the rest of this answer arrive
            while not inbox.empty():
                inbox.get_nowait()
        return firsts
    finally:
        await client.disconnect()


def test_socketio_customers_are_limited_per_session_with_a_kind_message(limited: Server) -> None:
    firsts = asyncio.run(_socket_session(limited, client_ip(), PER_CUSTOMER + 1))
    assert SLOW_DOWN not in firsts[:PER_CUSTOMER]
    assert firsts[PER_CUSTOMER] == SLOW_DOWN


# --- WeChat -----------------------------------------------------------------------------------------
def test_wechat_is_limited_per_openid_and_retries_are_still_deduplicated(limited: Server) -> None:
    peer, user, base = WeChatPeer(limited), "o" + uuid.uuid4().hex[:20], int(time.time() * 1000)
    first = peer.reply_text(peer.push(text_xml(user, "我的电水壶坏了", base)))
    assert first and first != SLOW_DOWN
    assert peer.reply_text(peer.push(text_xml(user, "我的电水壶坏了", base))) in ("", first)  # a retry: no count
    for offset in range(1, PER_CUSTOMER):
        assert peer.reply_text(peer.push(text_xml(user, "订单号QT202611150003", base + offset))) != SLOW_DOWN
    held = peer.push(text_xml(user, "还在吗", base + 100))
    assert held.status_code == 200 and peer.reply_text(held) == SLOW_DOWN  # WeChat always gets its answer
    assert peer.reply_text(peer.push(text_xml(user, "还在吗", base + 100))) == SLOW_DOWN  # its retry: the same
    assert user_turns(limited, f"wechat:{user}") == PER_CUSTOMER


# --- console login --------------------------------------------------------------------------------
def test_failed_console_logins_are_limited_per_ip_on_top_of_the_account_lock_out(limited: Server) -> None:
    username = f"rl_{uuid.uuid4().hex[:8]}"
    create_user(limited, username, "agent", "限流测试")
    ip, elsewhere = client_ip(), client_ip()
    client = ConsoleClient(limited)
    client.http.headers["X-Forwarded-For"] = ip
    client.csrf = client.http.get(limited.url + "/api/auth/session", timeout=30).json()["csrf_token"]
    for index in range(LOGIN_FAILURES):  # a different account each time: no lock-out involved
        assert client.login(f"nobody_{index}_{uuid.uuid4().hex[:4]}", "wrong password!").status_code == 401
    held = client.login(username)  # even the right password waits
    assert_held_back(held)
    assert held.json() == {"error": "rate_limited", "message": LOGIN_SLOW_DOWN}
    other = ConsoleClient(limited)
    other.http.headers["X-Forwarded-For"] = elsewhere
    assert other.login(username, PASSWORD).status_code == 200


def test_a_guesser_elsewhere_slows_down_only_themselves_not_the_owner(limited: Server) -> None:
    username = f"rl_{uuid.uuid4().hex[:8]}"
    create_user(limited, username, "agent", "限流测试")
    guesser, owner = ConsoleClient(limited), ConsoleClient(limited)
    guesser.http.headers["X-Forwarded-For"], owner.http.headers["X-Forwarded-For"] = client_ip(), client_ip()
    answers = [guesser.login(username, f"guess-{n}-password") for n in range(LOGIN_ACCOUNT_FAILURES + 1)]
    assert [a.status_code for a in answers] == [401] * LOGIN_ACCOUNT_FAILURES + [429]
    assert owner.login(username, PASSWORD).status_code == 200  # the owner, from their own address


# --- the limiter itself ------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_default_limits_never_hold_back_a_customer_typing_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("QINGTING_RATE_LIMITS", "QINGTING_RATE_LIMIT_CUSTOMER", "QINGTING_RATE_LIMIT_IP",
                 "QINGTING_RATE_LIMIT_LOGIN_IP", "QINGTING_RATE_LIMIT_LOGIN_ACCOUNT",
                 "QINGTING_RATE_LIMIT_LOGIN_ACCOUNT_ANY", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    limiter = RateLimiter.from_settings(Settings())
    assert {name: (rule.limit, rule.window_s) for name, rule in limiter.rules.items()} == {
        "customer": (20, 60.0), "ip": (120, 60.0), "login_ip": (100, 600.0), "login_account": (5, 900.0),
        "login_account_any": (50, 3600.0)}
    clock = limiter.clock = Clock()

    async def chat_for_ten_minutes() -> list[bool]:
        allowed = []
        for gap in [1.0] * 6 + [4.0] * 150:  # six lines in six seconds, then one every 4 s for 10 min
            allowed.append((await limiter.message("fast-typist", "192.0.2.1")).allowed)
            clock.now += gap
        return allowed

    assert all(asyncio.run(chat_for_ten_minutes()))
    monkeypatch.setenv("QINGTING_RATE_LIMITS", "0")  # the switch a load benchmark uses
    assert RateLimiter.from_settings(Settings()).rules == {}


def test_a_burst_is_held_back_and_let_through_again_after_retry_after() -> None:
    clock = Clock()
    limiter = RateLimiter({"customer": Rule("customer", 5, 60.0)}, clock=clock)

    async def run() -> tuple[list[bool], int, bool]:
        burst = [(await limiter.hit("customer", "c1")).allowed for _ in range(8)]
        held = await limiter.hit("customer", "c1")
        clock.now += held.retry_after
        return burst, held.retry_after, (await limiter.hit("customer", "c1")).allowed

    burst, retry_after, later = asyncio.run(run())
    assert burst == [True] * 5 + [False] * 3
    assert 1 <= retry_after <= 120 and later


def test_limits_are_shared_by_processes_through_redis_and_fail_open_without_it() -> None:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis("127.0.0.1", 6379, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis is not reachable: {type(exc).__name__}")
    namespace = f"test-rl-{uuid.uuid4().hex[:8]}"
    rules = {"customer": Rule("customer", 4, 60.0)}

    async def run() -> tuple[list[bool], bool]:
        one = RateLimiter(rules, "redis://127.0.0.1:6379/0", namespace)  # two processes' limiters
        two = RateLimiter(rules, "redis://127.0.0.1:6379/0", namespace)
        gone = RateLimiter(rules, "redis://127.0.0.1:1/0", namespace)  # nobody listens on port 1
        try:
            seen = [(await limiter.hit("customer", "c1")).allowed for limiter in (one, two) * 3]
            return seen, (await gone.hit("customer", "c1")).allowed
        finally:
            for limiter in (one, two, gone):
                await limiter.close()

    seen, without_redis = asyncio.run(run())
    assert seen == [True, True, True, True, False, False]
    assert without_redis  # Redis away: the customer is let through, never refused
